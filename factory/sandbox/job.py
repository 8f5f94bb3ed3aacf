"""What goes into the sandbox and what comes out: plain, typed, immutable data."""

from dataclasses import dataclass, field
from typing import Literal, NamedTuple

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
