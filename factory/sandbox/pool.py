"""A pool of warm fork servers shared by concurrent jobs, with recycling and one retry.

Each backend supplies a `Launcher` (how to start one isolated fork server); the pool keeps
`pool_size` of them warm, hands one to each job, recycles a server after `recycle_after` jobs
or after any anomaly, and retries a job once on a fresh server when the factory (not the
candidate) failed. A job that fails twice that way gets the `sandbox_error` verdict.
"""

import base64
import json
import logging
import queue
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from factory.sandbox.job import ExecutionJob, ExecutionOutcome, RunJob, RunOutcome
from factory.sandbox.process import ServerFailure, ServerProcess
from factory.sandbox.verdicts import outcome_from_report, run_outcome_from_report
from factory.settings import SandboxSettings
from factory.vocab import Verdict

if TYPE_CHECKING:
    from factory.languages.base import Program

log = logging.getLogger(__name__)
T = TypeVar("T")

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
        grace = job.compile_timeout_s if job.language != "python" else 0.0
        try:
            header, code, tests = self._exchange(job)  # built once, sent on every attempt
        except (KeyError, ValueError) as exc:  # a job no plug-in can run: the caller's error
            raise ValueError(str(exc).strip('"')) from None

        def judge(report: dict[str, Any]) -> tuple[ExecutionOutcome, str | None]:
            outcome = outcome_from_report(
                report, memory_mb=job.memory_mb, backend=self.backend, image=self.image
            )
            return outcome, outcome.stderr if outcome.verdict == Verdict.SANDBOX_ERROR else None

        timeout_s = job.timeout_s + grace + _EXCHANGE_GRACE_S
        outcome, failure = self._submit(header, code, tests, timeout_s, judge)
        if outcome is not None:
            return outcome
        return ExecutionOutcome(
            verdict=Verdict.SANDBOX_ERROR,
            error_type="SandboxFailure",
            stderr=failure[-self.settings.output_limit_bytes :],
            backend=self.backend,
            image=self.image,
        )

    def run_program(self, job: RunJob) -> RunOutcome:
        """Build and run one program for its own sake (a `RunJob`): same servers, isolation,
        limits and cleanup as a judged job, and the same one retry when the factory failed."""
        if self._closed:
            raise RuntimeError("the sandbox is closed")
        from factory.languages import language

        try:
            program = language(job.language).run_program(job)
        except (KeyError, ValueError) as exc:
            raise ValueError(str(exc).strip('"')) from None
        clash = sorted(set(job.files) & set(program.files))
        if clash:
            raise ValueError(f"file {clash[0]!r} is one the {job.language} program writes itself")
        header = dict(
            self._program_header(job.timeout_s, job.compile_timeout_s, job.memory_mb, program),
            mode="run",
        )
        payload = {
            "files": program.files,
            "binary": {name: base64.b64encode(data).decode() for name, data in job.files.items()},
            "stdin": job.stdin,
            "fetch": list(job.fetch_files),
        }

        def judge(report: dict[str, Any]) -> tuple[RunOutcome, str | None]:
            outcome = run_outcome_from_report(
                report, memory_mb=job.memory_mb, backend=self.backend, image=self.image
            )
            return outcome, outcome.message if outcome.verdict == Verdict.SANDBOX_ERROR else None

        timeout_s = job.timeout_s + job.compile_timeout_s + _EXCHANGE_GRACE_S
        outcome, failure = self._submit(header, "", json.dumps(payload), timeout_s, judge)
        if outcome is not None:
            return outcome
        return RunOutcome(
            verdict=Verdict.SANDBOX_ERROR,
            error_type="SandboxFailure",
            message=failure[-self.settings.output_limit_bytes :],
            backend=self.backend,
            image=self.image,
        )

    def state(self) -> dict[str, Any]:
        """The pool as it stands: servers started (of pool_size) and idle, for health checks."""
        with self._lock:
            started = self._started
        return {
            "backend": self.backend,
            "image": self.image,
            "pool_size": self.settings.pool_size,
            "servers_started": started,
            "servers_idle": self._idle.qsize(),
            "closed": self._closed,
        }

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
        header = self._program_header(job.timeout_s, job.compile_timeout_s, job.memory_mb, program)
        return header, "", json.dumps({"files": program.files})

    def _program_header(
        self, timeout_s: float, compile_timeout_s: float, memory_mb: int, program: "Program"
    ) -> dict[str, Any]:
        return {
            "kind": "program",
            "timeout_s": timeout_s,
            "compile_timeout_s": compile_timeout_s,
            "memory_mb": memory_mb,
            "address_space_mb": (
                memory_mb if program.address_space_mb is None else program.address_space_mb
            ),
            "compile_address_space_mb": program.compile_address_space_mb or 0,
            "output_limit": self.settings.output_limit_bytes,
            "max_file_bytes": self.settings.max_file_mb * 1024 * 1024,
            "compile": [list(step) for step in program.compile],
            "run": list(program.run),
            "env": program.env,
            "exit_fails": program.exit_fails,
        }

    def _submit(
        self,
        header: dict[str, Any],
        code: str,
        tests: str,
        timeout_s: float,
        judge: Callable[[dict[str, Any]], tuple[T, str | None]],
    ) -> tuple[T | None, str]:
        """Send one job, with one retry on a fresh server when the factory failed: (what
        `judge` made of the report, "") or (None, the last failure). `judge` returns its value
        and, when the report shows the sandbox's own failure, that failure's text."""
        failure = ""
        for _attempt in range(2):
            server = None
            try:
                server = self._acquire()
                report = server.submit(header, code, tests, timeout_s=timeout_s)
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
            value, problem = judge(report)
            if problem is None:
                return value, ""
            failure = problem
        return None, failure

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
