"""Running submitted code in the sandbox, and saying in one sentence what a run showed."""

from typing import Any

from factory.execution.stage import job_test_style
from factory.languages import LANGUAGES
from factory.sandbox import Sandbox
from factory.sandbox.job import ExecutionJob, ExecutionOutcome
from factory.settings import SandboxSettings
from factory.tasktypes.base import RunCode, WorkContext, WorkError, WorkRefused
from factory.vocab import Verdict

MAX_MESSAGE_CHARS = 300


def job(context: WorkContext, code: str, tests: str, settings: SandboxSettings) -> ExecutionJob:
    """Code against tests in the task's language, as the execution stage would run it.

    Tests written on a page are in the language's own form (pytest for Python), whatever form
    the prompt's tests arrived in."""
    style = context.test_style if tests == context.tests else default_style(context.language)
    return ExecutionJob(
        code=code,
        tests=tests,
        entry_point=context.entry_point,
        test_style=job_test_style(context.language, style),
        timeout_s=settings.timeout_s,
        compile_timeout_s=settings.compile_timeout_s,
        memory_mb=settings.memory_mb,
        language=context.language,
    )


def code_runner(context: WorkContext, sandbox: Sandbox, settings: SandboxSettings) -> RunCode:
    def run(code: str, tests: str) -> ExecutionOutcome:
        return sandbox.run(job(context, code, tests, settings))

    return run


def default_style(language: str) -> str:
    return "pytest" if language == "python" else "native"


def check_written_tests(context: WorkContext, tests: str, label: str) -> None:
    """Tests typed on a page must be tests the language's harness can run (parsed, not run)."""
    plugin = LANGUAGES.get(context.language)
    if plugin is None:
        raise WorkError(f"{context.where}: the sandbox has no runner for {context.language!r}")
    style = default_style(context.language)
    if context.language == "python":
        import ast

        try:
            module = ast.parse(tests)
        except SyntaxError as exc:
            raise WorkError(
                f"{context.where}: {label} do not parse as Python: {exc.msg} at line {exc.lineno}"
            ) from None
        if not any(isinstance(node, ast.Assert) for node in ast.walk(module)):
            raise WorkError(f"{context.where}: {label} contain no assert, so nothing can fail")
        return
    problem = plugin.check_tests(tests, style, context.entry_point)
    if problem:
        raise WorkError(f"{context.where}: {label}: {problem}")


def need_sandbox(run: RunCode | None, context: WorkContext) -> RunCode:
    if run is None:
        raise WorkRefused(
            f"{context.where}: this work is checked in the sandbox, and no sandbox is available "
            "to the app; tell an admin"
        )
    return run


def first_problem(outcome: ExecutionOutcome) -> str:
    """The first failing test's message, or the verdict's own evidence."""
    if outcome.verdict == Verdict.COMPILE_ERROR:
        return _clip(outcome.compile_output or outcome.stderr)
    for test in outcome.tests:
        if test.outcome in ("failed", "error"):
            return _clip(f"{test.name}: {test.message}")
    return _clip(outcome.stderr or outcome.stdout or str(outcome.verdict))


def describe(outcome: ExecutionOutcome) -> str:
    tests = f"{outcome.tests_passed}/{outcome.tests_total} tests passed"
    if outcome.verdict == Verdict.PASSED:
        return tests
    return f"{outcome.verdict} ({tests}): {first_problem(outcome)}"


def record(name: str, outcome: ExecutionOutcome) -> dict[str, Any]:
    """One check as stored with a submission."""
    return {
        "check": name,
        "verdict": str(outcome.verdict),
        "tests_passed": outcome.tests_passed,
        "tests_total": outcome.tests_total,
        "wall_time_s": round(outcome.wall_time_s, 3),
    }


def sandbox_fault(outcome: ExecutionOutcome, context: WorkContext) -> None:
    """A fault of the sandbox is never the annotator's: say so, and write nothing."""
    if outcome.verdict == Verdict.SANDBOX_ERROR:
        raise WorkRefused(
            f"{context.where}: the sandbox failed to run the check ({first_problem(outcome)}); "
            "nothing was saved, submit again"
        )


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_MESSAGE_CHARS else text[: MAX_MESSAGE_CHARS - 1] + "…"
