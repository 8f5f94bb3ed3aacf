"""The sandbox service run by uvicorn on 127.0.0.1 in a thread, around a given pool, and the
requests its clients send: verl's SandboxFusion reward client (its exact JSON and headers) and
plain bearer-token calls."""

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import requests
import uvicorn

from factory.sandbox.service import create_app
from factory.sandbox.service.app import ServiceSandbox
from factory.settings import SandboxServiceSettings, SandboxSettings

TOKEN = "service-test-token-0123456789abcdef"  # noqa: S105 (a test's own token)
PLANTED = "planted-host-secret-5f0c2b9e"  # put in the service's environment, never in a sandbox


@dataclass(frozen=True)
class Service:
    host: str
    port: int
    token: str | None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def headers(self, token: str | None = "", client: str = "") -> dict[str, str]:
        """Bearer auth with the service's token ("" default), `token`, or none (None)."""
        headers = {"X-Client-Id": client} if client else {}
        token = self.token if token == "" else token
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return headers

    def post(
        self, path: str, body: Any, *, token: str | None = "", client: str = "", timeout=120.0
    ) -> httpx.Response:
        return httpx.post(
            self.url + path, json=body, headers=self.headers(token, client), timeout=timeout
        )

    def get(self, path: str) -> httpx.Response:
        return httpx.get(self.url + path, timeout=30)

    def verl_run_code(
        self,
        code: str,
        language: str,
        stdin: str | None = None,
        *,
        timeout: int = 10,
        memory_limit_mb: int = 1024,
    ) -> dict[str, Any]:
        """One call as verl's sandbox_fusion reward makes it (call_sandbox_api): the same JSON
        body and headers through `requests`, the token as the password in the URL (the one way
        to give it a token without changing the client)."""
        payload = json.dumps(
            {
                "compile_timeout": timeout,
                "run_timeout": timeout,
                "code": code,
                "stdin": stdin,
                "memory_limit_MB": memory_limit_mb,
                "language": language,
                "files": {},
                "fetch_files": [],
            }
        )
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        url = f"http://verl:{self.token}@{self.host}:{self.port}/run_code"
        response = requests.post(url, headers=headers, data=payload, timeout=timeout * 2 + 60)
        response.raise_for_status()
        return response.json()


def verl_case_result(response: dict[str, Any], expected: str | None) -> bool | int:
    """What verl's sandbox_fusion reward makes of one /run_code response (its per-case rules):
    True / False for a run that ended well, with the right or wrong output; -1 a sandbox or
    unknown error, -2 a runtime error, -3 a time limit, -4 a compile error (or its timeout)."""
    status = response.get("status")
    compiled, run = response.get("compile_result"), response.get("run_result")
    if status == "Failed":
        if compiled and (
            compiled["status"] in ("Error", "TimeLimitExceeded")
            or (compiled["status"] == "Finished" and compiled.get("return_code") != 0)
        ):
            return -4
        if run and run["status"] == "TimeLimitExceeded":
            return -3
        if run and (
            run["status"] == "Error"
            or (run["status"] == "Finished" and run.get("return_code") != 0)
        ):
            return -2
        return -1
    if status == "Success" and run and run["status"] == "Finished":
        output = run.get("stdout") or ""
        return expected is None or output.rstrip("\n") == expected.rstrip("\n")
    return -1


def service_settings(base: SandboxSettings, **service: Any) -> SandboxSettings:
    return base.model_copy(update={"service": SandboxServiceSettings(**service)})


@contextmanager
def running_service(
    sandbox: ServiceSandbox, settings: SandboxSettings, *, token: str | None = TOKEN
) -> Iterator[Service]:
    """The app over `sandbox` served on a free loopback port until the block ends (the pool
    stays open: it belongs to the caller)."""
    app = create_app(sandbox, settings, token=token)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert server.started, "the sandbox service did not start"
        yield Service("127.0.0.1", port, token)
    finally:
        server.should_exit = True
        thread.join(timeout=60)
        sock.close()


def wait_for(service: Service, predicate: Any, *, seconds: float = 60) -> dict[str, Any]:
    """Poll /health until `predicate(health)` holds (bounded); the last health seen."""
    deadline = time.monotonic() + seconds
    health: dict[str, Any] = {}
    while time.monotonic() < deadline:
        health = service.get("/health").json()
        if predicate(health):
            return health
        time.sleep(0.05)
    raise AssertionError(f"/health never showed the expected state; last: {health}")
