"""The docker backend's two ways to reach the engine: its API (the default) and the CLI."""

from typing import Any

import docker
import pytest

from factory.errors import SandboxUnavailableError
from factory.sandbox import ExecutionJob, open_sandbox
from factory.sandbox.docker_backend import CONTAINER_LABEL
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
    # Other tests' session pools may be running: this pool's container is the one that is new.
    earlier = _sandbox_container_ids()
    try:
        sandbox = open_sandbox(SandboxSettings(backend="docker", pool_size=1))
    except SandboxUnavailableError as exc:
        pytest.skip(f"docker backend unavailable here: {exc}")
    with sandbox:
        assert (sandbox.launcher.client is None) == (context is not None)
        outcome = sandbox.run(JOB)
        settings = container_settings(earlier)
    assert outcome.verdict == Verdict.PASSED, outcome
    assert outcome.stdout == "to stdout\n"
    assert outcome.backend == "docker"
    # Either way the container is locked down the same way.
    assert settings == {
        "NetworkMode": "none",
        "ReadonlyRootfs": True,
        "Tmpfs": {"/tmp": "rw,exec,nosuid,nodev,size=256m,mode=1777"},
        "Memory": (2 * 512 + 256 + 256) * 1024 * 1024,
        "MemorySwap": (2 * 512 + 256 + 256) * 1024 * 1024,
        "PidsLimit": 64,
        "NanoCpus": 1_000_000_000,
        "CpusetCpus": "0",
        "CapDrop": ["ALL"],
        "SecurityOpt": ["no-new-privileges"],
        "IpcMode": "none",
        "LogConfig": "none",
        "Ulimits": [{"Name": "core", "Soft": 0, "Hard": 0}],
        "AutoRemove": True,
        "User": "65534:65534",
        "WorkingDir": "/tmp",
        "Env": None,  # not one variable, from the host or the image
    }


def _sandbox_container_ids() -> set[str]:
    client = docker.from_env()
    try:
        return {c.id for c in client.containers.list(filters={"label": CONTAINER_LABEL})}
    except docker.errors.DockerException:
        return set()
    finally:
        client.close()


def container_settings(earlier: set[str]) -> dict[str, Any]:
    """The isolation settings of the pool's one container, as the engine reports them."""
    client = docker.from_env()
    listed = client.containers.list(filters={"label": CONTAINER_LABEL})
    [container] = [c for c in listed if c.id not in earlier]
    host, config = container.attrs["HostConfig"], container.attrs["Config"]
    keys = ["NetworkMode", "ReadonlyRootfs", "Tmpfs", "Memory", "MemorySwap", "PidsLimit"]
    keys += ["NanoCpus", "CpusetCpus", "CapDrop", "SecurityOpt", "IpcMode", "Ulimits"]
    keys += ["AutoRemove"]
    settings = {key: host[key] for key in keys}
    settings["LogConfig"] = host["LogConfig"]["Type"]
    settings.update(User=config["User"], WorkingDir=config["WorkingDir"], Env=config["Env"])
    client.close()
    return settings
