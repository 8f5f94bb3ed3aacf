"""Reasoning verbalisations: solve the prompt while thinking aloud.

Notes are captured while working (ReasoningNote, stamped with the seconds since the claim
began; factory.tasktypes.notes), on this page and beside every other kind. A reasoning task
needs at least MIN_NOTES of them before it is submitted. Payload: `answer` (code, checked
against the prompt's tests), `approach` (APPROACHES) and `summary`. Packaged as the notes,
in order, followed by the answer.
"""

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
from factory.tasktypes.checking import describe, need_sandbox, record, sandbox_fault
from factory.vocab import Verdict, WorkKind

APPROACHES = (
    "direct",
    "brute_force",
    "greedy",
    "dynamic_programming",
    "divide_and_conquer",
    "two_pointers",
    "graph_search",
    "math",
    "simulation",
    "other",
)
MIN_NOTES = 2
MAX_CODE_CHARS = 100_000
MAX_TEXT_CHARS = 10_000

RUBRIC = Rubric(
    version="reasoning-1",
    summary="Think aloud while you solve it: write a note whenever you understand, decide, try "
    "or reject something; then give the answer.",
    sections=(
        (
            "Notes",
            "Written as you go (each is stamped when you add it), not a summary at the "
            "end: what you noticed, what you tried, why you dropped it. At least two.",
        ),
        ("Answer", "Working code: the sandbox runs it against the prompt's tests on submit."),
        ("Approach", "The family the final approach belongs to; agreement is measured on it."),
    ),
)


class ReasoningWork(WorkType):
    kind = WorkKind.REASONING
    title = "Reasoning"
    rubric = RUBRIC
    template = "work_reasoning.html"
    checked_in_sandbox = True
    min_notes = MIN_NOTES

    def plan(self, session: Session, prompt: Prompt, settings: ReviewSettings) -> list[PlannedWork]:
        assert prompt.id is not None  # a row read from the database
        if not prompt.tests.strip():
            return []  # an answer nobody can check teaches nothing trustworthy
        return [PlannedWork(prompt.id, "prompt")]

    def parse(self, fields: Fields, context: WorkContext) -> Payload:
        where = context.where
        approach = str(fields.get("approach", ""))
        if approach not in APPROACHES:
            raise WorkError(f"{where}: choose the approach (one of {list(APPROACHES)})")
        return {
            "answer": code_text(fields, "answer", "the answer", limit=MAX_CODE_CHARS, where=where),
            "approach": approach,
            "summary": optional_text(
                fields, "summary", "the summary", limit=MAX_TEXT_CHARS, where=where
            ),
        }

    def verify(
        self,
        payload: Payload,
        context: WorkContext,
        run: RunCode | None,
        repo: RepoSession | None = None,
    ) -> Verification:
        run = need_sandbox(run, context)
        outcome = run(payload["answer"], context.tests)
        sandbox_fault(outcome, context)
        if outcome.verdict != Verdict.PASSED:
            raise WorkRefused(
                f"{context.where}: the answer does not pass the prompt's tests: {describe(outcome)}"
            )
        return Verification((record("the prompt's tests", outcome),))

    def answer_text(self, payload: Payload) -> str:
        return payload["answer"]
