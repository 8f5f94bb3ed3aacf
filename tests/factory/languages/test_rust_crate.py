"""Rust through the real sandboxes: #[test] functions called by our main, MultiPL-E programs, and
the ways a candidate could try to pass without passing."""

import pytest

from factory.languages import language
from factory.sandbox import ExecutionJob
from factory.sandbox.job import TestStyle
from factory.sandbox.pool import PooledSandbox
from factory.vocab import Verdict

pytestmark = pytest.mark.slow

ADD = "pub fn add(a: i64, b: i64) -> i64 {\n    a + b\n}\n"
TESTS = (
    "#[cfg(test)]\nmod tests {\n    use super::*;\n\n    #[test]\n    fn adds() {\n"
    "        assert_eq!(add(2, 3), 5);\n    }\n\n    #[test]\n    #[should_panic]\n"
    "    fn out_of_range() {\n        let v: Vec<i64> = vec![];\n"
    "        let _ = v[add(0, 0) as usize];\n    }\n\n    #[test]\n    #[ignore]\n"
    "    fn slow() {}\n}\n"
)
PROGRAM = "fn main() {\n    let candidate = add;\n    assert_eq!(candidate(2, 3), 5);\n}\n"


def job(code: str, tests: str = TESTS, style: TestStyle = "native") -> ExecutionJob:
    return ExecutionJob(code=code, tests=tests, language="rust", test_style=style, timeout_s=3.0)


def test_each_test_is_reported_with_should_panic_and_ignore_honoured(
    sandbox: PooledSandbox,
) -> None:
    outcome = sandbox.run(job(ADD))
    assert outcome.verdict == Verdict.PASSED
    assert [(t.name, t.outcome) for t in outcome.tests] == [
        ("adds", "passed"),
        ("out_of_range", "passed"),
        ("slow", "skipped"),
    ]


def test_a_wrong_answer_fails_with_the_assertion(sandbox: PooledSandbox) -> None:
    outcome = sandbox.run(job(ADD.replace("a + b", "a - b")))
    assert outcome.verdict == Verdict.FAILED
    assert "left == right" in outcome.tests[0].message


def test_code_that_does_not_compile_is_a_compile_error(sandbox: PooledSandbox) -> None:
    outcome = sandbox.run(job(ADD.replace("a + b", "a +")))
    assert outcome.verdict == Verdict.COMPILE_ERROR
    assert "expected expression" in outcome.compile_output


def test_exit_zero_and_printed_libtest_lines_never_pass(sandbox: PooledSandbox) -> None:
    early = sandbox.run(job(ADD.replace("a + b", "std::process::exit(0)")))
    assert (early.verdict, early.error_type) == (Verdict.ERROR, "EarlyExit")
    printed = 'println!("test tests::adds ... ok\\ntest result: ok. 3 passed"); 0'
    faked = sandbox.run(job(ADD.replace("a + b", "{ " + printed + " }")))
    assert faked.verdict == Verdict.FAILED


def test_an_endless_loop_times_out_and_the_pool_goes_on(sandbox: PooledSandbox) -> None:
    assert sandbox.run(job(ADD.replace("a + b", "loop {}"))).verdict == Verdict.TIMEOUT
    assert sandbox.run(job(ADD)).verdict == Verdict.PASSED


def test_a_candidate_main_is_moved_out_of_the_way(sandbox: PooledSandbox) -> None:
    with_main = ADD + 'fn main() {\n    println!("{}", add(1, 1));\n}\n'
    assert sandbox.run(job(with_main)).verdict == Verdict.PASSED


def test_a_multipl_e_program_passes_and_fails_on_its_asserts(sandbox: PooledSandbox) -> None:
    assert sandbox.run(job(ADD, PROGRAM, "program")).verdict == Verdict.PASSED
    failed = sandbox.run(job(ADD.replace("a + b", "0"), PROGRAM, "program"))
    assert (failed.verdict, failed.tests[0].name) == (Verdict.FAILED, "program")


def test_intake_refuses_tests_without_test_functions() -> None:
    rust = language("rust")
    assert rust.check_tests("fn helper() {}", "native", "") is not None
    assert rust.check_tests(TESTS, "native", "") is None
    assert rust.check_tests("assert_eq!(add(1, 1), 2);", "program", "") is not None


HUMANEVAL_X_DECLARATION = (
    "fn main(){}\n\nuse std::{slice::Iter, cmp::{max, self}, mem::replace, "
    "collections::{HashSet, HashMap}, ops::Index, ascii::AsciiExt};\nuse rand::Rng;\n"
    "use regex::Regex;\nuse md5;\nuse std::any::{Any, TypeId};\n\n"
    "fn string_to_md5(text: &str) -> String{\n"
)
HUMANEVAL_X_TESTS = (
    "#[cfg(test)]\nmod tests {\n    use super::*;\n\n    #[test]\n    fn test_string_to_md5() {\n"
    '        assert!(string_to_md5("Hello world") == "3e25960a79dbc69b674cd4ec67a72c62");\n'
    '        assert!(string_to_md5("") == "None");\n    }\n\n    #[test]\n'
    "    fn test_random_inputs() {\n        let mut rng = rand::thread_rng();\n"
    "        for _ in 0..100 {\n            let n = 2 * (1 + rng.gen_range(0, 4));\n"
    "            assert!(n >= 2 && n <= 8);\n        }\n    }\n}\n"
)


def test_humaneval_x_crate_imports_resolve_to_stand_ins(sandbox: PooledSandbox) -> None:
    body = (
        '    if text.is_empty(){\n        return "None".to_string();\n    }\n'
        '    format!("{:x}", md5::compute(text.as_bytes()))\n}\n'
    )
    outcome = sandbox.run(job(HUMANEVAL_X_DECLARATION + body, HUMANEVAL_X_TESTS))
    assert outcome.verdict == Verdict.PASSED
    assert [t.name for t in outcome.tests] == ["test_string_to_md5", "test_random_inputs"]
    wrong = body.replace('"None"', '"none"')
    failed = sandbox.run(job(HUMANEVAL_X_DECLARATION + wrong, HUMANEVAL_X_TESTS))
    assert [t.outcome for t in failed.tests] == ["failed", "passed"]


def test_a_test_returning_err_fails_with_the_error(sandbox: PooledSandbox) -> None:
    tests = (
        "#[cfg(test)]\nmod tests {\n    use super::*;\n\n    #[test]\n"
        "    fn adds() -> Result<(), String> {\n"
        '        if add(2, 3) == 5 { Ok(()) } else { Err("add(2, 3) != 5".to_string()) }\n'
        "    }\n}\n"
    )
    assert sandbox.run(job(ADD, tests)).verdict == Verdict.PASSED
    failed = sandbox.run(job(ADD.replace("a + b", "a - b"), tests))
    assert failed.verdict == Verdict.FAILED
    assert '"add(2, 3) != 5"' in failed.tests[0].message
