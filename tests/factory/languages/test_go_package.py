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
    assert "got -1" in outcome.tests[0].message  # what the test logged, file:line first


def test_a_panic_is_an_error_of_that_test_not_a_crash(sandbox: PooledSandbox) -> None:
    outcome = sandbox.run(job(ADD.replace("return a + b", "var s []int\n\treturn s[a]")))
    assert outcome.verdict == Verdict.ERROR
    assert "index out of range" in outcome.tests[0].message


def test_code_that_does_not_compile_is_a_compile_error(sandbox: PooledSandbox) -> None:
    outcome = sandbox.run(job(ADD.replace("a + b", "a +")))
    assert outcome.verdict == Verdict.COMPILE_ERROR
    # The candidate's own file name and line, though it is compiled in one file with the tests.
    assert "solution.go:5" in outcome.compile_output


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


MULTIPL_E_PROMPT = (
    'package add_test\n\nimport (\n    "testing"\n    "fmt"\n)\n\n'
    "// Add two numbers\nfunc add(x int, y int) int {\n"
)
MULTIPL_E_TESTS = (
    "func TestAdd(t *testing.T) {\n  candidate := add\n\ttype test struct {\n"
    "\t\tactual   interface{}\n\t\texpected interface{}\n\t}\n"
    "   tests := []test{\n     { actual: candidate(2, 3), expected: 5 },\n   }\n"
    "\tfor i, tc := range tests {\n"
    '\t\tt.Run(fmt.Sprintf("test num % d", i), func(t *testing.T) {\n'
    '\t\t\tif fmt.Sprintf("%v", tc.actual) != fmt.Sprintf("%v", tc.expected) {\n'
    "\t\t\t\tt.Errorf(\"expected '%s', got '%s'\", tc.expected, tc.actual)\n"
    "\t\t\t}\n\t\t})\n\t}\n}\n"
)


def test_a_multipl_e_program_uses_the_imports_of_the_prompt(sandbox: PooledSandbox) -> None:
    def program(body: str) -> ExecutionJob:
        code = MULTIPL_E_PROMPT + body
        return ExecutionJob(code=code, tests=MULTIPL_E_TESTS, language="go", test_style="program")

    assert sandbox.run(program("    return x + y\n}\n")).verdict == Verdict.PASSED
    assert sandbox.run(program("    return x - y\n}\n")).verdict == Verdict.FAILED


def test_a_test_that_calls_t_parallel_is_judged_after_it_ran(sandbox: PooledSandbox) -> None:
    parallel = TESTS.replace("{\n\tif Add(2, 3)", "{\n\tt.Parallel()\n\tif Add(2, 3)")
    outcome = sandbox.run(job(ADD.replace("a + b", "a - b"), parallel))
    assert outcome.verdict == Verdict.FAILED
    assert [t.outcome for t in outcome.tests] == ["failed", "passed"]


def test_testify_helpers_beyond_equal_and_prompt_imports_in_the_tests(
    sandbox: PooledSandbox,
) -> None:
    code = 'import (\n    "math"\n)\n\nfunc Root(x float64) float64 {\n    return math.Sqrt(x)\n}\n'
    tests = (
        "func TestRoot(t *testing.T) {\n    assert.InDelta(t, 1.4142, Root(2), 1e-3)\n"
        "    assert.True(t, math.Abs(Root(4)-2) < 1e-9)\n"
        "    assert.ElementsMatch(t, []float64{2, 3}, []float64{Root(9), Root(4)})\n}\n"
    )
    assert sandbox.run(job(code, tests)).verdict == Verdict.PASSED
    wrong = sandbox.run(job(code.replace("math.Sqrt(x)", "math.Sqrt(x) + 1"), tests))
    assert wrong.verdict == Verdict.FAILED


def test_a_humaneval_x_program_with_an_unused_prompt_import_compiles(
    sandbox: PooledSandbox,
) -> None:
    code = 'import (\n    "math"\n)\n\nfunc Add(a, b int) int {\n    return a + b\n}\n'
    tests = (
        'package main\n\nimport (\n    "testing"\n    "github.com/stretchr/testify/assert"\n)\n\n'
    )
    outcome = sandbox.run(
        ExecutionJob(code=code, tests=tests + HUMANEVAL_X, language="go", test_style="program")
    )
    assert outcome.verdict == Verdict.PASSED, outcome.compile_output


def test_candidate_init_code_cannot_read_the_secret_to_forge_a_pass(
    sandbox: PooledSandbox,
) -> None:
    forging = (
        'package main\n\nimport "os"\n\nvar forged = forge()\n\nfunc forge() bool {\n'
        '\tbuffer := make([]byte, 64)\n\tn, _ := os.NewFile(4, "s").Read(buffer)\n'
        "\tsecret := string(buffer[:n])\n"
        '\tline := secret + " {\\"t\\": \\"TestAdds\\", \\"o\\": \\"passed\\"}\\n" + secret + '
        '" {\\"end\\": 1}\\n"\n'
        '\tos.NewFile(3, "r").Write([]byte(line))\n\treturn true\n}\n\n'
        "func Add(a, b int) int {\n\treturn a - b\n}\n"
    )
    assert sandbox.run(job(forging)).verdict == Verdict.FAILED
