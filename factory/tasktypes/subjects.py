"""What a kind of work is on: a candidate of the prompt, or code the intake record brought."""

from sqlmodel import Session, col, select

from factory.models import Candidate, Prompt
from factory.review.pairs import latest_verdicts
from factory.tasktypes.base import PlannedWork
from factory.vocab import CandidateSource


def candidates_of(session: Session, prompt: Prompt) -> list[Candidate]:
    """The prompt's candidates with code, generated or replayed (never its reference)."""
    return [
        c
        for c in session.scalars(
            select(Candidate)
            .where(Candidate.prompt_id == prompt.id, Candidate.source != CandidateSource.REFERENCE)
            .order_by(col(Candidate.id))
        )
        if c.code.strip()
    ]


def code_subjects(
    session: Session, prompt: Prompt, *, verdicts: set[str] | None, limit: int
) -> list[PlannedWork]:
    """The record's own code when it brought some, else up to `limit` of its candidates (those
    whose latest verdict is in `verdicts`, when given)."""
    assert prompt.id is not None  # a row read from the database
    if prompt.subject_code.strip():
        return [PlannedWork(prompt.id, "record", {"source": "record"})]
    candidates = candidates_of(session, prompt)
    if verdicts is not None:
        latest = latest_verdicts(session, [c.id for c in candidates if c.id is not None])
        candidates = [c for c in candidates if latest.get(c.id or 0) in verdicts]
    return [
        PlannedWork(prompt.id, f"candidate:{c.id}", {"source": "candidate"}, candidate_id=c.id)
        for c in candidates[:limit]
    ]
