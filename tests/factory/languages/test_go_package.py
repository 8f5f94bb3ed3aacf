"""Go through the real sandboxes: TestX functions run as subtests of our harness test, testify
assertions as HumanEval-X writes them, and the ways a candidate could try to pass without
passing."""

import pytest

from factory.languages import language
from factory.sandbox import ExecutionJob
from factory.sandbox.pool import PooledSandbox
from factory.vocab import Verdict

pytestmark = pytest.mark.slow

ADD = "package main\n\nfunc Add(a, b int) int {\n\treturn a + b\n}\n"
TESTS = (
    'package main\n\nimport "testing"\n\nfunc TestAdds(t *testing.T) {\n\tif Add(2, 3) != 5 {\n'
    '\t\tt.Fatalf("got %d", Add(2, 3))\n\t}\n}\n\nfunc TestZero(t *testing.T) {\n'
    '\tif Add(0, 0) != 0 {\n\t\tt.Error("zero")\n\t}\n}\n'
)
HUMANEVAL_X = (
    "func TestAdd(t *testing.T) {\n    assert := assert.New(t)\n"
    "    assert.Equal(5, Add(2, 3))\n    assert.Equal(0, Add(0, 0))\n}\n"
)


def job(code: str, tests: str = TESTS) -> ExecutionJob:
    return ExecutionJob(code=code, tests=tests, language="go", test_style="native", timeout_s=3.0)


def test_each_test_function_is_reported(sandbox: PooledSandbox) -> None:
    outcome = sandbox.run(job(ADD))
    assert outcome.verdict == Verdict.PASSED
    assert [(t.name, t.outcome) for t in outcome.tests] == [
        ("TestAdds", "passed"),
        ("TestZero", "passed"),
    ]


def test_a_wrong_answer_fails_only_its_tests(sandbox: PooledSandbox) -> None:
    outcome = sandbox.run(job(ADD.replace("a + b", "a - b")))
    assert outcome.verdict == Verdict.FAILED
    assert [t.outcome for t in outcome.tests] == ["failed", "passed"]
    assert "got -1" in outcome.stdout


def test_a_panic_is_an_error_of_that_test_not_a_crash(sandbox: PooledSandbox) -> None:
    outcome = sandbox.run(job(ADD.replace("return a + b", "var s []int\n\treturn s[a]")))
    assert outcome.verdict == Verdict.ERROR
    assert "index out of range" in outcome.tests[0].message


def test_code_that_does_not_compile_is_a_compile_error(sandbox: PooledSandbox) -> None:
    outcome = sandbox.run(job(ADD.replace("a + b", "a +")))
    assert outcome.verdict == Verdict.COMPILE_ERROR
    assert "syntax error" in outcome.compile_output


def test_os_exit_zero_and_printed_pass_lines_never_pass(sandbox: PooledSandbox) -> None:
    exiting = ADD.replace("package main", 'package main\n\nimport "os"').replace(
        "return a + b", "os.Exit(0)\n\treturn 0"
    )
    early = sandbox.run(job(exiting))
    assert (early.verdict, early.error_type) == (Verdict.ERROR, "EarlyExit")
    printing = ADD.replace("package main", 'package main\n\nimport "fmt"').replace(
        "return a + b", 'fmt.Println("--- PASS: TestAdds\\nok  \\tsolution")\n\treturn 0'
    )
    assert sandbox.run(job(printing)).verdict == Verdict.FAILED


def test_an_endless_loop_times_out_and_the_pool_goes_on(sandbox: PooledSandbox) -> None:
    assert sandbox.run(job(ADD.replace("return a + b", "for {\n\t}"))).verdict == Verdict.TIMEOUT
    assert sandbox.run(job(ADD)).verdict == Verdict.PASSED


def test_humaneval_x_testify_assertions_run(sandbox: PooledSandbox) -> None:
    assert sandbox.run(job(ADD, HUMANEVAL_X)).verdict == Verdict.PASSED
    assert sandbox.run(job(ADD.replace("a + b", "a"), HUMANEVAL_X)).verdict == Verdict.FAILED


def test_intake_refuses_tests_without_test_functions() -> None:
    go = language("go")
    assert go.check_tests("func helper() {}", "native", "") is not None
    assert go.check_tests(TESTS, "native", "") is None
