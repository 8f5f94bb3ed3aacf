"""How the fork server's raw record of a job becomes a verdict (pure logic, no sandbox)."""

import signal

import pytest

from factory.sandbox.verdicts import decide, outcome_from_report
from factory.vocab import Verdict

PASS = ["line 2", "passed", "", 0.001, None]
FAIL = ["line 3", "failed", "AssertionError: assert f(1) == 2", 0.001, "AssertionError"]
RAISE = ["line 4", "error", "ValueError: bad", 0.001, "ValueError"]
NOMEM = ["line 5", "error", "MemoryError: ", 0.001, "MemoryError"]


@pytest.mark.parametrize(
    ("report", "expected"),
    [
        ({"tests": [PASS, PASS]}, (Verdict.PASSED, None)),
        ({"tests": [PASS, FAIL, RAISE]}, (Verdict.FAILED, "AssertionError")),
        ({"tests": [PASS, RAISE]}, (Verdict.ERROR, "ValueError")),
        ({"tests": [PASS, NOMEM, FAIL]}, (Verdict.OUT_OF_MEMORY, "MemoryError")),
        ({"tests": []}, (Verdict.ERROR, "NoTestsRan")),
        ({"tests": [["t", "skipped", "", 0.0, None]]}, (Verdict.ERROR, "NoTestsRan")),
        # What the candidate did to its process never turns into a pass.
        ({"tests": [PASS], "worker_gone": True, "worker_exit": 0}, (Verdict.ERROR, "exit(0)")),
        (
            {"tests": [PASS], "worker_gone": True, "worker_signal": signal.SIGSEGV},
            (Verdict.KILLED, "SIGSEGV"),
        ),
        (
            {"worker_gone": True, "worker_signal": signal.SIGKILL, "peak_memory_kb": 250_000},
            (Verdict.OUT_OF_MEMORY, "SIGKILL"),
        ),
        (
            {"worker_gone": True, "worker_signal": signal.SIGKILL, "peak_memory_kb": 20_000},
            (Verdict.KILLED, "SIGKILL"),
        ),
        (
            {"worker_gone": True, "worker_signal": signal.SIGXCPU},
            (Verdict.TIMEOUT, "SIGXCPU"),
        ),
        ({"tests": [PASS], "timed_out": True}, (Verdict.TIMEOUT, None)),
        ({"load_error": ["SyntaxError", "bad"]}, (Verdict.ERROR, "SyntaxError")),
        (
            {"load_error": ["SyntaxError", "bad"], "compile_failed": True},
            (Verdict.COMPILE_ERROR, "SyntaxError"),
        ),
        ({"load_error": ["MemoryError", ""]}, (Verdict.OUT_OF_MEMORY, "MemoryError")),
        ({"test_code_error": "NameError: x"}, (Verdict.ERROR, "TestCodeError")),
        ({"runner_lost": True, "runner_signal": 9}, (Verdict.KILLED, "SIGKILL")),
        ({"runner_lost": True}, (Verdict.SANDBOX_ERROR, "RunnerLost")),
        ({"tests": [PASS], "harness_error": "Traceback"}, (Verdict.SANDBOX_ERROR, "HarnessError")),
    ],
)
def test_decide(report: dict, expected: tuple) -> None:
    assert decide(report, memory_mb=256) == expected


def test_outcome_counts_tests_and_keeps_the_load_error_in_stderr() -> None:
    outcome = outcome_from_report(
        {"tests": [PASS, FAIL], "stdout": "hi", "wall_time_s": 0.5, "peak_memory_kb": 9},
        memory_mb=256,
        backend="docker",
        image="img",
    )
    assert (outcome.tests_total, outcome.tests_passed) == (2, 1)
    assert outcome.tests[1].message == "AssertionError: assert f(1) == 2"
    assert (outcome.stdout, outcome.peak_memory_kb, outcome.backend) == ("hi", 9, "docker")

    broken = outcome_from_report(
        {"load_error": ["SyntaxError", "invalid syntax (line 1)"]},
        memory_mb=256,
        backend="docker",
        image="img",
    )
    assert "invalid syntax" in broken.stderr
