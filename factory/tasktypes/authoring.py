"""Authoring: an expert writes the reference solution, and the tests when the prompt has none.

Subject: the prompt. Payload: `solution`, `tests` (required when the prompt has no tests; the
prompt's own tests otherwise stay the judge), `notes_on_approach`. On submit the solution must
pass the prompt's tests and the authored tests. A solution is also run against the tests other
authors of the same task wrote (cross-checks: the kind's agreement).
"""

from typing import Any

from sqlmodel import Session

from factory.models import Prompt
from factory.settings import ReviewSettings
from factory.tasktypes.base import (
    Fields,
    Payload,
    PlannedWork,
    RepoSession,
    Rubric,
    RunCode,
    Verification,
    WorkContext,
    WorkError,
    WorkRefused,
    WorkType,
    code_text,
    optional_text,
)
from factory.tasktypes.checking import (
    check_written_tests,
    describe,
    need_sandbox,
    record,
    sandbox_fault,
)
from factory.tasktypes.cross import mutual_checks
from factory.vocab import Verdict, WorkKind

MAX_CODE_CHARS = 100_000
MAX_TEXT_CHARS = 10_000

RUBRIC = Rubric(
    version="authoring-1",
    summary="Write the solution you would want a model to learn from, and tests that would "
    "catch a wrong one.",
    sections=(
        (
            "Solution",
            "Correct for every input the prompt allows, idiomatic, no more complex "
            "than the problem; the sandbox runs it against the tests on submit.",
        ),
        (
            "Tests",
            "Needed when the prompt has none: the ordinary case, each edge case the prompt "
            "names, and one input a plausible wrong solution gets wrong.",
        ),
        ("Approach", "One or two sentences on why this approach; optional."),
    ),
)


class AuthoringWork(WorkType):
    kind = WorkKind.AUTHORING
    title = "Authoring"
    rubric = RUBRIC
    template = "work_authoring.html"
    checked_in_sandbox = True

    def plan(self, session: Session, prompt: Prompt, settings: ReviewSettings) -> list[PlannedWork]:
        assert prompt.id is not None  # a row read from the database
        return [PlannedWork(prompt.id, "prompt", {"has_tests": bool(prompt.tests.strip())})]

    def parse(self, fields: Fields, context: WorkContext) -> Payload:
        where = context.where
        solution = code_text(fields, "solution", "the solution", limit=MAX_CODE_CHARS, where=where)
        tests = str(fields.get("tests", "")).replace("\r\n", "\n").strip()
        if not tests and not context.tests.strip():
            raise WorkError(f"{where}: this prompt has no tests, so write them with the solution")
        if tests:
            tests = code_text(fields, "tests", "the tests", limit=MAX_CODE_CHARS, where=where)
            check_written_tests(context, tests, "the tests")
        approach = optional_text(
            fields, "approach", "the approach", limit=MAX_TEXT_CHARS, where=where
        )
        return {"solution": solution, "tests": tests, "approach": approach}

    def verify(
        self,
        payload: Payload,
        context: WorkContext,
        run: RunCode | None,
        repo: RepoSession | None = None,
    ) -> Verification:
        run = need_sandbox(run, context)
        checks = []
        for name, tests in (
            ("the prompt's tests", context.tests),
            ("your tests", payload["tests"]),
        ):
            if not tests.strip():
                continue
            outcome = run(payload["solution"], tests)
            sandbox_fault(outcome, context)
            if outcome.verdict != Verdict.PASSED:
                raise WorkRefused(
                    f"{context.where}: the solution does not pass {name}: {describe(outcome)}"
                )
            checks.append(record(name, outcome))
        return Verification(tuple(checks))

    def cross_checks(
        self, payload: Payload, earlier: list[tuple[int, Payload]], run: RunCode
    ) -> list[dict[str, Any]]:
        """Each solution against the tests the other author wrote (where they wrote some)."""
        return mutual_checks(payload, earlier, run, code_key="solution", tests_key="tests")

    def answer_text(self, payload: Payload) -> str:
        return payload["solution"]
