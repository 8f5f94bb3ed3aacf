"""A pool of warm fork servers shared by concurrent jobs, with recycling and one retry.

Each backend supplies a `Launcher` (how to start one isolated fork server); the pool keeps
`pool_size` of them warm, hands one to each job, recycles a server after `recycle_after` jobs
or after any anomaly, and retries a job once on a fresh server when the factory (not the
candidate) failed. A job that fails twice that way gets the `sandbox_error` verdict.
"""

import json
import logging
import queue
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from factory.sandbox.job import ExecutionJob, ExecutionOutcome
from factory.sandbox.process import ServerFailure, ServerProcess
from factory.sandbox.verdicts import outcome_from_report
from factory.settings import SandboxSettings
from factory.vocab import Verdict

log = logging.getLogger(__name__)

# Host-side bound on one exchange, on top of the job's own timeout: generous, it only catches a
# server that hangs (the server enforces the job's timeout itself).
_EXCHANGE_GRACE_S = 30.0


class Launcher(Protocol):
    backend: str
    image: str

    def start(self, slot: int) -> ServerProcess:
        """Start a server for pool slot `slot` (0 .. pool_size - 1, one live server each)."""
        ...


class PooledSandbox:
    """The `Sandbox` implementation shared by the docker, bwrap and unsafe-local backends."""

    def __init__(self, launcher: Launcher, settings: SandboxSettings) -> None:
        self.launcher = launcher
        self.settings = settings
        self.backend = launcher.backend
        self.image = launcher.image
        self._idle: queue.Queue[ServerProcess] = queue.Queue()
        self._lock = threading.Lock()
        self._started = 0
        self._free_slots = set(range(settings.pool_size))
        self._slot_of: dict[ServerProcess, int] = {}
        self._closed = False
        self._all: set[ServerProcess] = set()

    # -- Sandbox protocol ----------------------------------------------------------------------

    def run(self, job: ExecutionJob) -> ExecutionOutcome:
        if self._closed:
            raise RuntimeError("the sandbox is closed")
        failure = ""
        grace = job.compile_timeout_s if job.language != "python" else 0.0
        try:
            header, code, tests = self._exchange(job)  # built once, sent on every attempt
        except (KeyError, ValueError) as exc:  # a job no plug-in can run: the caller's error
            raise ValueError(str(exc).strip('"')) from None
        for _attempt in range(2):
            server = None
            try:
                server = self._acquire()
                report = server.submit(
                    header, code, tests, timeout_s=job.timeout_s + grace + _EXCHANGE_GRACE_S
                )
            except ServerFailure as exc:
                failure = str(exc)
                log.warning("sandbox server failed, replacing it: %s", exc)
                if server is not None:
                    self._discard(server)
                continue
            if report.get("anomaly") or server.runs >= self.settings.recycle_after:
                self._discard(server)
            else:
                self._idle.put(server)
            outcome = outcome_from_report(
                report, memory_mb=job.memory_mb, backend=self.backend, image=self.image
            )
            if outcome.verdict != Verdict.SANDBOX_ERROR:
                return outcome
            failure = outcome.stderr
        return ExecutionOutcome(
            verdict=Verdict.SANDBOX_ERROR,
            error_type="SandboxFailure",
            stderr=failure[-self.settings.output_limit_bytes :],
            backend=self.backend,
            image=self.image,
        )

    def run_many(self, jobs: Iterable[ExecutionJob]) -> list[ExecutionOutcome]:
        jobs = list(jobs)
        if not jobs:
            return []
        with ThreadPoolExecutor(max_workers=self.settings.pool_size) as executor:
            return list(executor.map(self.run, jobs))

    def warm_up(self) -> None:
        """Start every server of the pool now rather than on first use."""
        with ThreadPoolExecutor(max_workers=self.settings.pool_size) as executor:
            servers = list(executor.map(lambda _: self._acquire(), range(self.settings.pool_size)))
        for server in servers:
            self._idle.put(server)

    def close(self) -> None:
        self._closed = True
        with self._lock:
            servers = list(self._all)
            self._all.clear()
        for server in servers:
            server.close()

    def __enter__(self) -> "PooledSandbox":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    # -- internals -----------------------------------------------------------------------------

    def _exchange(self, job: ExecutionJob) -> tuple[dict[str, Any], str, str]:
        """(header, code, tests) for the server: Python's own path, or a language's program."""
        if job.language == "python":
            return self._job_header(job), job.code, job.tests
        from factory.languages import language

        program = language(job.language).program(job)
        header = {
            "kind": "program",
            "timeout_s": job.timeout_s,
            "compile_timeout_s": job.compile_timeout_s,
            "memory_mb": job.memory_mb,
            "address_space_mb": (
                job.memory_mb if program.address_space_mb is None else program.address_space_mb
            ),
            "compile_address_space_mb": program.compile_address_space_mb or 0,
            "output_limit": self.settings.output_limit_bytes,
            "max_file_bytes": self.settings.max_file_mb * 1024 * 1024,
            "compile": [list(step) for step in program.compile],
            "run": list(program.run),
            "env": program.env,
            "exit_fails": program.exit_fails,
        }
        return header, "", json.dumps({"files": program.files})

    def _job_header(self, job: ExecutionJob) -> dict[str, Any]:
        return {
            "entry_point": job.entry_point,
            "test_style": job.test_style,
            "timeout_s": job.timeout_s,
            "memory_mb": job.memory_mb,
            "output_limit": self.settings.output_limit_bytes,
            "max_file_bytes": self.settings.max_file_mb * 1024 * 1024,
        }

    def _acquire(self) -> ServerProcess:
        with self._lock:
            start_new = self._idle.empty() and self._started < self.settings.pool_size
            if start_new:
                self._started += 1
                slot = min(self._free_slots)
                self._free_slots.discard(slot)
        if not start_new:
            return self._idle.get()
        try:
            server = self.launcher.start(slot)
        except BaseException:
            with self._lock:
                self._started -= 1
                self._free_slots.add(slot)
            raise
        with self._lock:
            self._all.add(server)
            self._slot_of[server] = slot
        return server

    def _discard(self, server: ServerProcess) -> None:
        with self._lock:
            self._all.discard(server)
            self._started -= 1
            slot = self._slot_of.pop(server, None)
            if slot is not None:
                self._free_slots.add(slot)
        server.close()
