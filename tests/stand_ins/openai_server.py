"""A local stand-in for an OpenAI-compatible chat-completions server, on 127.0.0.1.

Each request takes the next scripted action (or the default one): a normal reply with usage
counts, 429 with Retry-After, 500, 400, a hang past the client's timeout, or a 200 whose body is
not JSON. The server counts and records every request it receives.
"""

import json
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

OK = "ok"
RATE_LIMITED = "429"
SERVER_ERROR = "500"
BAD_REQUEST = "400"
HANG = "hang"
MALFORMED = "malformed"
ACTIONS = (OK, RATE_LIMITED, SERVER_ERROR, BAD_REQUEST, HANG, MALFORMED)

ReplyFn = Callable[[dict[str, Any]], str]


def fenced_reply(body: dict[str, Any]) -> str:
    """A plausible reply: a short explanation and one fenced Python block."""
    user = next(m["content"] for m in reversed(body["messages"]) if m["role"] == "user")
    marker = zlib.crc32(user.encode()) % 1000
    return (
        "Here is a solution.\n\n```python\n"
        f"def solve(x):\n    return x + {marker}\n```\n\nIt runs in constant time."
    )


@dataclass
class StandInState:
    script: deque[str] = field(default_factory=deque)
    default_action: str = OK
    retry_after_s: float = 0.0
    hang_s: float = 5.0
    reply: ReplyFn = fenced_reply
    requests: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_action(self, body: dict[str, Any]) -> str:
        with self.lock:
            self.requests.append(body)
            return self.script.popleft() if self.script else self.default_action


class StandInServer:
    """Handle on a running stand-in: its base URL, its script and its request counter."""

    def __init__(self, httpd: ThreadingHTTPServer, state: StandInState) -> None:
        self._httpd = httpd
        self.state = state
        host, port = httpd.server_address[:2]
        self.base_url = f"http://{host}:{port}/v1"

    @property
    def request_count(self) -> int:
        with self.state.lock:
            return len(self.state.requests)

    @property
    def requests(self) -> list[dict[str, Any]]:
        with self.state.lock:
            return list(self.state.requests)

    def script(self, *actions: str) -> None:
        """Answer the next requests with these actions, in order, then the default action."""
        unknown = set(actions) - set(ACTIONS)
        if unknown:
            raise ValueError(f"unknown stand-in actions {sorted(unknown)}; known: {ACTIONS}")
        with self.state.lock:
            self.state.script.extend(actions)


def _handler(state: StandInState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_args: Any) -> None:  # keep test output quiet
            return

        def do_POST(self) -> None:  # noqa: N802  (http.server's naming)
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            if not self.path.endswith("/chat/completions"):
                self._send(404, {"error": {"message": f"no route {self.path}"}})
                return
            action = state.next_action(body)
            if action == RATE_LIMITED:
                headers = {"Retry-After": f"{state.retry_after_s:g}"}
                self._send(429, {"error": {"message": "rate limited"}}, headers)
            elif action == SERVER_ERROR:
                self._send(500, {"error": {"message": "internal error"}})
            elif action == BAD_REQUEST:
                self._send(400, {"error": {"message": "bad request"}})
            elif action == HANG:
                time.sleep(state.hang_s)
                self._send(200, _completion(body, state.reply(body)))
            elif action == MALFORMED:
                self._send_raw(200, b'{"id": "chatcmpl-1", "choices": [', "application/json")
            else:
                self._send(200, _completion(body, state.reply(body)))

        def _send(self, status: int, payload: dict, headers: dict | None = None) -> None:
            self._send_raw(status, json.dumps(payload).encode(), "application/json", headers)

        def _send_raw(
            self, status: int, data: bytes, content_type: str, headers: dict | None = None
        ) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (its timeout); nothing to answer

    return Handler


def _completion(body: dict[str, Any], text: str) -> dict[str, Any]:
    prompt_tokens = sum(len(str(m.get("content", "")).split()) for m in body.get("messages", []))
    completion_tokens = len(text.split())
    return {
        "id": f"chatcmpl-{time.monotonic_ns()}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", ""),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


@contextmanager
def running_stand_in(**state: Any) -> Iterator[StandInServer]:
    """Serve on 127.0.0.1 on a free port for the duration of the block."""
    server_state = StandInState(**state)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(server_state))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield StandInServer(httpd, server_state)
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
