"""Bash: the candidate script's functions, judged by bats-style tests or a test program.

Native tests are a bats file, `@test "name" { run add 2 3; [ "$output" = "5" ]; }`, run by our own
bats-compatible runner (harness/bash_runner.sh), not by bats: bats reports over TAP on a stream
the candidate's commands can also write to (its test processes share bats's output fds), while
our runner runs each test in a subshell that has closed fds 3 and 4 and unset the secret, so only
the runner itself can report. Each test's subshell sources the candidate, then the test file
(whose @test blocks this module turns into functions), runs `setup`, the test and `teardown`
under `set -eE` as bats does, and must end with a status only the runner knows: a candidate's
`exit 0` is an early exit, never a pass. `run` (with `run !`, `run -N`) sets $status, $output and
$lines; `skip` is honoured as a test's first command only (the candidate shares the test's shell,
so a skip decided at run time could be the candidate's). No `load`, `setup_file`, bats-assert.
"program" style: the candidate, then a test script of `[ ... ] || exit 1` checks; the one test
`program` passes when the script reaches its end.
"""

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from factory.languages.base import Program
from factory.sandbox.job import ExecutionJob, RunJob

_HARNESS_DIR = Path(__file__).parent / "harness"
RUNNER = (_HARNESS_DIR / "bash_runner.sh").read_text()
BATS_LIB = (_HARNESS_DIR / "bash_lib.sh").read_text()
BASH = "/bin/bash"
_TEST_LINE = re.compile(r"^(\s*)@test\s+(.+?)\s*\{\s*$", re.MULTILINE)
_SKIP_FIRST = re.compile(r"\A\s*skip\b")


def _test_name(raw: str) -> str:
    try:
        words = shlex.split(raw)
    except ValueError:
        return raw
    return " ".join(words) if words else raw


def convert_bats(tests: str) -> tuple[str, list[str], list[bool]]:
    """(bash source with each @test block as function __factory_test_N, names, statically
    skipped)."""
    names: list[str] = []
    skips: list[bool] = []
    matches = list(_TEST_LINE.finditer(tests))
    for index, match in enumerate(matches):
        names.append(_test_name(match.group(2)))
        body_end = matches[index + 1].start() if index + 1 < len(matches) else len(tests)
        skips.append(bool(_SKIP_FIRST.match(tests[match.end() : body_end])))
    counter = iter(range(len(matches)))
    source = _TEST_LINE.sub(lambda m: f"{m.group(1)}__factory_test_{next(counter)}() {{", tests)
    return source, names, skips


@dataclass(frozen=True, slots=True)
class Bash:
    name: str = "bash"
    title: str = "Bash"
    extension: str = ".sh"
    highlight: str = "bash"
    test_styles: tuple[str, ...] = ("native", "program")
    packages: tuple[str, ...] = ("bash",)

    def program(self, job: ExecutionJob) -> Program:
        if job.test_style not in self.test_styles:
            raise ValueError(f"{self.title} takes test styles {self.test_styles}")
        files = {"bash_runner.sh": RUNNER, "solution.sh": job.code}
        if job.test_style == "native":
            source, names, skips = convert_bats(job.tests)
            quoted = " ".join(shlex.quote(name) for name in names)
            flags = " ".join("1" if skip else "0" for skip in skips)
            files |= {
                "bats_lib.sh": BATS_LIB,
                "tests.sh": source,
                "tests_index.sh": f"__factory_names=({quoted})\n__factory_skips=({flags})\n",
            }
        else:
            files["tests.sh"] = job.tests
        return Program(files=files, run=(BASH, "bash_runner.sh", job.test_style))

    def check_tests(self, tests: str, test_style: str, entry_point: str) -> str | None:
        if test_style == "native" and not _TEST_LINE.search(tests):
            return 'native tests need at least one @test "name" { ... } block'
        if test_style == "program" and not tests.strip():
            return "program-style tests need checks (e.g. [ ... ] || exit 1)"
        return None

    def run_program(self, job: RunJob) -> Program:
        return Program(files={"solution.sh": job.code}, run=(BASH, "solution.sh"))


BASH_LANGUAGE = Bash()
