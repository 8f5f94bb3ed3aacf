"""Run untrusted candidate code against its tests, isolated, and say what happened.

The public interface is small on purpose: build an `ExecutionJob`, get a `Sandbox` from
`open_sandbox(settings)`, call `run` or `run_many`, read the `ExecutionOutcome`. A `RunJob` (a
program with stdin, no tests; the sandbox service's /run_code) goes to `run_program`. Backends:
`docker` (the default where an engine is reachable), `bwrap` (bubblewrap, for machines without
one), `service` (replicas of `factory sandbox serve`, for machines with neither: runs in
containers, training nodes) and `unsafe-local` (no isolation; only when asked for by name). How
verdicts are protected from the candidate is described in `factory.sandbox.server`. Python runs
in the fork server's own runner; every other language is a plug-in of factory.languages, run as
a program job.
"""

import logging
from typing import Protocol, Self

from factory.errors import SandboxUnavailableError
from factory.sandbox.job import (
    TEST_STYLES,
    ExecutionJob,
    ExecutionOutcome,
    RunJob,
    RunOutcome,
    StepOutcome,
    TestOutcome,
)
from factory.sandbox.pool import PooledSandbox
from factory.settings import SandboxSettings, environment

__all__ = [
    "BACKENDS",
    "TEST_STYLES",
    "ExecutionJob",
    "ExecutionOutcome",
    "RunJob",
    "RunOutcome",
    "Sandbox",
    "StepOutcome",
    "TestOutcome",
    "open_pool",
    "open_sandbox",
]

log = logging.getLogger(__name__)

BACKENDS = ("auto", "docker", "bwrap", "service", "unsafe-local")


class Sandbox(Protocol):
    backend: str
    image: str

    def run(self, job: ExecutionJob) -> ExecutionOutcome: ...

    def run_many(self, jobs: list[ExecutionJob]) -> list[ExecutionOutcome]: ...

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc_info: object) -> None: ...


def open_sandbox(settings: SandboxSettings, *, token: str | None = None) -> Sandbox:
    """A sandbox with the backend `settings.backend` names ("auto": docker, else bwrap).
    `token` is the service backend's (None: FACTORY_SANDBOX_TOKEN).

    Raises SandboxUnavailableError when no isolating backend can run here; the unsafe local
    mode is never chosen automatically.
    """
    if settings.backend == "service":
        from factory.sandbox.service_client import ServiceSandbox

        return ServiceSandbox(
            settings, token=environment().sandbox_token if token is None else token
        )
    return open_pool(settings)


def open_pool(settings: SandboxSettings) -> PooledSandbox:
    """A pool of this machine's own sandboxes (what `factory sandbox serve` serves from)."""
    from factory.sandbox.bwrap_backend import BwrapLauncher
    from factory.sandbox.docker_backend import DockerLauncher
    from factory.sandbox.local_backend import LocalLauncher

    name = settings.backend
    if name not in BACKENDS:
        raise SandboxUnavailableError(f"unknown sandbox backend {name!r}; use one of {BACKENDS}")
    if name == "service":
        raise SandboxUnavailableError(
            "the 'service' backend sends jobs to other machines; a pool runs them here: choose "
            "docker, bwrap or auto"
        )
    if name == "docker":
        return PooledSandbox(DockerLauncher(settings), settings)
    if name == "bwrap":
        return PooledSandbox(BwrapLauncher(settings), settings)
    if name == "unsafe-local":
        log.warning("running candidates WITHOUT isolation (sandbox backend 'unsafe-local')")
        return PooledSandbox(LocalLauncher(settings), settings)
    problems = []
    for launcher_class in (DockerLauncher, BwrapLauncher):
        try:
            return PooledSandbox(launcher_class(settings), settings)
        except SandboxUnavailableError as exc:
            problems.append(str(exc))
    raise SandboxUnavailableError(
        "no isolating sandbox backend can run here ("
        + "; ".join(problems)
        + "); set sandbox.backend to 'unsafe-local' only on a trusted machine"
    )
