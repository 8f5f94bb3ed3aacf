"""C and C++ through the real sandboxes: native TEST blocks, HumanEval-X programs, and the ways a
candidate could try to pass without passing."""

import pytest

from factory.sandbox import ExecutionJob
from factory.sandbox.job import TestStyle
from factory.sandbox.pool import PooledSandbox
from factory.vocab import Verdict

pytestmark = pytest.mark.slow

ADD = "int add(int a, int b) { return a + b; }\n"
WRONG = "int add(int a, int b) { return a - b; }\n"
NATIVE = "TEST(adds) { CHECK(add(2, 3) == 5); }\nTEST(zero) { assert(add(0, 0) == 0); }\n"
PROGRAM = "#undef NDEBUG\n#include <assert.h>\nint main() { assert(add(2, 3) == 5); }\n"
EARLY_EXIT = "#include <stdlib.h>\nint add(int a, int b) { exit(0); }\n"
FAKE_LINE = (
    '#include <stdio.h>\nint add(int a, int b) {\n  printf("{\\"t\\": \\"adds\\", \\"o\\": '
    '\\"passed\\"}\\nok 1\\nPASS\\n");\n  return 0;\n}\n'
)
# Writes a partial line (no newline) to the report channel each time it is called.
PARTIAL_LINE = '#include <unistd.h>\nint add(int a, int b) { write(3, "{", 1); return a + b; }\n'
LANGUAGES = ["c", "cpp"]


def job(language: str, code: str, tests: str = NATIVE, style: TestStyle = "native") -> ExecutionJob:
    return ExecutionJob(code=code, tests=tests, language=language, test_style=style, timeout_s=5.0)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_correct_candidate_passes_with_each_test_reported(
    sandbox: PooledSandbox, language: str
) -> None:
    outcome = sandbox.run(job(language, ADD))
    assert outcome.verdict == Verdict.PASSED
    assert [(t.name, t.outcome) for t in outcome.tests] == [("adds", "passed"), ("zero", "passed")]
    assert outcome.compile_time_s > 0


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_wrong_candidate_fails_each_check_on_its_own(
    sandbox: PooledSandbox, language: str
) -> None:
    outcome = sandbox.run(job(language, WRONG))
    assert outcome.verdict == Verdict.FAILED
    assert outcome.tests[0].outcome == "failed"
    assert "add(2, 3) == 5" in outcome.tests[0].message


@pytest.mark.parametrize("language", LANGUAGES)
def test_code_that_does_not_compile_is_a_compile_error_with_the_message(
    sandbox: PooledSandbox, language: str
) -> None:
    outcome = sandbox.run(job(language, "int add(int a, int b) { return a + b }\n"))
    assert outcome.verdict == Verdict.COMPILE_ERROR
    assert "error" in outcome.compile_output
    assert outcome.tests == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_humaneval_x_program_passes_and_fails_on_its_asserts(
    sandbox: PooledSandbox, language: str
) -> None:
    assert sandbox.run(job(language, ADD, PROGRAM, "program")).verdict == Verdict.PASSED
    failed = sandbox.run(job(language, WRONG, PROGRAM, "program"))
    assert failed.verdict == Verdict.FAILED
    assert failed.tests[0].name == "program"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("style", ["native", "program"])
def test_exiting_early_with_status_zero_never_passes(
    sandbox: PooledSandbox, language: str, style: TestStyle
) -> None:
    tests = NATIVE if style == "native" else PROGRAM
    outcome = sandbox.run(job(language, EARLY_EXIT, tests, style))
    assert (outcome.verdict, outcome.error_type) == (Verdict.ERROR, "EarlyExit")


@pytest.mark.parametrize("language", LANGUAGES)
def test_printed_report_lines_are_only_output(sandbox: PooledSandbox, language: str) -> None:
    outcome = sandbox.run(job(language, FAKE_LINE))
    assert outcome.verdict == Verdict.FAILED
    assert '"o": "passed"' in outcome.stdout


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_partial_line_on_the_channel_neither_fakes_nor_hides_a_result(
    sandbox: PooledSandbox, language: str
) -> None:
    outcome = sandbox.run(job(language, PARTIAL_LINE))
    assert outcome.verdict == Verdict.PASSED
    assert [(t.name, t.outcome) for t in outcome.tests] == [("adds", "passed"), ("zero", "passed")]
