"""`factory ui` as a test starts it: a subprocess on a free port, asked over GraphQL."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def graphql(port: int, query: str) -> dict[str, Any]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        body = json.load(response)
    assert "errors" not in body, body["errors"]
    return body["data"]


def asset_keys(port: int) -> set[str]:
    nodes = graphql(port, "{ assetNodes { assetKey { path } } }")["assetNodes"]
    return {"/".join(node["assetKey"]["path"]) for node in nodes}


@contextmanager
def running_ui(factory_home: Path, port: int) -> Iterator[subprocess.Popen]:
    """`factory ui` on `factory_home`, serving the asset graph, killed at the end if need be."""
    env = {**os.environ, "FACTORY_HOME": str(factory_home)}
    env.pop("DAGSTER_HOME", None)
    # Started the way a script would start it: with SIGINT ignored, which `factory ui` must undo.
    process = subprocess.Popen(
        [sys.executable, "-m", "commands", "ui", "--port", str(port)],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
        start_new_session=True,
    )
    try:
        keys: set[str] = set()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and "prompts" not in keys:
            try:
                keys = asset_keys(port)
            except OSError:
                time.sleep(1)
        assert "prompts" in keys, "the webserver never served the asset graph"
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
