"""`factory sandbox serve`: it refuses to start without a token (or with --no-auth off
loopback), and the README's commands serve the sandbox and answer a request, as written."""

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from factory.cli import main

REPO = Path(__file__).resolve().parents[3]


def test_serve_refuses_to_start_without_a_token(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("FACTORY_SANDBOX_TOKEN", raising=False)
    assert main(["sandbox", "serve", "--port", "0"]) == 2
    error = capsys.readouterr().err
    assert "FACTORY_SANDBOX_TOKEN" in error and "--no-auth" in error


def test_no_auth_is_refused_off_loopback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("FACTORY_SANDBOX_TOKEN", raising=False)
    assert main(["sandbox", "serve", "--host", "0.0.0.0", "--no-auth"]) == 2  # noqa: S104
    assert "loopback" in capsys.readouterr().err


def _readme_service_block() -> list[str]:
    readme = (REPO / "README.md").read_text()
    [block] = [b for b in re.findall(r"```bash\n(.*?)```", readme, re.S) if "sandbox serve" in b]
    return block.strip().splitlines()


@pytest.mark.docker
@pytest.mark.slow
def test_the_readme_service_commands_serve_and_answer() -> None:
    export, serve, call = _readme_service_block()
    assert export.startswith("export FACTORY_SANDBOX_TOKEN=")
    assert serve.endswith("&") and call.startswith("curl ")
    # The README's lines as written; between them only what a reader does by eye: wait for the
    # service to answer, and stop it at the end.
    script = "\n".join(
        [
            export,
            serve,
            "server=$!",
            'trap \'kill "$server"; wait "$server"\' EXIT',
            "for _ in $(seq 240); do"
            " curl -sf http://127.0.0.1:8080/health >/dev/null && break; sleep 0.5; done",
            call,
        ]
    )
    env = {k: v for k, v in os.environ.items() if k != "FACTORY_SANDBOX_TOKEN"}
    done = subprocess.run(
        ["bash", "-c", script],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer["status"] == "Success", answer
    assert answer["run_result"]["stdout"] == "desserts\n"
    assert answer["run_result"]["return_code"] == 0
