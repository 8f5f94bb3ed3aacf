"""Refactoring trajectories: from working code, each step in order (the code after it and why),
with the tests run after every step.

Subject: a candidate that passes its tests (`candidate_a_id`) or the record's `code` (the
prompt's tests must pass on it). Payload: `goal` (GOALS), `steps` [{code, why, move}]. The
sandbox runs the tests after every step; a step that breaks them is flagged (it may be repaired
by a later step) and can never be the last: a trajectory that ends broken is refused.
"""

import json
from typing import Any

from sqlmodel import Session

from factory.models import Prompt, RefactorStep
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
)
from factory.tasktypes.checking import describe, need_sandbox, record, sandbox_fault
from factory.tasktypes.subjects import code_subjects
from factory.vocab import Verdict, WorkKind

MOVES = (
    "rename",
    "extract_function",
    "inline",
    "simplify_conditional",
    "remove_duplication",
    "replace_algorithm",
    "restructure_data",
    "remove_dead_code",
    "other",
)
MAX_STEPS = 20
MAX_CODE_CHARS = 100_000
MAX_WHY_CHARS = 4_000

RUBRIC = Rubric(
    version="refactoring-1",
    summary="Improve the code in small steps that each keep it working; say why for each.",
    sections=(
        (
            "Steps",
            "One idea per step: a rename, an extraction, a simpler condition. The tests "
            "run after every step; a step that breaks them is flagged.",
        ),
        (
            "Behaviour",
            "Every step keeps what the code does. A broken step may be repaired by the "
            "next, but the trajectory can never end on one.",
        ),
        ("Why", "What the step makes better for the next reader or for speed, in a sentence."),
        ("Move", "The kind of step, from the list: it is what agreement is measured on."),
    ),
)


def parse_steps(raw: str, start_code: str, where: str) -> list[dict[str, str]]:
    try:
        items = json.loads(raw or "[]")
    except json.JSONDecodeError:
        raise WorkError(f"{where}: the steps are not valid JSON") from None
    if not isinstance(items, list) or not items:
        raise WorkError(f"{where}: a trajectory needs at least one step")
    if len(items) > MAX_STEPS:
        raise WorkError(f"{where}: at most {MAX_STEPS} steps")
    steps: list[dict[str, str]] = []
    previous = start_code.strip()
    for number, item in enumerate(items, 1):
        label = f"{where}: step {number}"
        if not isinstance(item, dict):
            raise WorkError(f"{label} is not an object")
        code = str(item.get("code", "")).replace("\r\n", "\n").rstrip()
        why = str(item.get("why", "")).strip()
        move = str(item.get("move", ""))
        if not code.strip():
            raise WorkError(f"{label}: its code is empty")
        if len(code) > MAX_CODE_CHARS:
            raise WorkError(f"{label}: its code is longer than {MAX_CODE_CHARS} characters")
        if code.strip() == previous:
            raise WorkError(f"{label}: changes nothing")
        if not why:
            raise WorkError(f"{label}: say why")
        if len(why) > MAX_WHY_CHARS:
            raise WorkError(f"{label}: the why is longer than {MAX_WHY_CHARS} characters")
        if move not in MOVES:
            raise WorkError(f"{label}: move {move!r} is not one of {list(MOVES)}")
        steps.append({"code": code + "\n", "why": why, "move": move})
        previous = code.strip()
    return steps


class RefactoringWork(WorkType):
    kind = WorkKind.REFACTORING
    title = "Refactoring"
    rubric = RUBRIC
    template = "work_refactoring.html"
    checked_in_sandbox = True

    def plan(self, session: Session, prompt: Prompt, settings: ReviewSettings) -> list[PlannedWork]:
        if not prompt.tests.strip():
            return []  # nothing could tell a refactoring from a rewrite
        return code_subjects(
            session, prompt, verdicts={Verdict.PASSED.value}, limit=settings.subjects_per_prompt
        )

    def parse(self, fields: Fields, context: WorkContext) -> Payload:
        steps = parse_steps(str(fields.get("steps", "")), context.code, context.where)
        return {"steps": steps}

    def verify(
        self,
        payload: Payload,
        context: WorkContext,
        run: RunCode | None,
        repo: RepoSession | None = None,
    ) -> Verification:
        run = need_sandbox(run, context)
        checks: list[dict[str, Any]] = []
        for number, step in enumerate(payload["steps"], 1):
            outcome = run(step["code"], context.tests)
            sandbox_fault(outcome, context)
            step["verdict"] = str(outcome.verdict)
            step["tests_passed"] = outcome.tests_passed
            step["tests_total"] = outcome.tests_total
            step["breaks_tests"] = outcome.verdict != Verdict.PASSED
            checks.append(record(f"step {number}", outcome))
        last = payload["steps"][-1]
        if last["breaks_tests"]:
            n = len(payload["steps"])
            raise WorkRefused(
                f"{context.where}: step {n} breaks the tests and cannot end the trajectory: "
                f"{describe(run(last['code'], context.tests))}"
            )
        return Verification(tuple(checks))

    def store(self, session: Session, submission_id: int, payload: Payload) -> None:
        for position, step in enumerate(payload["steps"], 1):
            session.add(
                RefactorStep(
                    submission_id=submission_id,
                    position=position,
                    code=step["code"],
                    why=step["why"],
                    verdict=step["verdict"],
                    tests_passed=step["tests_passed"],
                    tests_total=step["tests_total"],
                    breaks_tests=step["breaks_tests"],
                )
            )

    def answer_text(self, payload: Payload) -> str:
        return "\n".join(
            f"Step {n} ({s['move']}): {s['why']}" for n, s in enumerate(payload["steps"], 1)
        )
