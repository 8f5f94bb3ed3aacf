"""`factory ui` starts the Dagster webserver on the workspace, shows the chain, stops on SIGTERM."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]
QUERY = '{"query": "{ assetNodes { assetKey { path } } }"}'


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _asset_keys(port: int) -> set[str]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=QUERY.encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        nodes = json.load(response)["data"]["assetNodes"]
    return {"/".join(node["assetKey"]["path"]) for node in nodes}


@pytest.mark.slow
def test_ui_serves_the_asset_graph_and_stops_on_sigterm(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "FACTORY_HOME": str(tmp_path / "home")}
    # Started the way a script would start it: with SIGINT ignored, which `factory ui` must undo.
    process = subprocess.Popen(
        [sys.executable, "-m", "factory.cli", "ui", "--port", str(port)],
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
                keys = _asset_keys(port)
            except OSError:
                time.sleep(1)
        assert "prompts" in keys, "the webserver never served the asset graph"
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) is not None
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
