"""PHP: HumanEval-X / MultiPL-E test programs ("program" style) on php 8.2 cli.

Candidate and tests are one file, `program.php`: the candidate (its `<?php` added when missing,
a closing `?>` dropped) and then the tests (a leading `<?php` dropped), so the tests see the
candidate's functions. Our harness (harness/php_harness.php) requires it from inside a function
of its own, so the program shares none of the harness's variables (the secret, the channel);
the program's top-level variables are therefore that function's, not PHP globals. The one test
`program` passes when the file runs to its end; a thrown Exception or failed assert() (enabled:
zend.assertions=1) is a failure, an Error (TypeError, ParseError, ...) an error, and `exit()`
before the end never passes (exit 0: no closing line; a nonzero exit is a failure).
"""

import re
from dataclasses import dataclass
from pathlib import Path

from factory.languages.base import Program
from factory.sandbox.job import ExecutionJob, RunJob

HARNESS = (Path(__file__).parent / "harness" / "php_harness.php").read_text()
PHP = "/usr/bin/php"
# assert() checks on (Debian's php.ini turns them off), errors on stderr, not in the output.
_SETTINGS = ("-d", "zend.assertions=1", "-d", "assert.exception=1", "-d", "display_errors=stderr")
_OPEN_TAG = re.compile(r"\A\s*<\?php\b")
_CLOSE_TAG = re.compile(r"\?>\s*\Z")


def program_source(code: str, tests: str) -> str:
    """One PHP file of candidate then tests."""
    code = _CLOSE_TAG.sub("", code)
    if not _OPEN_TAG.match(code):
        code = "<?php\n" + code
    return code + "\n" + _OPEN_TAG.sub("", _CLOSE_TAG.sub("", tests)) + "\n"


@dataclass(frozen=True, slots=True)
class Php:
    name: str = "php"
    title: str = "PHP"
    extension: str = ".php"
    highlight: str = "php"
    test_styles: tuple[str, ...] = ("program",)
    packages: tuple[str, ...] = ("php-cli",)

    def program(self, job: ExecutionJob) -> Program:
        if job.test_style not in self.test_styles:
            raise ValueError(f"{self.title} takes test styles {self.test_styles}")
        memory = f"memory_limit={max(job.memory_mb // 2, 32)}M"
        return Program(
            files={
                "php_harness.php": HARNESS,
                "program.php": program_source(job.code, job.tests),
            },
            run=(PHP, *_SETTINGS, "-d", memory, "php_harness.php"),
            exit_fails=True,
        )

    def check_tests(self, tests: str, test_style: str, entry_point: str) -> str | None:
        if not tests.strip():
            return "program-style tests need checks (throw on a mismatch, or assert())"
        return None

    def run_program(self, job: RunJob) -> Program:
        code = job.code if _OPEN_TAG.match(job.code) else "<?php\n" + job.code
        memory = f"memory_limit={max(job.memory_mb // 2, 32)}M"
        return Program(
            files={"solution.php": code},
            run=(PHP, *_SETTINGS, "-d", memory, "-f", "solution.php"),
        )


PHP_LANGUAGE = Php()
