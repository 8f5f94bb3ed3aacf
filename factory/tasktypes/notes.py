"""Reasoning notes: written while a claim is worked, each stamped with when it was written.

A note belongs to the claim, so it can be written beside any kind of work (pairwise too)
before anything is submitted; notes of a claim that is skipped or expires stay on record but
no release uses them (packaging reads notes of submitted claims only).
"""

from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from factory.db import session_scope
from factory.models import ReasoningNote
from factory.models._base import utcnow
from factory.review.errors import ReviewError
from factory.review.queue import locked_claim

MAX_NOTE_CHARS = 4_000
MAX_NOTES_PER_CLAIM = 200


def add_note(
    engine: Engine, claim_id: int, reviewer_id: int, text: str, *, now: datetime | None = None
) -> ReasoningNote:
    text = text.strip()
    if not text:
        raise ReviewError(f"claim {claim_id}: a note needs some text")
    if len(text) > MAX_NOTE_CHARS:
        raise ReviewError(f"claim {claim_id}: a note is at most {MAX_NOTE_CHARS} characters")
    now = now or utcnow()
    with session_scope(engine, immediate=True) as session:
        claim = locked_claim(session, claim_id, reviewer_id)
        count = len(notes_of(session, claim_id))
        if count >= MAX_NOTES_PER_CLAIM:
            raise ReviewError(f"claim {claim_id}: at most {MAX_NOTES_PER_CLAIM} notes")
        claimed_at = claim.claimed_at
        if claimed_at.tzinfo is None:
            claimed_at = claimed_at.replace(tzinfo=now.tzinfo)
        note = ReasoningNote(
            claim_id=claim_id,
            task_id=claim.task_id,
            reviewer_id=reviewer_id,
            seconds_in=round(max(0.0, (now - claimed_at).total_seconds()), 1),
            text=text,
            created_at=now,
        )
        session.add(note)
        session.flush()
        session.expunge(note)
        return note


def notes_of(session: Session, claim_id: int) -> list[ReasoningNote]:
    return list(
        session.scalars(
            select(ReasoningNote)
            .where(ReasoningNote.claim_id == claim_id)
            .order_by(col(ReasoningNote.seconds_in), col(ReasoningNote.id))
        )
    )
