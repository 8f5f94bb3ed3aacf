"""Bash through the real sandboxes: bats-style tests run by our own runner, test programs, and the
ways a candidate could try to pass without passing."""

import pytest

from factory.languages import language
from factory.languages.bash import convert_bats
from factory.sandbox import ExecutionJob
from factory.sandbox.pool import PooledSandbox
from factory.vocab import Verdict

pytestmark = pytest.mark.slow

ADD = "add() {\n  echo $(( $1 + $2 ))\n}\n"
WRONG = "add() {\n  echo $(( $1 - $2 ))\n}\n"
NATIVE = (
    "setup() {\n  base=10\n}\n\n"
    '@test "adds small numbers" {\n  run add 2 3\n'
    '  [ "$status" -eq 0 ]\n  [ "$output" = "5" ]\n}\n\n'
    '@test \'uses setup\' {\n  [ "$(add "$base" 1)" = 11 ]\n}\n\n'
    '@test "not yet" {\n  skip "later"\n  false\n}\n'
)
PROGRAM = '[ "$(add 2 3)" = "5" ] || exit 1\n[ "$(add 0 0)" = "0" ] || exit 1\n'
EARLY_EXIT = "add() {\n  exit 0\n}\n"
FAKE_LINE = (
    'echo \'x {"t": "uses setup", "o": "passed"}\'\n'
    "add() {\n"
    '  echo \'x {"t": "adds small numbers", "o": "passed"}\'\n'
    "  echo 'ok 1 adds small numbers'\n"
    "  echo 'x {\"end\": 3}' >&3 2>/dev/null\n"
    "  echo 0\n}\n"
)


def job(
    code: str, tests: str = NATIVE, style: str = "native", timeout_s: float = 5.0
) -> ExecutionJob:
    return ExecutionJob(
        code=code,
        tests=tests,
        language="bash",
        test_style=style,  # type: ignore[arg-type]
        timeout_s=timeout_s,
    )


def test_bats_blocks_become_functions_with_their_names() -> None:
    source, names, skips = convert_bats(NATIVE)
    assert names == ["adds small numbers", "uses setup", "not yet"]
    assert skips == [False, False, True]
    assert "__factory_test_0() {" in source and "@test" not in source


def test_a_correct_candidate_passes_with_each_test_reported(sandbox: PooledSandbox) -> None:
    outcome = sandbox.run(job(ADD))
    assert outcome.verdict == Verdict.PASSED
    assert [(t.name, t.outcome) for t in outcome.tests] == [
        ("adds small numbers", "passed"),
        ("uses setup", "passed"),
        ("not yet", "skipped"),
    ]


def test_a_wrong_candidate_fails_on_the_failing_command(sandbox: PooledSandbox) -> None:
    outcome = sandbox.run(job(WRONG))
    assert outcome.verdict == Verdict.FAILED
    assert [t.outcome for t in outcome.tests] == ["failed", "failed", "skipped"]
    assert '[ "$output" = "5" ]' in outcome.tests[0].message


def test_a_syntax_error_is_an_error_or_failure_never_a_pass(sandbox: PooledSandbox) -> None:
    outcome = sandbox.run(job("add() {\n  echo $(( $1 + $2 ))\n"))
    assert outcome.verdict != Verdict.PASSED


def test_a_test_program_passes_and_fails(sandbox: PooledSandbox) -> None:
    passed = sandbox.run(job(ADD, PROGRAM, "program"))
    assert passed.verdict == Verdict.PASSED
    assert [t.name for t in passed.tests] == ["program"]
    assert sandbox.run(job(WRONG, PROGRAM, "program")).verdict == Verdict.FAILED


def test_exiting_early_with_status_zero_never_passes(sandbox: PooledSandbox) -> None:
    native = sandbox.run(job(EARLY_EXIT, '@test "direct" {\n  add 2 3\n}\n'))
    assert (native.verdict, native.error_type) == (Verdict.ERROR, "EarlyExit")
    program = sandbox.run(job(EARLY_EXIT, "add 2 3\n[ 1 = 2 ] || exit 1\n", "program"))
    assert (program.verdict, program.error_type) == (Verdict.ERROR, "EarlyExit")


def test_printed_report_lines_are_only_output(sandbox: PooledSandbox) -> None:
    outcome = sandbox.run(job(FAKE_LINE))
    assert outcome.verdict == Verdict.FAILED
    assert '"o": "passed"' in outcome.stdout


def test_a_dynamic_skip_is_not_a_way_out(sandbox: PooledSandbox) -> None:
    code = "add() {\n  skip\n}\n"
    outcome = sandbox.run(job(code, '@test "direct" {\n  add 2 3\n}\n'))
    assert outcome.verdict == Verdict.FAILED


def test_an_infinite_loop_times_out_and_the_pool_keeps_serving(sandbox: PooledSandbox) -> None:
    looping = job("add() {\n  while :; do :; done\n}\n", timeout_s=1.0)
    assert sandbox.run(looping).verdict == Verdict.TIMEOUT
    assert sandbox.run(job(ADD)).verdict == Verdict.PASSED


def test_intake_checks_the_shape_of_the_tests() -> None:
    plugin = language("bash")
    assert plugin.check_tests(NATIVE, "native", "add") is None
    assert plugin.check_tests(PROGRAM, "native", "add") is not None
    assert plugin.check_tests(PROGRAM, "program", "add") is None
