"""The docker backend's two ways to reach the engine: its API (the default) and the CLI."""

import pytest

from factory.errors import SandboxUnavailableError
from factory.sandbox import ExecutionJob, open_sandbox
from factory.settings import SandboxSettings
from factory.vocab import Verdict

pytestmark = pytest.mark.docker

JOB = ExecutionJob(
    code="def inc(x):\n    print('to stdout')\n    return x + 1\n",
    tests="def check(candidate):\n    assert candidate(1) == 2\n",
    entry_point="inc",
    test_style="check",
)


@pytest.mark.parametrize("context", [None, "default"], ids=["engine-api", "docker-cli"])
def test_jobs_run_the_same_through_the_api_and_the_cli(
    monkeypatch: pytest.MonkeyPatch, context: str | None
) -> None:
    if context is not None:
        # A docker context is only honoured by the CLI: the backend then goes through it.
        monkeypatch.setenv("DOCKER_CONTEXT", context)
    try:
        sandbox = open_sandbox(SandboxSettings(backend="docker", pool_size=1))
    except SandboxUnavailableError as exc:
        pytest.skip(f"docker backend unavailable here: {exc}")
    with sandbox:
        assert (sandbox.launcher.client is None) == (context is not None)
        outcome = sandbox.run(JOB)
    assert outcome.verdict == Verdict.PASSED, outcome
    assert outcome.stdout == "to stdout\n"
    assert outcome.backend == "docker"
