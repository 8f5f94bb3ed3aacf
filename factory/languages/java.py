"""Java 17: JUnit 5 test classes, or HumanEval-X / MultiPL-E test programs, run by our harness.

"native": the candidate (imports, then `class Solution { ... }`, public or not) and the tests (a
JUnit 5 class with its own imports, `class SolutionTest { @Test void adds() { assertEquals(5,
Solution.add(2, 3)); } }`) are two files of one package, each named after its public top-level
class (else its first one). Each test method (each invocation of a parameterized one) is one
reported test. Assumptions that abort a test are errors, never skips: the code under test could
abort on purpose.
"program": candidate and tests are one file, since HumanEval-X's `public class Main { public
static void main(...) { ... throw new AssertionError(); } }` relies on the candidate's imports and
MultiPL-E's tests are the end of the candidate's own class (`public static void main(...) {
assert(...); } }`, so assertions are enabled). The one test `program` passes when that main
returns.
Our harness (harness/FactoryHarness.java, compiled with them) reads the run's secret and opens the
report channel before any class of the candidate or the tests loads.
"""

import re
from dataclasses import dataclass
from pathlib import Path

from factory.languages.base import Program
from factory.sandbox.job import ExecutionJob, RunJob

HARNESS_FILE = "FactoryHarness.java"
HARNESS = (Path(__file__).parent / "harness" / HARNESS_FILE).read_text()
JAVAC = "/usr/bin/javac"
JAVA = "/usr/bin/java"
JUNIT = "/usr/share/java/junit-platform-console-standalone.jar"
_CDS = "/usr/lib/jvm/factory-cds"  # AppCDS archives the image dumps; unused if absent
# javac runs for a moment: the fastest start, whatever the code.
_JAVAC_FLAGS = (
    f"-J-XX:SharedArchiveFile={_CDS}/javac.jsa",
    "-J-Xshare:auto",
    "-J-XX:TieredStopAtLevel=1",
    "-J-XX:+UseSerialGC",
    "-J-XX:-UsePerfData",
    "-J-Xss8m",  # deeply nested expressions in generated tests
    "-nowarn",
    "-encoding",
    "UTF-8",
)
# The run: a small-heap JVM that starts fast and stays inside the sandbox's memory.
_JVM_FLAGS = (
    f"-XX:SharedArchiveFile={_CDS}/junit.jsa",
    "-Xshare:auto",
    "-XX:TieredStopAtLevel=1",
    "-XX:+UseSerialGC",
    "-XX:-UsePerfData",  # no hsperfdata file, and no handle for attach tools
    "-XX:+DisableAttachMechanism",  # no jcmd heap dump to find the secret in
    "-Xss8m",  # recursive solutions
    "-XX:ReservedCodeCacheSize=64m",
    "-XX:CompressedClassSpaceSize=64m",
    "-XX:MaxMetaspaceSize=128m",
    "-Xlog:disable",  # no JVM warnings (e.g. an unusable CDS archive) among the output
    "-ea",  # MultiPL-E's checks are Java `assert` statements
)
# What the JVM needs beside the heap: metaspace, code cache, thread stacks, the JVM itself.
_NON_HEAP_MB = 160
_MIN_HEAP_MB = 32

_TYPE = re.compile(r"(?<![\w$.@])(class|interface|enum|record)\s+([A-Za-z_$][\w$]*)")
_PACKAGE = re.compile(r"^\s*package\s+([\w.]+)\s*;")
_PUBLIC = re.compile(r"\bpublic\b")
_MAIN = re.compile(r"\bstatic\b[^;{}=]*?\bvoid\s+main\s*\(")
_TEST_ANNOTATION = re.compile(
    r"@(?:[\w.]+\.)?(?:Test|ParameterizedTest|RepeatedTest|TestFactory|TestTemplate)\b"
)
_JUNIT4 = re.compile(r"\bimport\s+(?:static\s+)?org\.junit\.(?:Test|Assert|Before|After|Rule)\b")


@dataclass(frozen=True, slots=True)
class TypeDeclaration:
    """A top-level class, interface, enum or record, located in the source."""

    name: str
    start: int  # of the declaration's keyword
    end: int  # just past its closing brace (the source's end if it has none)
    public: tuple[int, int] | None  # where its `public` modifier is


def mask(source: str) -> str:
    """`source` with comments and the contents of string and char literals blanked out (same
    length, newlines kept), so that braces and keywords can be found by pattern."""
    out = list(source)
    i, size = 0, len(source)

    def blank(start: int, stop: int) -> None:
        for k in range(start, min(stop, size)):
            if out[k] != "\n":
                out[k] = " "

    while i < size:
        if source.startswith("//", i):
            stop = source.find("\n", i)
            stop = size if stop < 0 else stop
            blank(i, stop)
            i = stop
        elif source.startswith("/*", i):
            stop = source.find("*/", i + 2)
            stop = size if stop < 0 else stop + 2
            blank(i, stop)
            i = stop
        elif source.startswith('"""', i):
            stop = i + 3
            while stop < size and not source.startswith('"""', stop):
                stop += 2 if source[stop] == "\\" else 1
            blank(i + 3, stop)
            i = stop + 3
        elif source[i] in "\"'":
            quote, stop = source[i], i + 1
            while stop < size and source[stop] not in (quote, "\n"):
                stop += 2 if source[stop] == "\\" else 1
            blank(i + 1, stop)
            i = stop + 1
        else:
            i += 1
    return "".join(out)


