"""Bug-fix demonstrations: from buggy code, the root cause, the fix, a regression test and how
the bug was found.

Subject: a candidate that fails its tests (`candidate_a_id`), the record's `code`, or the
record's repository task (`repo_task`: fix and regression test are then patches, checked in the
task's environment; factory.tasktypes.repo_fix). Payload:
`root_cause` (words), `cause_category` (ROOT_CAUSES), `fixed_code`, `regression_test` (tests
in the language's own form), `how_found`. On submit the sandbox must see the regression test
fail on the buggy code and pass on the fix, and the fix pass the prompt's own tests; anything
else is refused with the reason. The fix is also run against the regression tests of earlier
submissions of the same task (cross-checks: the kind's agreement).
"""

from typing import Any

from sqlmodel import Session

from factory.envs.ecosystems import ECOSYSTEMS
from factory.models import EnvRecipe, Prompt, RepoTask
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
    required_text,
)
from factory.tasktypes.checking import (
    check_written_tests,
    describe,
    need_sandbox,
    record,
    sandbox_fault,
)
from factory.tasktypes.cross import mutual_checks
from factory.tasktypes.repo_fix import check_patches, verify_repo_fix
from factory.tasktypes.subjects import code_subjects
from factory.vocab import Verdict, WorkKind

ROOT_CAUSES = (
    "off_by_one",
    "wrong_condition",
    "missing_edge_case",
    "wrong_algorithm",
    "type_or_conversion",
    "state_or_mutation",
    "resource_or_concurrency",
    "api_misuse",
    "other",
)
# The buggy code must fail the regression test by running it, not by not building with it.
FAILING = {Verdict.FAILED, Verdict.ERROR, Verdict.TIMEOUT, Verdict.OUT_OF_MEMORY, Verdict.KILLED}
MAX_TEXT_CHARS = 10_000
MAX_CODE_CHARS = 100_000

RUBRIC = Rubric(
    version="bug-fix-1",
    summary="Find why the code is wrong, fix it with the smallest change that is right, and "
    "write the test that would have caught it.",
    sections=(
        (
            "Root cause",
            "The mistake in the code, not the symptom: 'the loop stops one short "
            "because range() excludes its end', not 'returns the wrong total'.",
        ),
        (
            "Fix",
            "The whole corrected code. Change what the cause needs and nothing else; the "
            "prompt's own tests must still pass.",
        ),
        (
            "Regression test",
            "Fails on the buggy code, passes on the fix. The sandbox checks "
            "both on submit and refuses the submission otherwise.",
        ),
        (
            "How you found it",
            "What you ran, read or tried, in order: the reasoning a model should learn to follow.",
        ),
    ),
)


