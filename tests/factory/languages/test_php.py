"""PHP test programs through the real sandboxes (MultiPL-E form) and the ways a candidate could try
to pass without passing."""

import pytest

from factory.languages.php import program_source
from factory.sandbox import ExecutionJob
from factory.sandbox.pool import PooledSandbox
from factory.vocab import Verdict

pytestmark = pytest.mark.slow

ADD = "<?php\nfunction add($a, $b) {\n    return $a + $b;\n}\n"
WRONG = ADD.replace("$a + $b", "$a - $b")
MULTIPL_E = (
    "function candidate(...$args) {\n    return add(...$args);\n}\n\n"
    "function test(): void {\n"
    '    if (candidate(2, 3) !== 5) { throw new Exception("Test failed!"); }\n}\n\ntest();\n'
)
ASSERTS = "<?php\nassert(add(2, 3) === 5);\n"


def job(code: str, tests: str = MULTIPL_E, timeout_s: float = 5.0) -> ExecutionJob:
    return ExecutionJob(
        code=code, tests=tests, language="php", test_style="program", timeout_s=timeout_s
    )


def test_candidate_and_tests_become_one_file_with_one_open_tag() -> None:
    source = program_source("function add($a, $b) { return $a + $b; }\n?>\n", ASSERTS)
    assert source.count("<?php") == 1 and "?>" not in source


@pytest.mark.parametrize("tests", [MULTIPL_E, ASSERTS])
def test_a_correct_candidate_passes_and_a_wrong_one_fails(
    sandbox: PooledSandbox, tests: str
) -> None:
    passed = sandbox.run(job(ADD, tests))
    assert passed.verdict == Verdict.PASSED
    assert [(t.name, t.outcome) for t in passed.tests] == [("program", "passed")]
    failed = sandbox.run(job(WRONG, tests))
    assert failed.verdict == Verdict.FAILED


def test_a_syntax_error_is_an_error(sandbox: PooledSandbox) -> None:
    outcome = sandbox.run(job("<?php\nfunction add($a, $b) {\n    return $a +;\n}\n"))
    assert (outcome.verdict, outcome.error_type) == (Verdict.ERROR, "ParseError")


def test_exiting_early_with_status_zero_never_passes(sandbox: PooledSandbox) -> None:
    outcome = sandbox.run(job("<?php\nfunction add($a, $b) {\n    exit(0);\n}\n"))
    assert (outcome.verdict, outcome.error_type) == (Verdict.ERROR, "EarlyExit")


def test_printed_report_lines_and_globals_are_no_way_out(sandbox: PooledSandbox) -> None:
    code = (
        "<?php\nfunction add($a, $b) {\n"
        '    echo "x {\\"t\\": \\"program\\", \\"o\\": \\"passed\\"}\\nok 1\\nPASS\\n";\n'
        "    foreach ($GLOBALS as $value) {\n"
        "        if (is_callable($value)) { $value('passed', '', null); }\n    }\n"
        "    return 0;\n}\n"
    )
    outcome = sandbox.run(job(code))
    assert outcome.verdict == Verdict.FAILED
    assert '"o": "passed"' in outcome.stdout


def test_an_infinite_loop_times_out_and_the_pool_keeps_serving(sandbox: PooledSandbox) -> None:
    looping = job("<?php\nfunction add($a, $b) {\n    while (true) {}\n}\n", timeout_s=1.0)
    assert sandbox.run(looping).verdict == Verdict.TIMEOUT
    assert sandbox.run(job(ADD)).verdict == Verdict.PASSED
