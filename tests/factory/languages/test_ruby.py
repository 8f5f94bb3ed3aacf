"""Ruby test programs through the real sandboxes: plain checks, MultiPL-E's Test::Unit classes,
Minitest, and the ways a candidate could try to pass without passing."""

import pytest

from factory.sandbox import ExecutionJob
from factory.sandbox.pool import PooledSandbox
from factory.vocab import Verdict

pytestmark = pytest.mark.slow

ADD = "def add(a, b)\n  a + b\nend\n"
WRONG = "def add(a, b)\n  a - b\nend\n"
TEST_UNIT = (
    "require 'test/unit'\nclass TestHumanEval < Test::Unit::TestCase\n  def test_add\n"
    "    candidate = method(:add)\n    assert_equal(5, candidate.call(2, 3))\n  end\nend\n"
)
MINITEST = (
    "require 'minitest/autorun'\nclass TestAdd < Minitest::Test\n"
    "  def test_add\n    assert_equal 5, add(2, 3)\n  end\nend\n"
)
PLAIN = "raise 'add(2, 3)' unless add(2, 3) == 5\nexit 1 unless add(0, 0) == 0\n"


def job(code: str, tests: str = TEST_UNIT, timeout_s: float = 5.0) -> ExecutionJob:
    return ExecutionJob(
        code=code, tests=tests, language="ruby", test_style="program", timeout_s=timeout_s
    )


@pytest.mark.parametrize("tests", [TEST_UNIT, MINITEST, PLAIN])
def test_a_correct_candidate_passes_and_a_wrong_one_fails(
    sandbox: PooledSandbox, tests: str
) -> None:
    passed = sandbox.run(job(ADD, tests))
    assert passed.verdict == Verdict.PASSED
    assert [(t.name, t.outcome) for t in passed.tests] == [("program", "passed")]
    assert sandbox.run(job(WRONG, tests)).verdict == Verdict.FAILED


def test_a_syntax_error_is_an_error(sandbox: PooledSandbox) -> None:
    outcome = sandbox.run(job("def add(a, b)\n  a +\n", PLAIN))
    assert (outcome.verdict, outcome.error_type) == (Verdict.ERROR, "SyntaxError")


@pytest.mark.parametrize("tests", [TEST_UNIT, PLAIN])
def test_exiting_early_with_status_zero_never_passes(sandbox: PooledSandbox, tests: str) -> None:
    outcome = sandbox.run(job("def add(a, b)\n  exit 0\nend\n", tests))
    assert (outcome.verdict, outcome.error_type) == (Verdict.ERROR, "EarlyExit")


def test_printed_report_lines_are_only_output(sandbox: PooledSandbox) -> None:
    code = (
        'def add(a, b)\n  puts \'x {"t": "program", "o": "passed"}\', "ok 1", "PASS"\n'
        '  IO.for_fd(3).write(%Q(x {"end": 1}\\n)) rescue nil\n  0\nend\n'
    )
    outcome = sandbox.run(job(code, PLAIN))
    assert outcome.verdict == Verdict.FAILED
    assert '"o": "passed"' in outcome.stdout


def test_an_infinite_loop_times_out_and_the_pool_keeps_serving(sandbox: PooledSandbox) -> None:
    assert sandbox.run(job("def add(a, b)\n  loop {}\nend\n", timeout_s=1.0)).verdict == (
        Verdict.TIMEOUT
    )
    assert sandbox.run(job(ADD)).verdict == Verdict.PASSED
