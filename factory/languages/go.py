"""Go 1.19: candidate and tests in one package of a module of their own, run by a harness test.

Each top-level `func TestX(t *testing.T)` of the tests is one reported test. Whatever package
clause the texts carry (`package calc`, `package main`, MultiPL-E's `package add_test`, or none)
becomes `package solution`, so the tests see the candidate's names unqualified.
"native": the candidate's file as written (an unused import stays a compile error, as in Go) and
a `_test.go` file of the tests; the tests may leave out their imports of testing, fmt or testify.
"program" (MultiPL-E, HumanEval-X): candidate and tests are one file, as those benchmarks' own
runners write them; both texts' imports are merged at its top and, as HumanEval-X's runner does,
imports nobody uses are dropped and common std packages used without one are added.
`go test` prints its results on the stdout the candidate shares, so the compiled test binary runs
only our `TestFactoryHarness` (harness/go_harness_test.go): it runs each test as a subtest (a
panic is an error, `t.Skip` a skip, a failure reports what the test logged) and writes the report
through package factoryreport, which the candidate's package imports and so initialises first:
the run's secret is read before any candidate code runs. github.com/stretchr/testify/assert is
a small compatible copy (harness/go_testify_assert.go): nothing can be downloaded.
"""

import re
from dataclasses import dataclass
from pathlib import Path

from factory.languages.base import HOME, Program
from factory.sandbox.job import ExecutionJob, RunJob

GO = "/usr/bin/go"
MODULE = "solution"
_HARNESS_DIR = Path(__file__).parent / "harness"
HARNESS = (_HARNESS_DIR / "go_harness_test.go").read_text()
REPORT = (_HARNESS_DIR / "go_factory_report.go").read_text()
TESTIFY = (_HARNESS_DIR / "go_testify_assert.go").read_text()
TESTIFY_PATH = "github.com/stretchr/testify/assert"

# Comments and literals, blanked before names are looked for (a commented-out test is no test).
_NOISE = re.compile(r"//[^\n]*|/\*.*?\*/|\"(?:\\.|[^\"\\\n])*\"|`[^`]*`|'(?:\\.|[^'\\\n])*'", re.S)
# One item of a file's head: a comment, the package clause or an import declaration.
_HEAD_ITEM = re.compile(
    r"\s*(?://[^\n]*|/\*.*?\*/|(?P<package>package\s+\w+)\s*;?"
    r"|import\s*(?:\((?P<group>(?:[^)\"]|\"[^\"]*\")*)\)|(?P<single>(?:[\w.]+\s+)?\"[^\"]*\"))\s*;?)",
    re.S,
)
_IMPORT_SPEC = re.compile(r"(?:([\w.]+)\s+)?\"([^\"]+)\"")
_TEST_FUNC = re.compile(r"^func\s+(Test\w*)\s*\(\s*\w+\s+\*testing\.T\s*\)", re.M)
# Imported when used and missing, as HumanEval-X's runner does (plus what tests commonly use).
_KNOWN = (
    "testing",
    "fmt",
    "strings",
    "strconv",
    "math",
    "sort",
    "bytes",
    "regexp",
    "time",
    "unicode",
    "reflect",
    "errors",
    "math/rand",
    "crypto/md5",
    TESTIFY_PATH,
)

Import = tuple[str, str]  # (alias or "", path)


@dataclass(frozen=True, slots=True)
class GoSource:
    """A Go text split into its head (package clause, imports) and the rest."""

    package: str | None
    imports: tuple[Import, ...]
    body: str


def parse(source: str) -> GoSource:
    package: str | None = None
    imports: list[Import] = []
    position = end = 0
    while match := _HEAD_ITEM.match(source, position):
        if match.end() == position:
            break
        position = match.end()
        if match.group("package"):
            package = match.group("package").split()[1]
        elif match.group("group") is not None or match.group("single"):
            specs = _NOISE.sub(_keep_strings, match.group("group") or match.group("single"))
            imports += [(alias or "", path) for alias, path in _IMPORT_SPEC.findall(specs)]
        else:
            continue  # a comment: part of the head only when more head follows
        end = position
    return GoSource(package, tuple(imports), source[end:])


def _keep_strings(match: re.Match[str]) -> str:
    return match.group(0) if match.group(0).startswith('"') else " "


def _name(spec: Import) -> str:
    alias, path = spec
    return alias or path.rsplit("/", 1)[-1]


def _uses(code: str, name: str) -> bool:
    return re.search(rf"(?<![\w.]){re.escape(name)}\s*\.", code) is not None


def fix_imports(imports: tuple[Import, ...], body: str) -> list[Import]:
    """Drop the std imports `body` does not use and add the known ones it uses without."""
    code = _NOISE.sub(" ", body)
    kept: list[Import] = []
    for spec in dict.fromkeys(imports):
        alias, path = spec
        known = "." not in path.split("/")[0] or path == TESTIFY_PATH
        if alias in ("_", ".") or not known or _uses(code, _name(spec)):
            kept.append(spec)
    names = {_name(spec) for spec in kept}
    for path in _KNOWN:
        name = path.rsplit("/", 1)[-1]
        if name not in names and _uses(code, name):
            kept.append(("", path))
            names.add(name)
    return kept


