"""Turn the fork server's raw record of a job into a verdict.

The record lists which tests ran and how each ended, as the trusted runner saw them, plus what
happened to the processes. Nothing the candidate prints and no exit status can produce a pass:
`passed` needs at least one recorded test and every recorded test passed (or was skipped).
"""

import base64
import signal
from typing import Any

from factory.sandbox.job import ExecutionOutcome, RunOutcome, StepOutcome, TestOutcome
from factory.vocab import Verdict

# Share of the memory limit above which a SIGKILLed worker is taken as killed for memory.
_OOM_SHARE = 0.9


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def decide(report: dict[str, Any], *, memory_mb: int) -> tuple[Verdict, str | None]:
    """(verdict, error_type) for one server report; see the module docstring for the rules."""
    tests = report.get("tests") or []
    if report.get("harness_error"):
        return Verdict.SANDBOX_ERROR, "HarnessError"
    if report.get("kind") == "program":
        return decide_program(report, memory_mb=memory_mb)
    if report.get("timed_out"):
        return Verdict.TIMEOUT, None
    if report.get("runner_lost"):
        number = report.get("runner_signal")
        if number is None:
            return Verdict.SANDBOX_ERROR, "RunnerLost"
        # Only the candidate's processes share the runner's user: it was killed from there.
        return Verdict.KILLED, _signal_name(number)
    if report.get("test_code_error"):
        return Verdict.ERROR, "TestCodeError"
    load_error = report.get("load_error")
    if load_error and report.get("compile_failed"):
        return Verdict.COMPILE_ERROR, str(load_error[0])
    if load_error:
        error_type = str(load_error[0])
        if error_type == "MemoryError":
            return Verdict.OUT_OF_MEMORY, error_type
        return Verdict.ERROR, error_type
    if report.get("worker_gone"):
        number = report.get("worker_signal")
        if number is None:
            return Verdict.ERROR, f"exit({report.get('worker_exit')})"
        if number == signal.SIGXCPU:
            return Verdict.TIMEOUT, "SIGXCPU"
        peak_kb = report.get("peak_memory_kb") or 0
        if number == signal.SIGKILL and peak_kb >= _OOM_SHARE * memory_mb * 1024:
            return Verdict.OUT_OF_MEMORY, "SIGKILL"
        return Verdict.KILLED, _signal_name(number)
    outcomes = [test[1] for test in tests]
    error_types = [test[4] for test in tests if test[1] == "error"]
    if "MemoryError" in error_types:
        return Verdict.OUT_OF_MEMORY, "MemoryError"
    if "failed" in outcomes:
        return Verdict.FAILED, "AssertionError"
    if error_types:
        return Verdict.ERROR, error_types[0]
    if "passed" not in outcomes:
        return Verdict.ERROR, "NoTestsRan"
    return Verdict.PASSED, None


# What runtimes print when they run out of memory without being killed for it.
_OOM_MARKERS = (
    "java.lang.OutOfMemoryError",
    "fatal error: runtime: out of memory",
    "JavaScript heap out of memory",
    "memory allocation of",  # Rust's allocation failure
    "std::bad_alloc",
    "Cannot allocate memory",
    "failed to allocate memory",  # Ruby
    "Allowed memory size of",  # PHP
)


def _tests_verdict(tests: list[Any]) -> tuple[Verdict, str | None]:
    outcomes = [test[1] for test in tests]
    if "failed" in outcomes:
        return Verdict.FAILED, "AssertionError"
    error_types = [test[4] or "Error" for test in tests if test[1] == "error"]
    if error_types:
        return Verdict.ERROR, error_types[0]
    if "passed" not in outcomes:
        return Verdict.ERROR, "NoTestsRan"
    return Verdict.PASSED, None


def _compile_problem(steps: list[dict[str, Any]]) -> str | None:
    """The error type of the first compile step that failed, or None when all succeeded."""
    for step in steps:
        if step.get("timed_out"):
            return "CompileTimeout"
        if step.get("signal") is not None:
            peak_kb = step.get("peak_memory_kb") or 0
            return f"compiler {_signal_name(step['signal'])}" + (" (memory)" if peak_kb else "")
        if step.get("status"):
            return "CompileError"
    return None


def decide_program(report: dict[str, Any], *, memory_mb: int) -> tuple[Verdict, str | None]:
    """A program job: compile steps, then a run whose harness reports over its own channel.

    `passed` needs the harness's closing line (`complete`) and every reported test passed or
    skipped; the exit status never makes a pass. A run that ends without the closing line is a
    timeout, out of memory, failed (a test already failed, or the test program aborted on an
    assertion) or an error that names how it ended (`EarlyExit` for status 0)."""
    problem = _compile_problem(report.get("compile") or [])
    if problem is not None:
        return Verdict.COMPILE_ERROR, problem
    run = report.get("run")
    if run is None:
        return Verdict.SANDBOX_ERROR, "NoRun"
    tests = report.get("tests") or []
    if report.get("complete"):
        return _tests_verdict(tests)
    if run.get("timed_out"):
        return Verdict.TIMEOUT, None
    number = run.get("signal")
    output = str(report.get("stderr") or "") + str(report.get("stdout") or "")[-4000:]
    peak_kb = run.get("peak_memory_kb") or 0
    if any(marker in output for marker in _OOM_MARKERS) or (
        number == signal.SIGKILL and peak_kb >= _OOM_SHARE * memory_mb * 1024
    ):
        return Verdict.OUT_OF_MEMORY, "OutOfMemory"
    if number == signal.SIGXCPU:
        return Verdict.TIMEOUT, "SIGXCPU"
    if any(test[1] == "failed" for test in tests):
        return Verdict.FAILED, "AssertionError"
    if number == signal.SIGABRT or (report.get("exit_fails") and run.get("status")):
        # The test program's own assert aborted it (C's assert, a failed MultiPL-E check).
        return Verdict.FAILED, "AssertionError" if number is None else "SIGABRT"
    if number is not None:
        return Verdict.KILLED if number == signal.SIGKILL else Verdict.ERROR, _signal_name(number)
    status = run.get("status")
    if report.get("report_error"):
        return Verdict.ERROR, "ReportTooLarge"
    return Verdict.ERROR, "EarlyExit" if status == 0 else f"exit({status})"


