"""Sandbox fixtures for every test directory: one warm pool per real backend (session-wide), skipped
only when the backend cannot run. Loaded by tests/conftest.py as a plug-in."""

from collections.abc import Iterator

import pytest

from factory.errors import SandboxUnavailableError
from factory.sandbox import open_sandbox
from factory.sandbox.pool import PooledSandbox
from factory.settings import SandboxSettings

HOSTILE_SETTINGS = dict(
    timeout_s=3.0,
    memory_mb=256,
    max_processes=48,
    pool_size=2,
    output_limit_bytes=4096,
    recycle_after=100_000,  # a server replaced is then always a failure the tests can see
)


def _pool(backend: str) -> Iterator[PooledSandbox]:
    try:
        sandbox = open_sandbox(SandboxSettings(backend=backend, **HOSTILE_SETTINGS))
    except SandboxUnavailableError as exc:
        pytest.skip(f"{backend} backend unavailable here: {exc}")
    with sandbox:
        yield sandbox


@pytest.fixture(scope="session")
def docker_sandbox() -> Iterator[PooledSandbox]:
    yield from _pool("docker")


@pytest.fixture(scope="session")
def bwrap_sandbox() -> Iterator[PooledSandbox]:
    yield from _pool("bwrap")


@pytest.fixture(
    params=[
        pytest.param("docker", marks=pytest.mark.docker),
        pytest.param("bwrap", marks=pytest.mark.bwrap),
    ]
)
def sandbox(request: pytest.FixtureRequest) -> PooledSandbox:
    return request.getfixturevalue(f"{request.param}_sandbox")
