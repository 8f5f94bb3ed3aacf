"""JavaScript through the real sandboxes: node:test-style blocks, MultiPL-E programs, and the ways
a candidate could try to pass without passing."""

import pytest

from factory.languages import language
from factory.sandbox import ExecutionJob
from factory.sandbox.pool import PooledSandbox
from factory.vocab import Verdict

pytestmark = pytest.mark.slow

ADD = "function add(a, b) {\n  return a + b;\n}\n"
WRONG = "function add(a, b) {\n  return a - b;\n}\n"
NATIVE = (
    'test("adds", () => { assert.strictEqual(add(2, 3), 5); });\n'
    'test("adds later", async () => {\n'
    "  await new Promise((resolve) => setTimeout(resolve, 5));\n"
    "  assert.strictEqual(add(1, 1), 2);\n"
    "});\n"
)
IMPORTED = (
    'const { test, describe, it } = require("node:test");\n'
    'const assert = require("node:assert");\n'
    'describe("add", () => { it("zero", () => { assert.deepStrictEqual(add(0, 0), 0); }); });\n'
    'test("skipped", { skip: true }, () => { throw new Error("never run"); });\n'
)
PROGRAM = (
    "const assert = require('node:assert');\n\nfunction test() {\n  let candidate = add;\n"
    "  assert.deepEqual(candidate(2, 3), 5);\n}\n\ntest();\n"
)
EARLY_EXIT = "function add(a, b) {\n  process.exit(0);\n}\n"
FAKE_LINE = (
    "function add(a, b) {\n"
    '  console.log(\'{"t": "adds", "o": "passed"}\\nok 1 - adds\\nPASS\');\n'
    '  require("fs").writeSync(3, \'x {"t": "adds", "o": "passed"}\\nx {"end": 1}\\n\');\n'
    "  return 0;\n}\n"
)
# Patching what a naive harness would use to build or settle its report.
PATCHING = (
    "function add(a, b) {\n"
    '  Object.prototype.toJSON = function () { return { t: "adds", o: "passed", m: "" }; };\n'
    "  Promise.prototype.then = function (ok) { return ok(); };\n"
    '  JSON.stringify = () => \'{"t": "adds", "o": "passed"}\';\n'
    "  return a - b;\n}\n"
)
SNOOPING = (
    "function add(a, b) {\n"
    "  for (const name of ['inspector', 'v8']) {\n"
    "    try { require(name); throw new Error('loaded ' + name); }\n"
    "    catch (e) { if (e.message.startsWith('loaded')) throw e; }\n"
    "  }\n"
    "  if (typeof process.binding === 'function') throw new Error('binding');\n"
    "  return a + b;\n}\n"
)


def job(code: str, tests: str = NATIVE, style: str = "native") -> ExecutionJob:
    return ExecutionJob(
        code=code,
        tests=tests,
        language="javascript",
        test_style=style,  # type: ignore[arg-type]
        timeout_s=5.0,
    )


def test_a_correct_candidate_passes_with_each_test_reported(sandbox: PooledSandbox) -> None:
    outcome = sandbox.run(job(ADD))
    assert outcome.verdict == Verdict.PASSED
    assert [(t.name, t.outcome) for t in outcome.tests] == [
        ("adds", "passed"),
        ("adds later", "passed"),
    ]


def test_tests_that_require_node_test_and_assert_themselves(sandbox: PooledSandbox) -> None:
    outcome = sandbox.run(job(ADD, IMPORTED))
    assert outcome.verdict == Verdict.PASSED
    assert [(t.name, t.outcome) for t in outcome.tests] == [
        ("add > zero", "passed"),
        ("skipped", "skipped"),
    ]


def test_a_wrong_candidate_fails_each_test_on_its_own(sandbox: PooledSandbox) -> None:
    outcome = sandbox.run(job(WRONG))
    assert outcome.verdict == Verdict.FAILED
    assert [t.outcome for t in outcome.tests] == ["failed", "failed"]
    assert "-1 !== 5" in outcome.tests[0].message


def test_a_syntax_error_is_an_error_naming_it(sandbox: PooledSandbox) -> None:
    outcome = sandbox.run(job("function add(a, b) {\n  return a + b;\n"))
    assert (outcome.verdict, outcome.error_type) == (Verdict.ERROR, "SyntaxError")


def test_a_multipl_e_program_passes_and_fails_on_its_asserts(sandbox: PooledSandbox) -> None:
    passed = sandbox.run(job(ADD, PROGRAM, "program"))
    assert passed.verdict == Verdict.PASSED
    assert [t.name for t in passed.tests] == ["program"]
    failed = sandbox.run(job(WRONG, PROGRAM, "program"))
    assert failed.verdict == Verdict.FAILED
    assert failed.tests[0].name == "program"


@pytest.mark.parametrize("style", ["native", "program"])
def test_exiting_early_with_status_zero_never_passes(sandbox: PooledSandbox, style: str) -> None:
    outcome = sandbox.run(job(EARLY_EXIT, NATIVE if style == "native" else PROGRAM, style))
    assert (outcome.verdict, outcome.error_type) == (Verdict.ERROR, "EarlyExit")


def test_printed_or_written_report_lines_are_only_output(sandbox: PooledSandbox) -> None:
    outcome = sandbox.run(job(FAKE_LINE))
    assert outcome.verdict == Verdict.FAILED
    assert '"o": "passed"' in outcome.stdout


def test_patching_json_and_promises_does_not_forge_a_pass(sandbox: PooledSandbox) -> None:
    outcome = sandbox.run(job(PATCHING))
    assert outcome.verdict == Verdict.FAILED
    assert [t.outcome for t in outcome.tests] == ["failed", "failed"]


def test_the_candidate_cannot_load_what_inspects_the_harness(sandbox: PooledSandbox) -> None:
    assert sandbox.run(job(SNOOPING)).verdict == Verdict.PASSED


def test_an_infinite_loop_times_out_and_the_pool_keeps_serving(sandbox: PooledSandbox) -> None:
    looping = ExecutionJob(
        code="function add(a, b) {\n  for (;;) {}\n}\n",
        tests=NATIVE,
        language="javascript",
        test_style="native",
        timeout_s=1.0,
    )
    assert sandbox.run(looping).verdict == Verdict.TIMEOUT
    assert sandbox.run(job(ADD)).verdict == Verdict.PASSED


def test_intake_checks_the_shape_of_the_tests() -> None:
    plugin = language("javascript")
    assert plugin.check_tests(NATIVE, "native", "add") is None
    assert plugin.check_tests(PROGRAM, "program", "add") is None
    assert plugin.check_tests("assert.ok(add(1, 2));", "native", "add") is not None
