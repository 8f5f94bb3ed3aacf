"""C and C++: one translation unit of harness, candidate and tests, built with gcc / g++.

Native tests are `TEST(name) { CHECK(expr); assert(expr); }` blocks (the harness header
`factory_test.h`, included for them); each is reported on its own and a failed check ends only
its test. HumanEval-X / MultiPL-E records ("program" style) append a test program with its own
`main()` of asserts; the harness renames it, calls it and reports the one test `program` once it
returns. Standard `assert()` failures are caught by the harness's `__assert_fail`, so a
re-included <assert.h> still reports, and a candidate's own `main` is renamed out of the way.
"""

import re
from dataclasses import dataclass
from pathlib import Path

from factory.languages.base import Program
from factory.sandbox.job import ExecutionJob, RunJob

HEADER = (Path(__file__).parent / "harness" / "factory_test.h").read_text()

_NATIVE = """\
#include "factory_test.h"
#define main factory_candidate_main
#include "{solution}"
#undef main
#include "{tests}"
int main(void) {{ return factory_run_tests(); }}
"""

_PROGRAM = """\
#include "factory_test.h"
#include "{solution}"
#define main factory_tests_main
#include "{tests}"
#undef main
int main(void) {{
  double start = factory_now();
  factory_tests_main();
  factory_report("program", "passed", "", factory_now() - start);
  factory_end(1);
  return 0;
}}
"""

_TEST_BLOCK = re.compile(r"\bTEST\s*\(\s*\w+\s*\)")
_MAIN = re.compile(r"\bmain\s*\(")


@dataclass(frozen=True, slots=True)
class CFamily:
    name: str
    title: str
    extension: str
    highlight: str
    compiler: str
    flags: tuple[str, ...]
    packages: tuple[str, ...]
    test_styles: tuple[str, ...] = ("native", "program")

    def program(self, job: ExecutionJob) -> Program:
        if job.test_style not in self.test_styles:
            raise ValueError(f"{self.title} takes test styles {self.test_styles}")
        solution, tests = f"solution{self.extension}", f"tests{self.extension}"
        template = _NATIVE if job.test_style == "native" else _PROGRAM
        harness = f"harness{self.extension}"
        opt = "-O1" if job.test_style == "native" else "-O0"
        return Program(
            files={
                "factory_test.h": HEADER,
                solution: job.code,
                tests: job.tests,
                harness: template.format(solution=solution, tests=tests),
            },
            # A test program's main() becomes an ordinary function that may fall off its end
            # without `return`: undefined behaviour that optimised C++ turns into a crash.
            compile=((self.compiler, *self.flags, opt, "-o", "program", harness, "-lm"),),
            run=("./program",),
            exit_fails=job.test_style == "program",
        )

    def check_tests(self, tests: str, test_style: str, entry_point: str) -> str | None:
        if test_style == "native" and not _TEST_BLOCK.search(tests):
            return "native tests need at least one TEST(name) { ... } block"
        if test_style == "program" and not _MAIN.search(tests):
            return "program-style tests need a main() that runs the checks"
        return None

    def run_program(self, job: RunJob) -> Program:
        source = f"solution{self.extension}"
        return Program(
            files={source: job.code},
            compile=((self.compiler, *self.flags, "-O2", "-o", "program", source, "-lm"),),
            run=("./program",),
        )


C = CFamily(
    name="c",
    title="C",
    extension=".c",
    highlight="c",
    compiler="/usr/bin/gcc",
    flags=("-std=gnu17", "-w"),
    packages=("gcc", "libc6-dev"),
)
CPP = CFamily(
    name="cpp",
    title="C++",
    extension=".cpp",
    highlight="cpp",
    compiler="/usr/bin/g++",
    flags=("-std=gnu++17", "-w"),
    packages=("g++",),
)
