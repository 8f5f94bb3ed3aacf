"""One fork server on the host side: start it, send it jobs, read its results.

The server may run in a container, a bubblewrap namespace or (unsafe) directly; this module only
sees a byte stream each way (a `Transport`: the pipes of a child process, or a container's
attach socket). Any protocol failure raises `ServerFailure`, after which the pool throws the
server away and starts another.
"""

import json
import os
import select
import struct
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

_HEADER = struct.Struct(">I")
_MAX_RESULT = 64 * 1024 * 1024
SERVER_SOURCE = (Path(__file__).parent / "server.py").read_text()


class ServerFailure(RuntimeError):
    """The fork server did not answer as the protocol says (the factory's fault)."""


class Transport(Protocol):
    def send(self, data: bytes) -> None:
        """Write all of `data` to the server's stdin (OSError when it stopped reading)."""

    def recv(self, size: int, deadline: float) -> bytes:
        """Up to `size` bytes of the server's stdout; b"" at its end; ServerFailure at the
        deadline."""

    def diagnostics(self) -> str:
        """What the server said on stderr and how it ended, once it has ended ("" before)."""

    def close(self) -> None: ...


class PipeTransport:
    """A server that is a child process of this one (bwrap, unsafe-local, the docker CLI)."""

    def __init__(
        self, command: list[str], *, env: dict[str, str], on_close: Callable[[], None] | None
    ) -> None:
        self._on_close = on_close
        self._proc = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            bufsize=0,
        )

    def send(self, data: bytes) -> None:
        assert self._proc.stdin is not None
        self._proc.stdin.write(data)
        self._proc.stdin.flush()

    def recv(self, size: int, deadline: float) -> bytes:
        assert self._proc.stdout is not None
        fd = self._proc.stdout.fileno()
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise ServerFailure("fork server did not answer in time")
        return os.read(fd, min(size, 1 << 20))

    def diagnostics(self) -> str:
        if self._proc.poll() is None or self._proc.stderr is None:
            return ""
        tail = self._proc.stderr.read()[-2000:].decode("utf-8", "replace").strip()
        return f" (status {self._proc.returncode}): {tail}" if tail else ""

    def close(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
        try:
            self._proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
        for stream in (self._proc.stdin, self._proc.stdout, self._proc.stderr):
            if stream is not None:
                stream.close()
        if self._on_close is not None:
            self._on_close()
            self._on_close = None


class ServerProcess:
    def __init__(self, transport: Transport, *, start_timeout_s: float = 120.0) -> None:
        self.runs = 0
        self._transport = transport
        self._next_id = 0
        self._pending = b""
        try:
            self.info = self._read(time.monotonic() + start_timeout_s)
        except ServerFailure:
            self.close()
            raise
        if not self.info.get("ready"):
            self.close()
            raise ServerFailure(f"fork server did not start: {self.info}")

    @classmethod
    def child(
        cls,
        command: list[str],
        *,
        env: dict[str, str],
        on_close: Callable[[], None] | None = None,
        start_timeout_s: float = 120.0,
    ) -> "ServerProcess":
        """A server run as `command`, a child process of this one, over its stdio pipes."""
        transport = PipeTransport(command, env=env, on_close=on_close)
        return cls(transport, start_timeout_s=start_timeout_s)

    def submit(self, job: dict[str, Any], code: str, tests: str, *, timeout_s: float) -> dict:
        """Run one job; `timeout_s` bounds the whole exchange (the server has its own limits)."""
        self._next_id += 1
        code_bytes, tests_bytes = code.encode(), tests.encode()
        header = dict(job, id=self._next_id, code_len=len(code_bytes), tests_len=len(tests_bytes))
        head = json.dumps(header).encode()
        try:
            self._transport.send(_HEADER.pack(len(head)) + head + code_bytes + tests_bytes)
        except OSError as exc:
            raise ServerFailure(
                f"fork server stopped reading: {exc}{self._transport.diagnostics()}"
            ) from exc
        deadline = time.monotonic() + timeout_s
        # The server's own facts, then the test runner's record (empty when it gave none).
        facts = self._read(deadline)
        record = self._read(deadline, allow_empty=True)
        if facts.get("id") != self._next_id:
            raise ServerFailure(f"result for job {facts.get('id')}, expected {self._next_id}")
        self.runs += 1
        return {**record, **facts}

    def _read(self, deadline: float, *, allow_empty: bool = False) -> dict[str, Any]:
        (size,) = _HEADER.unpack(self._read_exact(4, deadline))
        if size > _MAX_RESULT:
            raise ServerFailure(f"fork server sent a frame of {size} bytes")
        if size == 0 and allow_empty:
            return {}
        try:
            value = json.loads(self._read_exact(size, deadline))
        except ValueError as exc:
            raise ServerFailure(f"fork server sent invalid JSON: {exc}") from exc
        if not isinstance(value, dict):
            raise ServerFailure("fork server sent a frame that is not an object")
        return value

    def _read_exact(self, size: int, deadline: float) -> bytes:
        # Reads ask for more than they need (a result's two frames arrive together); the rest
        # waits in `_pending` for the next read.
        chunks = [self._pending]
        have = len(self._pending)
        while have < size:
            chunk = self._transport.recv(max(size - have, 1 << 16), deadline)
            if not chunk:
                raise ServerFailure(f"fork server exited{self._transport.diagnostics()}")
            chunks.append(chunk)
            have += len(chunk)
        data = b"".join(chunks)
        self._pending = data[size:]
        return data[:size]

    def close(self) -> None:
        self._transport.close()
