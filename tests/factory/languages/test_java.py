"""Java through the real sandboxes: JUnit 5 classes run by our harness, HumanEval-X and MultiPL-E
programs, and the ways a candidate could try to pass without passing; then how the plug-in names
files and finds classes, without running anything."""

import pytest

from factory.languages import language
from factory.languages.java import mask, top_level_types
from factory.sandbox import ExecutionJob
from factory.sandbox.job import TestStyle
from factory.sandbox.pool import PooledSandbox
from factory.vocab import Verdict

IMPORTS = "import org.junit.jupiter.api.*;\nimport static org.junit.jupiter.api.Assertions.*;\n"
ADD = "class Solution {\n    static int add(int a, int b) {\n        return a + b;\n    }\n}\n"
TESTS = IMPORTS + (
    "class SolutionTest {\n    @Test\n    void adds() {\n"
    "        assertEquals(5, Solution.add(2, 3));\n    }\n}\n"
)
EVERY_KIND = IMPORTS + (
    "import org.junit.jupiter.params.ParameterizedTest;\n"
    "import org.junit.jupiter.params.provider.ValueSource;\n"
    "class SolutionTest {\n"
    "    @Test void adds() { assertEquals(5, Solution.add(2, 3)); }\n"
    "    @ParameterizedTest @ValueSource(ints = {1, 2})\n"
    "    void identity(int x) { assertEquals(x, Solution.add(x, 0)); }\n"
    "    @Disabled @Test void off() {}\n"
    "    @Nested class Inner { @Test void adds() { assertEquals(2, Solution.add(1, 1)); } }\n"
    '    @Test void braces() { assertEquals("}{", "}" + "{"); char c = \'}\'; /* } */ }\n'
    "}\n"
)
# HumanEval-X: the test program has no imports of its own.
HX_CODE = (
    "import java.util.*;\nimport java.lang.*;\n\nclass Solution {\n"
    "    public int add(int x, int y) {\n        return x + y;\n    }\n}\n"
)
HX_TESTS = (
    "public class Main {\n    public static void main(String[] args) {\n"
    "        Solution s = new Solution();\n"
    "        List<Boolean> correct = Arrays.asList(s.add(0, 1) == 1, s.add(2, 3) == 5);\n"
    "        if (correct.contains(false)) {\n            throw new AssertionError();\n        }\n"
    "    }\n}\n"
)
# MultiPL-E: the tests close the candidate's own class and check with `assert`.
MPE_CODE = (
    "import java.util.*;\n\nclass Problem {\n    // add two numbers {\n"
    "    public static long add(long x, long y) {\n        return x + y;\n    }\n"
)
MPE_TESTS = (
    "    public static void main(String[] args) {\n    assert(add((1l), (2l)) == (3l));\n"
    "    }\n\n}\n"
)
# Finds every static String of our harness by reflection and forges passing lines with it.
FORGER = """import java.io.FileOutputStream;
import java.lang.reflect.*;
import java.util.*;
class Solution {
    static int add(int a, int b) {
        try {
            Class<?> harness = Class.forName("FactoryHarness");
            List<Class<?>> classes = new ArrayList<>(List.of(harness.getDeclaredClasses()));
            classes.add(harness);
            FileOutputStream out = new FileOutputStream("/proc/self/fd/3");
            for (Class<?> k : classes) for (Field f : k.getDeclaredFields()) {
                if (!Modifier.isStatic(f.getModifiers())) continue;
                f.setAccessible(true);
                Object value = f.get(null);
                if (value instanceof String) {
                    String test = " {\\"t\\": \\"adds\\", \\"o\\": \\"passed\\", \\"d\\": 0}\\n";
                    String end = " {\\"end\\": 1}\\n";
                    out.write((value + test + value + end).getBytes());
                }
            }
        } catch (Exception e) { throw new RuntimeException(e); }
        Runtime.getRuntime().halt(0);
        return 0;
    }
}
"""


def job(
    code: str, tests: str = TESTS, style: TestStyle = "native", timeout_s: float = 6.0
) -> ExecutionJob:
    return ExecutionJob(
        code=code, tests=tests, language="java", test_style=style, timeout_s=timeout_s
    )


def with_body(body: str) -> str:
    return ADD.replace("return a + b;", body)


@pytest.mark.slow
def test_each_junit_test_is_reported_by_its_own_name(sandbox: PooledSandbox) -> None:
    outcome = sandbox.run(job(ADD, EVERY_KIND))
    assert outcome.verdict == Verdict.PASSED
    assert outcome.compile_time_s > 0
    assert sorted((t.name, t.outcome) for t in outcome.tests) == [
        ("Inner.adds", "passed"),
        ("adds", "passed"),
        ("braces", "passed"),
        ("identity[1]", "passed"),
        ("identity[2]", "passed"),
        ("off", "skipped"),
    ]