def outcome_from_report(
    report: dict[str, Any], *, memory_mb: int, backend: str, image: str
) -> ExecutionOutcome:
    verdict, error_type = decide(report, memory_mb=memory_mb)
    tests = [
        TestOutcome(str(name), str(state), str(message), float(duration))
        for name, state, message, duration, *_ in report.get("tests") or []
    ]
    stderr = report.get("stderr") or ""
    if verdict == Verdict.ERROR and error_type == "TestCodeError":
        stderr = (stderr + "\n" if stderr else "") + str(report["test_code_error"])
    elif report.get("load_error"):
        stderr = (stderr + "\n" if stderr else "") + ": ".join(map(str, report["load_error"]))
    elif report.get("harness_error"):
        stderr = (stderr + "\n" if stderr else "") + str(report["harness_error"])
    compile_output = str(report.get("compile_output") or "")
    if report.get("compile_failed") and report.get("load_error"):
        compile_output = ": ".join(map(str, report["load_error"]))
    if verdict == Verdict.COMPILE_ERROR and error_type == "CompileTimeout":
        compile_output += "\n(the compile steps ran out of time)"
    return ExecutionOutcome(
        compile_output=compile_output,
        compile_time_s=float(report.get("compile_time_s") or 0.0),
        verdict=verdict,
        tests=tests,
        error_type=error_type,
        stdout=report.get("stdout") or "",
        stderr=stderr,
        wall_time_s=float(report.get("wall_time_s") or 0.0),
        peak_memory_kb=int(report.get("peak_memory_kb") or 0),
        backend=backend,
        image=image,
    )


# -- Runs (RunJob): no tests, so how the program ended is the whole story ---------------------


def decide_run(report: dict[str, Any], *, memory_mb: int) -> tuple[Verdict, str | None]:
    """A run's summary: `passed` for exit status 0, `error` naming any other status; a compile
    failure, the deadline, memory and signals as for program jobs."""
    if report.get("harness_error"):
        return Verdict.SANDBOX_ERROR, "HarnessError"
    problem = _compile_problem(report.get("compile") or [])
    if problem is not None:
        return Verdict.COMPILE_ERROR, problem
    run = report.get("run")
    if run is None:
        return Verdict.SANDBOX_ERROR, "NoRun"
    number = run.get("signal")
    if run.get("timed_out") or number == signal.SIGXCPU:
        return Verdict.TIMEOUT, None if run.get("timed_out") else "SIGXCPU"
    status = run.get("status")
    if number is None and status == 0:
        return Verdict.PASSED, None
    stderr = str(report.get("stderr") or "")
    peak_kb = run.get("peak_memory_kb") or 0
    if any(marker in stderr for marker in _OOM_MARKERS) or (
        number == signal.SIGKILL and peak_kb >= _OOM_SHARE * memory_mb * 1024
    ):
        return Verdict.OUT_OF_MEMORY, "OutOfMemory"
    if number is not None:
        return Verdict.KILLED if number == signal.SIGKILL else Verdict.ERROR, _signal_name(number)
    return Verdict.ERROR, f"exit({status})"


def _exit_code(facts: dict[str, Any]) -> int | None:
    """A step's status, or minus its signal's number (as Python's subprocess reports it)."""
    if facts.get("signal") is not None:
        return -int(facts["signal"])
    status = facts.get("status")
    return None if status is None else int(status)


def run_outcome_from_report(
    report: dict[str, Any], *, memory_mb: int, backend: str, image: str
) -> RunOutcome:
    verdict, error_type = decide_run(report, memory_mb=memory_mb)
    steps = report.get("compile") or []
    compile_step = None
    if steps:
        last = steps[-1]
        compile_step = StepOutcome(
            timed_out=any(step.get("timed_out") for step in steps),
            exit_code=None if last.get("timed_out") else _exit_code(last),
            time_s=float(report.get("compile_time_s") or 0.0),
            stdout="",
            stderr=str(report.get("compile_output") or ""),
        )
    run = report.get("run")
    run_step = None
    if run is not None:
        timed_out = bool(run.get("timed_out")) or run.get("signal") == signal.SIGXCPU
        run_step = StepOutcome(
            timed_out=timed_out,
            exit_code=None if timed_out else _exit_code(run),
            time_s=float(run.get("time_s") or 0.0),
            stdout=str(report.get("stdout") or ""),
            stderr=str(report.get("stderr") or ""),
        )
    fetched = report.get("fetched") or {}
    return RunOutcome(
        verdict=verdict,
        error_type=error_type,
        compile=compile_step,
        run=run_step,
        files={name: base64.b64decode(data) for name, data in fetched.items()},
        missing_files=tuple(report.get("fetch_missing") or ()),
        peak_memory_kb=int(report.get("peak_memory_kb") or 0),
        output_truncated=bool(report.get("output_truncated")),
        message=str(report.get("harness_error") or "") if verdict == Verdict.SANDBOX_ERROR else "",
        backend=backend,
        image=image,
    )
