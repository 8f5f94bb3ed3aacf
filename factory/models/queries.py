"""Queries that several stages share, written once."""

from sqlmodel import Session, col, select

from factory.models.generation import Candidate
from factory.models.intake import Prompt
from factory.vocab import CandidateSource


def batch_candidates(
    session: Session, batch_id: str, *, references: bool = True
) -> list[tuple[Candidate, Prompt]]:
    """Every candidate of a batch with its prompt, in candidate id order; `references=False`
    leaves out the reference solutions the execution stage adds."""
    statement = (
        select(Candidate, Prompt)
        .join(Prompt, col(Prompt.id) == col(Candidate.prompt_id))
        .where(Candidate.batch_id == batch_id)
        .order_by(col(Candidate.id))
    )
    if not references:
        statement = statement.where(Candidate.source != CandidateSource.REFERENCE)
    return [(candidate, prompt) for candidate, prompt in session.exec(statement)]