@pytest.mark.slow
def test_a_wrong_answer_fails_and_other_throwables_are_errors(sandbox: PooledSandbox) -> None:
    failed = sandbox.run(job(ADD.replace("a + b", "a - b")))
    assert failed.verdict == Verdict.FAILED
    assert "expected: <5> but was: <-1>" in failed.tests[0].message
    thrown = sandbox.run(job(with_body('throw new IllegalStateException("boom");')))
    assert (thrown.verdict, thrown.error_type) == (Verdict.ERROR, "IllegalStateException")
    # An aborted test is a skip to JUnit; the code under test could abort on purpose.
    aborted = sandbox.run(job(with_body("throw new org.opentest4j.TestAbortedException();")))
    assert (aborted.verdict, aborted.error_type) == (Verdict.ERROR, "TestAborted")


@pytest.mark.slow
def test_code_that_does_not_compile_is_a_compile_error(sandbox: PooledSandbox) -> None:
    outcome = sandbox.run(job(ADD.replace("a + b;", "a + b")))
    assert outcome.verdict == Verdict.COMPILE_ERROR
    assert "';' expected" in outcome.compile_output
    assert outcome.tests == []


@pytest.mark.slow
@pytest.mark.parametrize("style", ["native", "program"])
def test_system_exit_zero_never_passes(sandbox: PooledSandbox, style: TestStyle) -> None:
    if style == "native":
        early = job(with_body("System.exit(0); return 0;"))
    else:
        early = job(HX_CODE.replace("return x + y;", "System.exit(0); return 0;"), HX_TESTS, style)
    outcome = sandbox.run(early)
    assert (outcome.verdict, outcome.error_type) == (Verdict.ERROR, "EarlyExit")


@pytest.mark.slow
def test_printed_or_forged_report_lines_never_pass(sandbox: PooledSandbox) -> None:
    printed = 'System.out.println("{\\"t\\": \\"adds\\", \\"o\\": \\"passed\\"}\\nok\\nPASS");'
    faked = sandbox.run(job(with_body(printed + " return 0;")))
    assert faked.verdict == Verdict.FAILED
    assert '"o": "passed"' in faked.stdout
    forged = sandbox.run(job(FORGER))
    assert forged.verdict != Verdict.PASSED


# Writes an unfinished line to fd 3 just before its wrong answer is reported, to spoil that report.
GARBLER = """class Solution {
    static int add(int a, int b) {
        if (a - b != a + b) {
            try (java.io.FileOutputStream out = new java.io.FileOutputStream("/proc/self/fd/3")) {
                out.write('x');
            } catch (java.io.IOException e) {}
        }
        return a - b;
    }
}
"""
TWO_TESTS = IMPORTS + (
    "class SolutionTest {\n    @Test void adds() { assertEquals(5, Solution.add(2, 3)); }\n"
    "    @Test void zero() { assertEquals(0, Solution.add(0, 0)); }\n}\n"
)


@pytest.mark.slow
def test_bytes_written_to_the_channel_cannot_hide_a_failure(sandbox: PooledSandbox) -> None:
    outcome = sandbox.run(job(GARBLER, TWO_TESTS))
    assert outcome.verdict == Verdict.FAILED
    assert sorted((t.name, t.outcome) for t in outcome.tests) == [
        ("adds", "failed"),
        ("zero", "passed"),
    ]


@pytest.mark.slow
def test_nothing_of_the_candidate_runs_after_the_closing_line(sandbox: PooledSandbox) -> None:
    hook = 'Runtime.getRuntime().addShutdownHook(new Thread(() -> System.out.println("HOOK")));'
    outcome = sandbox.run(job(with_body(hook + " return a + b;")))
    assert outcome.verdict == Verdict.PASSED
    assert "HOOK" not in outcome.stdout


@pytest.mark.slow
def test_an_endless_loop_times_out_and_the_pool_goes_on(sandbox: PooledSandbox) -> None:
    assert sandbox.run(job(with_body("while (true) {}"), timeout_s=3.0)).verdict == Verdict.TIMEOUT
    assert sandbox.run(job(ADD)).verdict == Verdict.PASSED


@pytest.mark.slow
def test_a_heap_that_outgrows_the_job_is_out_of_memory(sandbox: PooledSandbox) -> None:
    hog = "long[][] x = new long[100000][];\n"
    hog += "for (int i = 0; i < x.length; i++) x[i] = new long[100000];\nreturn a + b;"
    assert sandbox.run(job(with_body(hog))).verdict == Verdict.OUT_OF_MEMORY


