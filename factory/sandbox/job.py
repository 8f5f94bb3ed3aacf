"""What goes into the sandbox and what comes out: plain, typed, immutable data."""

from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from factory.vocab import Verdict

# pytest and check are Python's; native is a language's own test form (JUnit 5, `go test`, Rust
# `#[test]`, node:test, bats, …); program is HumanEval-X / MultiPL-E: candidate plus an appended
# test program whose run to the end is the one test. factory.languages says which language
# takes which.
TestStyle = Literal["pytest", "check", "native", "program"]
TEST_STYLES: tuple[str, ...] = ("pytest", "check", "native", "program")


@dataclass(frozen=True, slots=True)
class ExecutionJob:
    """One candidate to run against one prompt's tests.

    For Python, `tests` is pytest source (test functions that call the candidate's names
    directly or import them from `solution`) or, for HumanEval, source defining
    `check(candidate)` with asserts. Other languages take the forms their module in
    factory.languages documents. `compile_timeout_s` bounds all compile steps together and is
    apart from `timeout_s`, which bounds the run.
    """

    code: str
    tests: str
    entry_point: str = ""
    test_style: TestStyle = "pytest"
    timeout_s: float = 10.0
    memory_mb: int = 512
    language: str = "python"
    compile_timeout_s: float = 60.0

    def __post_init__(self) -> None:
        if self.test_style not in TEST_STYLES:
            raise ValueError(f"test_style must be one of {TEST_STYLES}, not {self.test_style!r}")
        if self.test_style == "check" and not self.entry_point:
            raise ValueError("HumanEval-style ('check') tests need the candidate's entry_point")
        if self.timeout_s <= 0 or self.memory_mb <= 0 or self.compile_timeout_s <= 0:
            raise ValueError("timeout_s, compile_timeout_s and memory_mb must be positive")


class TestOutcome(NamedTuple):
    """One test as the harness recorded it: passed | failed | error | skipped."""

    name: str
    outcome: str
    message: str
    duration_s: float


@dataclass(frozen=True, slots=True)
class ExecutionOutcome:
    verdict: Verdict
    tests: list[TestOutcome] = field(default_factory=list)
    error_type: str | None = None
    stdout: str = ""
    stderr: str = ""
    wall_time_s: float = 0.0
    peak_memory_kb: int = 0
    backend: str = ""
    image: str = ""
    compile_output: str = ""  # what the compiler printed (program languages), kept apart
    compile_time_s: float = 0.0

    @property
    def tests_total(self) -> int:
        return len(self.tests)

    @property
    def tests_passed(self) -> int:
        return sum(1 for test in self.tests if test.outcome == "passed")

    def as_json(self, *, stderr_tail: int = 2000) -> dict[str, Any]:
        """The outcome as `factory sandbox check` prints it and the sandbox service returns it:
        verdict, per-test results, compiler output, the end of stderr and the timings."""
        return {
            "verdict": str(self.verdict),
            "error_type": self.error_type,
            "tests_passed": self.tests_passed,
            "tests_total": self.tests_total,
            "tests": [
                {
                    "name": test.name,
                    "outcome": test.outcome,
                    "message": test.message,
                    "duration_s": round(test.duration_s, 6),
                }
                for test in self.tests
            ],
            "compile_output": self.compile_output,
            "stderr": self.stderr[-stderr_tail:],
            "timings": {
                "compile_s": round(self.compile_time_s, 6),
                "run_s": round(max(self.wall_time_s - self.compile_time_s, 0.0), 6),
                "wall_s": round(self.wall_time_s, 6),
            },
            "backend": self.backend,
            "image": self.image,
        }


# -- Program runs: a program with stdin in, stdout out, no tests ------------------------------


def job_path(name: str, what: str) -> str:
    """`name` as a path inside a job's working directory; ValueError naming it otherwise."""
    parts = name.split("/")
    if not name or name.startswith("/") or "\\" in name or "\0" in name:
        raise ValueError(f"{what} {name!r} must be a relative path inside the job's directory")
    if any(part in ("", ".", "..") for part in parts):
        raise ValueError(f"{what} {name!r} must not contain empty, '.' or '..' parts")
    return name


@dataclass(frozen=True, slots=True)
class RunJob:
    """One program to compile (where its language needs it) and run once: `stdin` in, its exit
    status, output and the files named in `fetch_files` out. No tests and no harness: how it
    ended is all there is to tell, so it is never a candidate's verdict (see `RunOutcome`).

    `files` are written into the working directory beside the program before it is built;
    `fetch_files` are read back from there after every process of the run is gone.
    """

    code: str
    language: str = "python"
    stdin: str = ""
    files: dict[str, bytes] = field(default_factory=dict)
    fetch_files: tuple[str, ...] = ()
    timeout_s: float = 10.0
    compile_timeout_s: float = 10.0
    memory_mb: int = 512

    def __post_init__(self) -> None:
        if self.timeout_s <= 0 or self.memory_mb <= 0 or self.compile_timeout_s <= 0:
            raise ValueError("timeout_s, compile_timeout_s and memory_mb must be positive")
        for name in self.files:
            job_path(name, "file")
        for name in self.fetch_files:
            job_path(name, "fetched file")


class StepOutcome(NamedTuple):
    """One step of a run (the compile, or the program itself)."""

    timed_out: bool  # killed at its deadline (or for its CPU time)
    exit_code: int | None  # its status; minus the signal's number when a signal ended it
    time_s: float
    stdout: str
    stderr: str


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """How a `RunJob` ended. `verdict` sums it up in the sandbox's vocabulary: `passed` means
    only that the program exited with status 0 (there were no tests), `error` a nonzero status;
    `compile_error`, `timeout`, `out_of_memory`, `killed` and `sandbox_error` as for jobs."""

    verdict: Verdict
    error_type: str | None = None
    compile: StepOutcome | None = None  # None where the language compiles nothing
    run: StepOutcome | None = None  # None when the compile failed or the sandbox did
    files: dict[str, bytes] = field(default_factory=dict)
    missing_files: tuple[str, ...] = ()  # asked for but absent, not regular or too large
    peak_memory_kb: int = 0
    output_truncated: bool = False
    message: str = ""  # the sandbox's own failure, when there was one
    backend: str = ""
    image: str = ""
