"""The shape every language plug-in has, and the program a plug-in hands the sandbox.

A plug-in turns an `ExecutionJob` into a `Program`: the files to write (candidate, tests and a
small harness in the language), the compile commands and the run command; and a `RunJob` (a
program run for its own sake, no tests) into the files and commands that build and run it. The
sandbox's fork server runs them (factory.sandbox.server, "Program jobs"); the harness reports each
test on fd 3, each line led by the run's secret, which it reads once from fd 4 (see
`HARNESS_PROTOCOL`).
"""

from dataclasses import dataclass, field
from typing import Protocol

from factory.sandbox.job import ExecutionJob, RunJob

# The contract between a harness and the fork server, for plug-in authors.
HARNESS_PROTOCOL = """\
Read the secret: the first line of fd 4 (then close fd 4).
For each test write one line to fd 3: SECRET + " " + JSON {"t": name, "o": outcome, "m": message,
"d": seconds, "e": error type}; outcome is passed | failed | error | skipped.
After the last test write SECRET + " " + {"end": N} (N tests). Without that line the run is not
complete and cannot pass, whatever the exit status.
"""

# Placeholders the server expands in commands and environment values.
WORK = "{work}"  # the job's working directory (the files are written here)
HOME = "{home}"  # a private, writable home for caches the toolchain insists on


@dataclass(frozen=True, slots=True)
class Program:
    files: dict[str, str]
    run: tuple[str, ...]
    compile: tuple[tuple[str, ...], ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    # RLIMIT_AS of the run and of the compile steps, in MB: None takes the job's memory_mb;
    # 0 sets none (runtimes that reserve far more address space than they use, like the JVM
    # and Go, are bounded by the sandbox's cgroup or container memory instead).
    address_space_mb: int | None = None
    compile_address_space_mb: int | None = 0
    # A nonzero exit of the run without the harness's closing line means a test assertion
    # failed (test programs that assert and exit, as in HumanEval-X / MultiPL-E).
    exit_fails: bool = False


class LanguagePlugin(Protocol):
    """Read-only attributes (a frozen dataclass satisfies them) and two methods."""

    @property
    def name(self) -> str: ...  # a factory.vocab.Language value

    @property
    def title(self) -> str: ...  # for people: "C++", "TypeScript"

    @property
    def extension(self) -> str: ...  # of the candidate's source file

    @property
    def highlight(self) -> str: ...  # the highlight.js language name, for the review page

    @property
    def test_styles(self) -> tuple[str, ...]: ...  # the ExecutionJob.test_style values it takes

    @property
    def packages(self) -> tuple[str, ...]: ...  # Debian packages the sandbox image needs

    def program(self, job: ExecutionJob) -> Program:
        """The files and commands that judge `job` (raises ValueError for a job it cannot
        run, naming why)."""
        ...

    def check_tests(self, tests: str, test_style: str, entry_point: str) -> str | None:
        """Cheap checks of a prompt's tests at intake: the problem, or None when they look
        runnable (the sandbox decides the rest)."""
        ...

    def run_program(self, job: RunJob) -> Program:
        """The files and commands that build (where the language needs it) and run `job.code`
        as a program of its own: stdin in, output and exit status out, no harness and no tests
        (the sandbox service's /run_code)."""
        ...