def render(imports: list[Import], body: str) -> str:
    lines = "".join(f'\t{alias + " " if alias else ""}"{path}"\n' for alias, path in imports)
    block = f"import (\n{lines})\n\n" if imports else ""
    return f"package {MODULE}\n\n{block}{body.lstrip()}"


def in_package(source: str) -> str:
    """`source` with its package clause (or none) made `package solution`, nothing else."""
    match = re.search(r"^\s*package\s+\w+[ \t]*;?", _NOISE.sub(_blank, source))
    if match is None:
        return f"package {MODULE}\n\n{source}"
    start = match.group(0).index("package") + match.start()
    return f"{source[:start]}package {MODULE}{source[match.end() :]}"


def _blank(match: re.Match[str]) -> str:
    """The same length of spaces (newlines kept): positions stay valid in the original."""
    return re.sub(r"[^\n]", " ", match.group(0))


def test_names(tests: str) -> list[str]:
    """The `func TestX(t *testing.T)` that `go test` would run (X not lowercase), in order."""
    names = _TEST_FUNC.findall(_NOISE.sub(_blank, tests))
    return [
        name
        for name in dict.fromkeys(names)
        if name != "TestFactoryHarness" and (len(name) == 4 or not name[4].islower())
    ]


def module_files(job: ExecutionJob, names: list[str]) -> dict[str, str]:
    tests = parse(job.tests)
    if job.test_style == "native":
        files = {
            "solution.go": in_package(job.code),
            "solution_test.go": render(fix_imports(tests.imports, tests.body), tests.body),
        }
    else:
        code = parse(job.code)
        body = code.body.rstrip() + "\n\n" + tests.body.lstrip()
        files = {"solution_test.go": render(fix_imports(code.imports + tests.imports, body), body)}
    entries = ", ".join(f'{{"{name}", {name}}}' for name in names)
    files["zzz_factory_harness_test.go"] = HARNESS.replace("__FACTORY_TESTS__", entries)
    files["internal/factoryreport/report.go"] = REPORT
    go_mod = f"module {MODULE}\n\ngo 1.19\n"
    if any(f'"{TESTIFY_PATH}"' in text for text in files.values()):
        go_mod += (
            "\nrequire github.com/stretchr/testify v1.8.4\n"
            "\nreplace github.com/stretchr/testify => ./third_party/testify\n"
        )
        files["third_party/testify/go.mod"] = "module github.com/stretchr/testify\n\ngo 1.19\n"
        files["third_party/testify/assert/assertions.go"] = TESTIFY
    files["go.mod"] = go_mod
    return files


@dataclass(frozen=True, slots=True)
class Go:
    name: str = "go"
    title: str = "Go"
    extension: str = ".go"
    highlight: str = "go"
    test_styles: tuple[str, ...] = ("native", "program")
    packages: tuple[str, ...] = ("golang-go",)

    def program(self, job: ExecutionJob) -> Program:
        if job.test_style not in self.test_styles:
            raise ValueError(f"{self.title} takes test styles {self.test_styles}")
        names = test_names(job.tests)
        if not names:
            raise ValueError("the Go tests define no func TestX(t *testing.T)")
        return Program(
            files=module_files(job, names),
            # vet is off: it is most of a cold build's time and judges style, not behaviour.
            compile=((GO, "test", "-c", "-vet=off", "-o", "program", "."),),
            run=("./program", "-test.run", "^TestFactoryHarness$", "-test.count=1"),
            env=_env(job.memory_mb),
            # Go reserves far more address space than it uses: the cgroup bounds its memory.
            address_space_mb=0,
            compile_address_space_mb=0,
        )

    def check_tests(self, tests: str, test_style: str, entry_point: str) -> str | None:
        if not test_names(tests):
            return "Go tests need at least one func TestX(t *testing.T)"
        return None

    def run_program(self, job: RunJob) -> Program:
        """A `package main` program as `go build` makes it, in a module of its own."""
        return Program(
            files={"main.go": job.code, "go.mod": "module main\n\ngo 1.19\n"},
            compile=((GO, "build", "-o", "program", "."),),
            run=("./program",),
            env=_env(job.memory_mb),
            address_space_mb=0,
            compile_address_space_mb=0,
        )


def _env(memory_mb: int) -> dict[str, str]:
    return {
        "GOCACHE": f"{HOME}/gocache",
        "GOPATH": f"{HOME}/go",
        "GOPROXY": "off",  # a missing module fails the build; nothing is downloaded
        "GOMEMLIMIT": f"{memory_mb}MiB",
    }


GO_LANGUAGE = Go()