class BugFixWork(WorkType):
    kind = WorkKind.BUG_FIX
    title = "Bug fix"
    rubric = RUBRIC
    template = "work_bug_fix.html"
    checked_in_sandbox = True

    def plan(self, session: Session, prompt: Prompt, settings: ReviewSettings) -> list[PlannedWork]:
        if prompt.repo_task:
            return repo_subject(session, prompt)
        failing = {Verdict.FAILED.value, Verdict.ERROR.value, Verdict.TIMEOUT.value}
        return code_subjects(session, prompt, verdicts=failing, limit=settings.subjects_per_prompt)

    def parse(self, fields: Fields, context: WorkContext) -> Payload:
        if context.repo_task is not None:
            return self._parse_repo(fields, context)
        where = context.where
        category = str(fields.get("cause_category", ""))
        if category not in ROOT_CAUSES:
            raise WorkError(f"{where}: choose the kind of root cause (one of {list(ROOT_CAUSES)})")
        payload = {
            "root_cause": required_text(
                fields, "root_cause", "the root cause", limit=MAX_TEXT_CHARS, where=where
            ),
            "cause_category": category,
            "fixed_code": code_text(
                fields, "fixed_code", "the fixed code", limit=MAX_CODE_CHARS, where=where
            ),
            "regression_test": code_text(
                fields, "regression_test", "a regression test", limit=MAX_CODE_CHARS, where=where
            ),
            "how_found": required_text(
                fields, "how_found", "how you found it", limit=MAX_TEXT_CHARS, where=where
            ),
        }
        if payload["fixed_code"].strip() == context.code.strip():
            raise WorkError(f"{where}: the fixed code is the buggy code unchanged")
        check_written_tests(context, payload["regression_test"], "the regression test")
        return payload

    def verify(
        self,
        payload: Payload,
        context: WorkContext,
        run: RunCode | None,
        repo: RepoSession | None = None,
    ) -> Verification:
        if context.repo_task is not None:
            ecosystem = ECOSYSTEMS[context.subject["ecosystem"]]
            return verify_repo_fix(context.repo_task, ecosystem, payload, context, repo)
        run = need_sandbox(run, context)
        where = context.where
        buggy = run(context.code, payload["regression_test"])
        sandbox_fault(buggy, context)
        if buggy.verdict == Verdict.PASSED:
            raise WorkRefused(
                f"{where}: the regression test passes on the buggy code, so it does not catch "
                f"the bug ({describe(buggy)})"
            )
        if buggy.verdict not in FAILING:
            raise WorkRefused(
                f"{where}: the regression test must fail on the buggy code by running, not by "
                f"not building with it: {describe(buggy)}"
            )
        fixed = run(payload["fixed_code"], payload["regression_test"])
        sandbox_fault(fixed, context)
        if fixed.verdict != Verdict.PASSED:
            raise WorkRefused(f"{where}: the regression test fails on your fix: {describe(fixed)}")
        checks = [record("regression test on the buggy code", buggy)]
        checks.append(record("regression test on the fix", fixed))
        if context.tests.strip():
            own = run(payload["fixed_code"], context.tests)
            sandbox_fault(own, context)
            if own.verdict != Verdict.PASSED:
                raise WorkRefused(
                    f"{where}: your fix fails the prompt's own tests: {describe(own)}"
                )
            checks.append(record("the prompt's tests on the fix", own))
        return Verification(tuple(checks))

    def _parse_repo(self, fields: Fields, context: WorkContext) -> Payload:
        """A fix and a regression test as unified diffs against the task's base commit."""
        where = context.where
        category = str(fields.get("cause_category", ""))
        if category not in ROOT_CAUSES:
            raise WorkError(f"{where}: choose the kind of root cause (one of {list(ROOT_CAUSES)})")
        payload = {
            "root_cause": required_text(
                fields, "root_cause", "the root cause", limit=MAX_TEXT_CHARS, where=where
            ),
            "cause_category": category,
            "fix_patch": code_text(
                fields, "fix_patch", "the fix patch", limit=MAX_CODE_CHARS, where=where
            ),
            "regression_test": code_text(
                fields,
                "regression_test",
                "a regression test patch",
                limit=MAX_CODE_CHARS,
                where=where,
            ),
            "how_found": required_text(
                fields, "how_found", "how you found it", limit=MAX_TEXT_CHARS, where=where
            ),
        }
        check_patches(payload, ECOSYSTEMS[context.subject["ecosystem"]], where)
        return payload

    def cross_checks(
        self, payload: Payload, earlier: list[tuple[int, Payload]], run: RunCode
    ) -> list[dict[str, Any]]:
        """Each fix against the other's regression test: independent fixers agree when each
        passes the other's test."""
        if "fix_patch" in payload:
            return []  # repository fixes: each check is a container session; not repeated here
        return mutual_checks(
            payload, earlier, run, code_key="fixed_code", tests_key="regression_test"
        )

    def answer_text(self, payload: Payload) -> str:
        return answer_markdown(payload, fence=_fence(payload))


def _fence(payload: Payload) -> str:
    return "````" if "```" in payload["fixed_code"] + payload["regression_test"] else "```"


def answer_markdown(payload: Payload, *, fence: str = "```", language: str = "") -> str:
    """The demonstration as an assistant would write it: cause, search, fix, test."""
    return (
        f"Root cause: {payload['root_cause']}\n\n"
        f"How I found it: {payload['how_found']}\n\n"
        f"Fix:\n{fence}{language}\n{payload['fixed_code'].rstrip()}\n{fence}\n\n"
        f"Regression test:\n{fence}{language}\n{payload['regression_test'].rstrip()}\n{fence}\n"
    )


def repo_subject(session: Session, prompt: Prompt) -> list[PlannedWork]:
    """The prompt's repository task, when the funnel kept it with a built environment."""
    assert prompt.id is not None and prompt.repo_task is not None  # checked by the caller
    task = session.get(RepoTask, prompt.repo_task)
    if task is None or task.status != "stable" or not task.recipe_id:
        return []  # reported by the enqueue counts as a prompt without subject
    recipe = session.get(EnvRecipe, task.recipe_id)
    if recipe is None or recipe.status != "built":
        return []
    subject = {
        "source": "repo_task",
        "instance_id": task.instance_id,
        "ecosystem": recipe.ecosystem,
    }
    return [PlannedWork(prompt.id, f"repo:{task.instance_id}", subject)]
