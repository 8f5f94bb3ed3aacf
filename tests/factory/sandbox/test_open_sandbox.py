"""Choosing a backend: never unsafe by accident, clear errors when nothing can isolate."""

import pytest

from factory.errors import SandboxUnavailableError
from factory.sandbox import ExecutionJob, open_sandbox
from factory.settings import SandboxSettings
from factory.vocab import Verdict


def test_unknown_backend_is_refused() -> None:
    with pytest.raises(SandboxUnavailableError, match="unknown sandbox backend 'podman'"):
        open_sandbox(SandboxSettings(backend="podman"))


def test_auto_never_falls_back_to_unsafe_local(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:1")  # nothing listens there
    with pytest.raises(SandboxUnavailableError) as raised:
        open_sandbox(SandboxSettings(backend="auto", rootfs="/nonexistent-rootfs"))
    message = str(raised.value)
    assert "docker sandbox unavailable" in message
    assert "bwrap sandbox unavailable" in message
    assert "unsafe-local" in message  # says how to opt in, without doing it


def test_missing_image_names_the_build_script() -> None:
    with pytest.raises(SandboxUnavailableError, match="build-sandbox-image.sh"):
        open_sandbox(SandboxSettings(backend="docker", image="factory-sandbox:does-not-exist"))


def test_unsafe_local_runs_only_when_asked_for_by_name() -> None:
    job = ExecutionJob(
        code="def inc(x):\n    return x + 1\n",
        tests="def check(candidate):\n    assert candidate(1) == 2\n",
        entry_point="inc",
        test_style="check",
    )
    with open_sandbox(SandboxSettings(backend="unsafe-local", pool_size=1)) as sandbox:
        outcome = sandbox.run(job)
    assert outcome.verdict == Verdict.PASSED
    assert outcome.backend == "unsafe-local"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"test_style": "nose"}, "test_style must be one of"),
        ({"test_style": "check", "entry_point": ""}, "need the candidate's entry_point"),
        ({"timeout_s": 0}, "must be positive"),
    ],
)
def test_bad_jobs_are_refused_before_running(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ExecutionJob(code="x = 1", tests="", **kwargs)
