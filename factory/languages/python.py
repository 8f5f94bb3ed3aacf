"""Python: judged by the fork server's own runner (factory.sandbox.server), not as a program;
a run for its own sake (`RunJob`) is the interpreter on the code, as any program."""

import ast
from dataclasses import dataclass

from factory.languages.base import Program
from factory.sandbox.job import ExecutionJob, RunJob


@dataclass(frozen=True, slots=True)
class Python:
    name: str = "python"
    title: str = "Python"
    extension: str = ".py"
    highlight: str = "python"
    test_styles: tuple[str, ...] = ("pytest", "check")
    packages: tuple[str, ...] = ("python3", "python3-pytest")

    def program(self, job: ExecutionJob) -> Program:
        raise ValueError("Python jobs run in the fork server's runner, not as a program")

    def check_tests(self, tests: str, test_style: str, entry_point: str) -> str | None:
        try:
            ast.parse(tests)
        except SyntaxError as exc:
            return f"tests do not parse: {exc.msg} (line {exc.lineno})"
        return None

    def run_program(self, job: RunJob) -> Program:
        return Program(files={"solution.py": job.code}, run=(PYTHON3, "solution.py"))


PYTHON3 = "/usr/bin/python3"
PYTHON = Python()
