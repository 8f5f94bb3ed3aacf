"""Go 1.19: the candidate and its `_test.go` tests in one package, run by a harness test of ours.

Native tests are `func TestX(t *testing.T)` functions (a `_test.go` file) in the candidate's
package; both files' package clause becomes `package solution`, in a module of its own. `go
test` prints results on the stdout the candidate shares, so the compiled test binary runs only
our `TestFactoryHarness`, which runs each test found in the test file as a subtest (a panic is
recovered and counts as an error) and reports it on fd 3; the run's secret is read by a package
variable in the first file, before any `init`. HumanEval-X and MultiPL-E Go tests ("program"
style is the same form) may use github.com/stretchr/testify/assert: the harness ships a small
compatible package, since nothing can be downloaded. Missing `testing` / testify imports are
added, as the benchmarks leave them to a setup block.
"""

import re
from dataclasses import dataclass
from pathlib import Path

from factory.languages.base import Program
from factory.sandbox.job import ExecutionJob

GO = "/usr/bin/go"
TESTIFY = (Path(__file__).parent / "harness" / "go_testify_assert.go").read_text()
_PACKAGE = re.compile(r"^\s*package\s+\w+\s*$", re.M)
_TEST_FUNC = re.compile(r"^func\s+(Test\w*)\s*\(\s*\w+\s+\*testing\.T\s*\)", re.M)
_TESTIFY_IMPORT = '"github.com/stretchr/testify/assert"'

CHANNEL_FILE = """package solution

import "os"

// Read before any other package variable or init of the candidate's files.
var factorySecret = func() string {
	file := os.NewFile(4, "secret")
	buffer := make([]byte, 256)
	n, _ := file.Read(buffer)
	file.Close()
	text := string(buffer[:n])
	for i, c := range text {
		if c == '\\n' {
			return text[:i]
		}
	}
	return text
}()

var factoryChannel = os.NewFile(3, "report")
"""

HARNESS = """package solution

import (
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"
)

func factoryReport(record map[string]interface{}) {
	line, _ := json.Marshal(record)
	factoryChannel.Write([]byte(factorySecret + " " + string(line) + "\\n"))
}

func TestFactoryHarness(t *testing.T) {
	tests := []struct {
		name string
		fn   func(*testing.T)
	}{__FACTORY_TESTS__}
	for _, test := range tests {
		start := time.Now()
		panicked := ""
		skipped := false
		passed := t.Run(test.name, func(st *testing.T) {
			defer func() {
				if r := recover(); r != nil {
					panicked = fmt.Sprint(r)
					st.Fail()
				}
				skipped = st.Skipped() && !st.Failed()
			}()
			test.fn(st)
		})
		record := map[string]interface{}{"t": test.name, "d": time.Since(start).Seconds()}
		switch {
		case panicked != "":
			record["o"], record["m"], record["e"] = "error", "panic: "+panicked, "Panic"
		case skipped:
			record["o"] = "skipped"
		case passed:
			record["o"] = "passed"
		default:
			record["o"], record["m"] = "failed", "the test failed (its messages are in the output)"
		}
		factoryReport(record)
	}
	os.Stdout.Sync()
	factoryReport(map[string]interface{}{"end": len(tests)})
	os.Exit(0)
}
"""


def _in_package(source: str) -> str:
    if _PACKAGE.search(source):
        return _PACKAGE.sub("package solution", source, count=1)
    return "package solution\n\n" + source


def _with_imports(source: str, needed: list[str]) -> str:
    missing = [path for path in needed if path not in source]
    if not missing:
        return source
    block = "import (\n" + "".join(f"\t{path}\n" for path in missing) + ")\n"
    match = _PACKAGE.search(source)
    assert match is not None
    return source[: match.end()] + "\n\n" + block + source[match.end() :]


def test_names(tests: str) -> list[str]:
    return [name for name in _TEST_FUNC.findall(tests) if name != "TestFactoryHarness"]


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
        tests = _in_package(job.tests)
        uses_testify = "assert." in tests
        needed = ['"testing"'] + ([_TESTIFY_IMPORT] if uses_testify else [])
        tests = _with_imports(tests, needed)
        entries = ", ".join(f'{{"{name}", {name}}}' for name in names)
        files = {
            "go.mod": "module solution\n\ngo 1.19\n",
            "aaa_factory_secret_test.go": CHANNEL_FILE,
            "solution.go": _in_package(job.code),
            "solution_test.go": tests,
            "zzz_factory_harness_test.go": HARNESS.replace("__FACTORY_TESTS__", entries),
        }
        if uses_testify:
            files["go.mod"] += (
                "\nrequire github.com/stretchr/testify v1.8.4\n"
                "\nreplace github.com/stretchr/testify => ./testify\n"
            )
            files["testify/go.mod"] = "module github.com/stretchr/testify\n\ngo 1.19\n"
            files["testify/assert/assertions.go"] = TESTIFY
        return Program(
            files=files,
            compile=((GO, "test", "-c", "-vet=off", "-o", "program", "."),),
            run=("./program", "-test.run", "^TestFactoryHarness$", "-test.count=1", "-test.v"),
            env={
                "HOME": "{home}",
                "GOCACHE": "{home}/gocache",
                "GOPATH": "{home}/go",
                "GOPROXY": "off",
                "GOFLAGS": "-mod=mod",
                "GOMEMLIMIT": f"{job.memory_mb}MiB",
            },
            address_space_mb=0,  # Go reserves far more than it uses; the cgroup bounds it
        )

    def check_tests(self, tests: str, test_style: str, entry_point: str) -> str | None:
        if not test_names(tests):
            return "Go tests need at least one func TestX(t *testing.T)"
        return None


GO_LANGUAGE = Go()