def top_level_types(source: str) -> list[TypeDeclaration]:
    """The top-level type declarations of a Java compilation unit (or of a fragment of one)."""
    masked = mask(source)
    depth_at = []
    depth = 0
    for char in masked:
        depth_at.append(depth)
        depth += 1 if char == "{" else -1 if char == "}" else 0
    types = []
    position = 0
    for match in _TYPE.finditer(masked):
        start = match.start()
        if start < position or depth_at[start] != 0:
            continue
        end = _closing_brace(masked, depth_at, match.end())
        # Its modifiers: the words since the previous top-level statement or declaration ended.
        head_start = max(masked.rfind(";", 0, start), masked.rfind("}", 0, start)) + 1
        public = _PUBLIC.search(masked, head_start, start)
        types.append(TypeDeclaration(match.group(2), start, end, public.span() if public else None))
        position = end
    return types


def _closing_brace(masked: str, depth_at: list[int], after: int) -> int:
    opening = masked.find("{", after)
    if opening < 0:
        return len(masked)
    for index in range(opening + 1, len(masked)):
        if masked[index] == "}" and depth_at[index] == 1:
            return index + 1
    return len(masked)


def package_of(source: str) -> str:
    match = _PACKAGE.search(mask(source))
    return match.group(1) + "." if match else ""


def without_public(source: str, types: list[TypeDeclaration], keep: str) -> str:
    """`source` with the `public` modifier dropped from every top-level type but `keep`: one
    file may hold only one public class, and all of them share a package anyway."""
    for declaration in sorted(types, key=lambda t: t.start, reverse=True):
        if declaration.public and declaration.name != keep:
            begin, stop = declaration.public
            source = source[:begin] + " " * (stop - begin) + source[stop:]
    return source


def file_class(types: list[TypeDeclaration], fallback: str) -> str:
    """The class a compilation unit's file is named after: its public one, else its first."""
    public = [t.name for t in types if t.public]
    return public[0] if public else types[0].name if types else fallback


def main_class(source: str, types: list[TypeDeclaration], tests_start: int) -> str | None:
    """The top-level class whose `static void main` the test program runs: the first one
    declared in the tests' part of `source`, else the first anywhere."""
    masked = mask(source)
    mains = [m.start() for m in _MAIN.finditer(masked)]
    for position in [p for p in mains if p >= tests_start] + mains:
        for declaration in types:
            if declaration.start <= position < declaration.end:
                return declaration.name
    return None


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
        if job.test_style == "program":
            files, run_args = _program_files(job.code, job.tests)
        else:
            files, run_args = _native_files(job.code, job.tests)
        files[HARNESS_FILE] = HARNESS
        heap = max(job.memory_mb - _NON_HEAP_MB, _MIN_HEAP_MB)
        return Program(
            files=files,
            compile=((JAVAC, *_JAVAC_FLAGS, "-cp", JUNIT, "-d", "classes", *sorted(files)),),
            run=(JAVA, f"-Xmx{heap}m", *_JVM_FLAGS, "-cp", f"{JUNIT}:classes", *run_args),
            address_space_mb=0,  # the JVM reserves far more than it uses; the cgroup bounds it
        )

    def check_tests(self, tests: str, test_style: str, entry_point: str) -> str | None:
        masked = mask(tests)
        if test_style == "program":
            if not _MAIN.search(masked):
                return "program-style tests need a `static void main(String[] args)` that checks"
            return None
        if _JUNIT4.search(masked):
            return "JUnit 4 tests (org.junit.Test) do not run; use JUnit 5 (org.junit.jupiter.api)"
        if not top_level_types(tests):
            return "native tests need a JUnit 5 test class"
        if not _TEST_ANNOTATION.search(masked):
            return "native tests need a JUnit 5 class with @Test methods"
        return None

    def run_program(self, job: RunJob) -> Program:
        """One file named after its public class (else `Main.java`), run from the class that
        declares `static void main`."""
        types = top_level_types(job.code)
        public = [t.name for t in types if t.public]
        main = main_class(job.code, types, 0) or (types[0].name if types else "Main")
        source = f"{public[0] if public else main}.java"
        heap = max(job.memory_mb - _NON_HEAP_MB, _MIN_HEAP_MB)
        return Program(
            files={source: job.code},
            compile=((JAVAC, *_JAVAC_FLAGS, "-d", "classes", source),),
            run=(JAVA, f"-Xmx{heap}m", *_JVM_FLAGS, "-cp", "classes", package_of(job.code) + main),
            address_space_mb=0,
        )


def _native_files(code: str, tests: str) -> tuple[dict[str, str], tuple[str, ...]]:
    # Sources that cannot be read (an unclosed comment, no class) still go to javac, whose
    # message then explains the compile error.
    test_types = top_level_types(tests)
    code_types = top_level_types(code)
    candidate, test_class = file_class(code_types, "Candidate"), file_class(test_types, "Tests")
    test_file = _file_name(test_class, HARNESS_FILE)
    files = {
        test_file: without_public(tests, test_types, test_class),
        _file_name(candidate, HARNESS_FILE, test_file): without_public(code, code_types, candidate),
    }
    package = package_of(tests)
    return files, ("FactoryHarness", "native", *(package + t.name for t in test_types))


def _program_files(code: str, tests: str) -> tuple[dict[str, str], tuple[str, ...]]:
    source = code + "\n" + tests
    types = top_level_types(source)
    main = main_class(source, types, len(code) + 1) or "Main"
    files = {_file_name(main, HARNESS_FILE): without_public(source, types, main)}
    return files, ("FactoryHarness", "program", package_of(source) + main)


def _file_name(class_name: str, *taken: str) -> str:
    """`Name.java`, moved aside when taken: two sources that declare the same class then meet
    in javac, which names the clash, instead of one file replacing the other."""
    name = f"{class_name}.java"
    return f"Other{name}" if name in taken else name


JAVA_LANGUAGE = Java()
