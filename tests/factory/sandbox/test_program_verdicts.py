"""decide_program: only the harness's channel can make a pass; how a run ended names the rest."""

import signal

import pytest

from factory.sandbox.verdicts import decide_program, outcome_from_report
from factory.vocab import Verdict

PASS = ["adds", "passed", "", 0.01, ""]
FAIL = ["adds", "failed", "check failed", 0.01, "AssertionError"]


def report(**fields: object) -> dict:
    base: dict = {"kind": "program", "compile": [{"status": 0, "timed_out": False}], "tests": []}
    base["run"] = fields.pop("run", {"status": 0, "timed_out": False})
    return {**base, **fields}


def test_a_complete_run_with_every_test_passed_passes() -> None:
    assert decide_program(report(tests=[PASS], complete=True), memory_mb=256) == (
        Verdict.PASSED,
        None,
    )


def test_status_zero_without_the_closing_line_is_an_early_exit_not_a_pass() -> None:
    assert decide_program(report(tests=[PASS], complete=False), memory_mb=256) == (
        Verdict.ERROR,
        "EarlyExit",
    )


def test_a_complete_run_without_tests_is_an_error() -> None:
    assert decide_program(report(complete=True), memory_mb=256) == (Verdict.ERROR, "NoTestsRan")


def test_a_failed_test_fails_the_run_even_if_it_then_crashed() -> None:
    crashed = report(tests=[FAIL], run={"signal": signal.SIGSEGV, "timed_out": False})
    assert decide_program(crashed, memory_mb=256)[0] == Verdict.FAILED


def test_a_compile_step_that_fails_or_times_out_is_a_compile_error() -> None:
    failed = report(compile=[{"status": 1, "timed_out": False}])
    slow = report(compile=[{"timed_out": True}])
    assert decide_program(failed, memory_mb=256) == (Verdict.COMPILE_ERROR, "CompileError")
    assert decide_program(slow, memory_mb=256) == (Verdict.COMPILE_ERROR, "CompileTimeout")


@pytest.mark.parametrize(
    ("run", "extra", "expected"),
    [
        ({"timed_out": True}, {}, (Verdict.TIMEOUT, None)),
        ({"signal": signal.SIGXCPU, "timed_out": False}, {}, (Verdict.TIMEOUT, "SIGXCPU")),
        (
            {"status": 1, "timed_out": False},
            {"stderr": "Exception in thread main java.lang.OutOfMemoryError: Java heap space"},
            (Verdict.OUT_OF_MEMORY, "OutOfMemory"),
        ),
        (
            {"signal": signal.SIGKILL, "timed_out": False, "peak_memory_kb": 250 * 1024},
            {},
            (Verdict.OUT_OF_MEMORY, "OutOfMemory"),
        ),
        ({"signal": signal.SIGKILL, "timed_out": False}, {}, (Verdict.KILLED, "SIGKILL")),
        ({"signal": signal.SIGSEGV, "timed_out": False}, {}, (Verdict.ERROR, "SIGSEGV")),
        ({"signal": signal.SIGABRT, "timed_out": False}, {}, (Verdict.FAILED, "SIGABRT")),
        ({"status": 3, "timed_out": False}, {}, (Verdict.ERROR, "exit(3)")),
        (
            {"status": 1, "timed_out": False},
            {"exit_fails": True},
            (Verdict.FAILED, "AssertionError"),
        ),
    ],
)
def test_an_incomplete_run_is_named_by_how_it_ended(
    run: dict, extra: dict, expected: tuple[Verdict, str | None]
) -> None:
    assert decide_program(report(run=run, **extra), memory_mb=256) == expected


def test_the_outcome_keeps_the_compiler_output_apart() -> None:
    outcome = outcome_from_report(
        report(
            compile=[{"status": 1, "timed_out": False}],
            compile_output="solution.c:1: error: expected ';'",
            compile_time_s=0.2,
            stderr="",
        ),
        memory_mb=256,
        backend="bwrap",
        image="x",
    )
    assert outcome.verdict == Verdict.COMPILE_ERROR
    assert "expected ';'" in outcome.compile_output
    assert outcome.compile_time_s == 0.2
    assert outcome.stderr == ""
