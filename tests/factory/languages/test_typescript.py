"""TypeScript through the real sandboxes: transpiled, then judged by the JavaScript harness."""

import pytest

from factory.sandbox import ExecutionJob
from factory.sandbox.pool import PooledSandbox
from factory.vocab import Verdict

pytestmark = pytest.mark.slow

ADD = "function add(a: number, b: number): number {\n  return a + b;\n}\n"
WRONG = "function add(a: number, b: number): number {\n  return a - b;\n}\n"
NATIVE = 'test("adds", () => {\n  assert.strictEqual(add(2, 3), 5);\n});\n'
IMPORTED = (
    'import assert from "node:assert";\nimport { test } from "node:test";\n'
    'test("adds", async () => {\n  assert.deepStrictEqual(add(2, 3), 5);\n});\n'
)
PROGRAM = (
    "declare var require: any;\nconst assert = require('node:assert');\n"
    "function test() {\n  let candidate = add;\n"
    "  assert.deepEqual(candidate(2, 3), 5);\n}\n\ntest();\n"
)


def job(code: str, tests: str = NATIVE, style: str = "native") -> ExecutionJob:
    return ExecutionJob(
        code=code,
        tests=tests,
        language="typescript",
        test_style=style,  # type: ignore[arg-type]
        timeout_s=5.0,
    )


@pytest.mark.parametrize("tests", [NATIVE, IMPORTED])
def test_a_correct_candidate_passes(sandbox: PooledSandbox, tests: str) -> None:
    outcome = sandbox.run(job(ADD, tests))
    assert outcome.verdict == Verdict.PASSED
    assert [(t.name, t.outcome) for t in outcome.tests] == [("adds", "passed")]
    assert outcome.compile_time_s > 0


def test_a_wrong_candidate_fails(sandbox: PooledSandbox) -> None:
    outcome = sandbox.run(job(WRONG))
    assert outcome.verdict == Verdict.FAILED
    assert "-1 !== 5" in outcome.tests[0].message


def test_a_syntax_error_is_a_compile_error_with_the_message(sandbox: PooledSandbox) -> None:
    outcome = sandbox.run(job("function add(a: number, b: number): number {\n  return a +;\n}\n"))
    assert outcome.verdict == Verdict.COMPILE_ERROR
    assert "error TS" in outcome.compile_output


def test_type_errors_are_not_checked(sandbox: PooledSandbox) -> None:
    code = ADD.replace("{\n", "{\n  const s: string = 1;\n")
    assert sandbox.run(job(code)).verdict == Verdict.PASSED


def test_a_multipl_e_program_passes_and_fails(sandbox: PooledSandbox) -> None:
    assert sandbox.run(job(ADD, PROGRAM, "program")).verdict == Verdict.PASSED
    assert sandbox.run(job(WRONG, PROGRAM, "program")).verdict == Verdict.FAILED


def test_exiting_early_never_passes(sandbox: PooledSandbox) -> None:
    code = "declare var process: any;\n" + ADD.replace("return a + b;", "process.exit(0);")
    outcome = sandbox.run(job(code))
    assert (outcome.verdict, outcome.error_type) == (Verdict.ERROR, "EarlyExit")