@pytest.mark.slow
def test_a_failing_test_class_initialiser_is_an_error(sandbox: PooledSandbox) -> None:
    broken = TESTS.replace(
        "{\n    @Test", "{\n    static int z = 1 / Solution.add(0, 0);\n    @Test"
    )
    outcome = sandbox.run(job(ADD, broken))
    assert (outcome.verdict, outcome.error_type) == (Verdict.ERROR, "ExceptionInInitializerError")


@pytest.mark.slow
def test_packages_and_public_classes_compile_as_written(sandbox: PooledSandbox) -> None:
    packaged = job("package calc;\n" + ADD, "package calc;\n" + TESTS)
    assert sandbox.run(packaged).verdict == Verdict.PASSED
    two_public = "public class Solution {\n    public static int add(int a, int b) {\n"
    two_public += "        return a + b;\n    }\n}\npublic class Helper {}\n"
    assert sandbox.run(job(two_public)).verdict == Verdict.PASSED


@pytest.mark.slow
def test_humaneval_x_programs_pass_and_fail_on_their_assertion(sandbox: PooledSandbox) -> None:
    assert sandbox.run(job(HX_CODE, HX_TESTS, "program")).verdict == Verdict.PASSED
    public = HX_CODE.replace("class Solution", "public class Solution")
    assert sandbox.run(job(public, HX_TESTS, "program")).verdict == Verdict.PASSED
    failed = sandbox.run(job(HX_CODE.replace("x + y", "x - y"), HX_TESTS, "program"))
    assert (failed.verdict, failed.tests[0].name) == (Verdict.FAILED, "program")


@pytest.mark.slow
def test_multipl_e_programs_run_with_assertions_enabled(sandbox: PooledSandbox) -> None:
    assert sandbox.run(job(MPE_CODE, MPE_TESTS, "program")).verdict == Verdict.PASSED
    failed = sandbox.run(job(MPE_CODE.replace("x + y", "x * y"), MPE_TESTS, "program"))
    assert (failed.verdict, failed.error_type) == (Verdict.FAILED, "AssertionError")


def test_braces_and_keywords_in_comments_and_literals_are_not_code() -> None:
    source = (
        '/** public class Fake { */\n@SuppressWarnings("unchecked")\npublic final class A {\n'
        '  String s = "class B {"; char c = \'{\'; String t = """\n  }class C {\n  """;\n'
        "  class Nested {}\n}\nrecord R(int x) {}\ninterface I {}\n"
    )
    assert [(t.name, t.public is not None) for t in top_level_types(source)] == [
        ("A", True),
        ("R", False),
        ("I", False),
    ]
    assert len(mask(source)) == len(source)


def test_files_are_named_after_their_public_or_first_class() -> None:
    java = language("java")
    native = java.program(job("public class Adder {}\nclass Other {}\n", TESTS))
    assert set(native.files) == {"Adder.java", "SolutionTest.java", "FactoryHarness.java"}
    assert native.run[-3:] == ("FactoryHarness", "native", "SolutionTest")
    assert native.address_space_mb == 0
    assert any(flag.startswith("-Xmx") for flag in native.run)
    program = java.program(job(HX_CODE.replace("class", "public class"), HX_TESTS, "program"))
    assert list(program.files) == ["Main.java", "FactoryHarness.java"]
    assert "public class Solution" not in program.files["Main.java"]
    multipl_e = java.program(job(MPE_CODE, MPE_TESTS, "program"))
    assert multipl_e.run[-2:] == ("program", "Problem")


def test_a_candidate_class_named_like_ours_cannot_replace_a_file() -> None:
    program = language("java").program(job("class FactoryHarness {}\n", TESTS))
    assert "OtherFactoryHarness.java" in program.files
    assert "Runtime.getRuntime().halt" in program.files["FactoryHarness.java"]


def test_sources_it_cannot_read_still_go_to_javac() -> None:
    unclosed = language("java").program(job("/* no end", HX_TESTS, "program"))
    assert unclosed.run[-1] == "Main"
    assert "/* no end" in unclosed.files["Main.java"]


def test_intake_checks_the_shape_of_the_tests() -> None:
    java = language("java")
    assert java.check_tests(TESTS, "native", "add") is None
    assert java.check_tests(IMPORTS + "class T { void adds() {} }", "native", "add") is not None
    junit4 = "import org.junit.Test;\nclass T { @Test public void adds() {} }"
    assert "JUnit 4" in (java.check_tests(junit4, "native", "add") or "")
    assert java.check_tests(HX_TESTS, "program", "add") is None
    assert java.check_tests(MPE_TESTS, "program", "add") is None
    assert java.check_tests("// static void main(\nclass M {}", "program", "add") is not None
