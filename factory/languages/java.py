"""Java 17: JUnit 5 test classes, or HumanEval-X test programs, run by our harness's main.

Native tests are a JUnit 5 class (`class SolutionTest { @Test void adds() { assertEquals(5,
Solution.add(2, 3)); } }`, with its own imports) beside the candidate's classes; each test
method is one reported test, through the JUnit Platform Launcher inside our harness
(harness/FactoryHarness.java), which reads the run's secret and opens the report channel before
any class of the candidate or the tests loads. "program" style (HumanEval-X): the candidate
(`class Solution`) and a `public class Main` whose main throws AssertionError on a wrong answer go
in one file; the one test `program` passes when main returns. Assumptions that abort a test are
errors, never skips, since the code under test could abort on purpose.
"""

import re
from dataclasses import dataclass
from pathlib import Path

from factory.languages.base import Program
from factory.sandbox.job import ExecutionJob

HARNESS = (Path(__file__).parent / "harness" / "FactoryHarness.java").read_text()
JAVAC = "/usr/bin/javac"
JAVA = "/usr/bin/java"
JUNIT = "/usr/share/java/junit-platform-console-standalone.jar"
_CDS = "/usr/lib/jvm/factory-cds"
_PUBLIC_CLASS = re.compile(
    r"^\s*public\s+(?:final\s+|abstract\s+)*(?:class|interface|enum|record)\s+(\w+)", re.M
)
_ANY_CLASS = re.compile(
    r"^\s*(?:public\s+)?(?:final\s+|abstract\s+)*(?:class|interface|enum|record)\s+(\w+)", re.M
)
_TEST_METHOD = re.compile(r"@(?:Test|ParameterizedTest|RepeatedTest)\b")
# Small-heap flags: the JVM starts in about a tenth of a second and stays inside the sandbox.
_JVM_FLAGS = (
    "-XX:TieredStopAtLevel=1",
    "-XX:+UseSerialGC",
    "-Xss1m",
    "-XX:ReservedCodeCacheSize=64m",
    "-XX:CompressedClassSpaceSize=64m",
    "-XX:MaxMetaspaceSize=128m",
    "-Xshare:auto",
    "-Xlog:disable",
    "-Xlog:all=off",
)


def class_name(source: str) -> str | None:
    """The public top-level class (the file must bear its name), else the first class."""
    match = _PUBLIC_CLASS.search(source) or _ANY_CLASS.search(source)
    return match.group(1) if match else None


@dataclass(frozen=True, slots=True)
class Java:
    name: str = "java"
    title: str = "Java"
    extension: str = ".java"
    highlight: str = "java"
    test_styles: tuple[str, ...] = ("native", "program")
    packages: tuple[str, ...] = ("default-jdk-headless", "junit5")

    def program(self, job: ExecutionJob) -> Program:
        if job.test_style not in self.test_styles:
            raise ValueError(f"{self.title} takes test styles {self.test_styles}")
        tests_class = class_name(job.tests)
        if tests_class is None:
            raise ValueError("the Java tests declare no class")
        files = {"FactoryHarness.java": HARNESS}
        if job.test_style == "program":
            # One file: HumanEval-X's test program relies on the candidate's imports.
            files[f"{tests_class}.java"] = job.code + "\n" + job.tests
        else:
            candidate_class = _public_class(job.code) or "Solution"
            files[f"{candidate_class}.java"] = job.code
            files[f"{tests_class}.java"] = job.tests
        heap = max(job.memory_mb - 160, 64)  # metaspace, code cache and stacks live outside
        sources = tuple(sorted(files))
        return Program(
            files=files,
            compile=(
                (
                    JAVAC,
                    f"-J-XX:SharedArchiveFile={_CDS}/javac.jsa",
                    "-J-Xshare:auto",
                    "-J-XX:TieredStopAtLevel=1",
                    "-J-XX:+UseSerialGC",
                    "-nowarn",
                    "-encoding",
                    "UTF-8",
                    "-cp",
                    JUNIT,
                    "-d",
                    "classes",
                    *sources,
                ),
            ),
            run=(
                JAVA,
                f"-Xmx{heap}m",
                *_JVM_FLAGS,
                "-cp",
                f"{JUNIT}:classes",
                "FactoryHarness",
                job.test_style,
                tests_class,
            ),
            address_space_mb=0,  # the JVM reserves far more than it uses; the cgroup bounds it
        )

    def check_tests(self, tests: str, test_style: str, entry_point: str) -> str | None:
        if class_name(tests) is None:
            return "the tests declare no class"
        if test_style == "native" and not _TEST_METHOD.search(tests):
            return "native tests need a JUnit 5 class with @Test methods"
        if test_style == "program" and "main" not in tests:
            return "program-style tests need a class with a main method"
        return None


def _public_class(source: str) -> str | None:
    match = _PUBLIC_CLASS.search(source)
    return match.group(1) if match else None


JAVA_LANGUAGE = Java()
