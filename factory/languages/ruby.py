"""Ruby: HumanEval-X / MultiPL-E test programs ("program" style) on ruby 3.1.

Candidate and tests are one file, `program.rb`, which our harness (harness/ruby_harness.rb) loads;
the tests see the candidate's top-level methods. The test program may be plain checks
(`raise "..." unless add(2, 3) == 5`, `exit 1` on a mismatch) or MultiPL-E's Test::Unit class
(`require 'test/unit'`) or a Minitest class: the harness runs those cases itself once the file has
loaded, instead of at exit. The one test `program` passes when all of that ends without raising;
a RuntimeError or assertion failure, a failed Test::Unit / Minitest run or a nonzero `exit` is a
failure, any other exception an error, and `exit 0` before the end never passes (no closing
line). The secret and the channel live in the harness block's locals, out of the program's
reach through its own names; a program that searches the process (ObjectSpace, TracePoint) is
beyond this, as the README says of every single-process runtime.
"""

from dataclasses import dataclass
from pathlib import Path

from factory.languages.base import Program
from factory.sandbox.job import ExecutionJob, RunJob

HARNESS = (Path(__file__).parent / "harness" / "ruby_harness.rb").read_text()
RUBY = "/usr/bin/ruby"


@dataclass(frozen=True, slots=True)
class Ruby:
    name: str = "ruby"
    title: str = "Ruby"
    extension: str = ".rb"
    highlight: str = "ruby"
    test_styles: tuple[str, ...] = ("program",)
    packages: tuple[str, ...] = ("ruby",)

    def program(self, job: ExecutionJob) -> Program:
        if job.test_style not in self.test_styles:
            raise ValueError(f"{self.title} takes test styles {self.test_styles}")
        return Program(
            files={"ruby_harness.rb": HARNESS, "program.rb": job.code + "\n" + job.tests + "\n"},
            run=(RUBY, "--disable-did_you_mean", "ruby_harness.rb"),
        )

    def check_tests(self, tests: str, test_style: str, entry_point: str) -> str | None:
        if not tests.strip():
            return "program-style tests need checks (assert_equal, raise ... unless ...)"
        return None

    def run_program(self, job: RunJob) -> Program:
        return Program(
            files={"solution.rb": job.code},
            run=(RUBY, "--disable-did_you_mean", "solution.rb"),
        )


RUBY_LANGUAGE = Ruby()
