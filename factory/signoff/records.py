"""Signing a reviewed batch off, revoking a sign-off, and reading the one in force.

Only a senior or an admin signs off, only a batch whose every review task is complete or
adjudicated (no open task, no adjudication waiting), and always with a note saying what was
checked. The sign-off remembers the batch's completion marker: if the batch later gains or
resolves tasks, the sign-off no longer covers it and the batch needs signing off again (a new
sign-off supersedes the stale one, which is revoked with that reason).
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from factory.db import session_scope
from factory.errors import FactoryUserError
from factory.models import Batch, BatchSignOff, Reviewer, stored_id
from factory.models._base import utcnow
from factory.review.completion import BatchProgress, batch_progress
from factory.vocab import Role

SIGN_OFF_ROLES = frozenset({Role.SENIOR, Role.ADMIN})
MAX_NOTE_CHARS = 4000
SUPERSEDED = "superseded: the batch's reviews changed after this sign-off"


class SignOffError(FactoryUserError):
    """A sign-off or revocation was refused; the message names the batch and the reason."""


class UnknownBatchError(SignOffError):
    """The batch does not exist."""


@dataclass(frozen=True, slots=True)
class SignOffRecord:
    """A sign-off as reports show it: who, when, the note, and whether it is simulated."""

    id: int
    batch_id: str
    signed_by: str
    signer_name: str
    signed_at: datetime
    note: str
    simulated: bool
    review_marker: str
    tasks: int
    covers_current_reviews: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "batch_id": self.batch_id,
            "signed_by": self.signed_by,
            "signed_at": self.signed_at.isoformat(timespec="seconds"),
            "note": self.note,
            "simulated": self.simulated,
            "tasks": self.tasks,
            "covers_current_reviews": self.covers_current_reviews,
        }

    def sentence(self) -> str:
        who = f"{self.signer_name} ({self.signed_by})" if self.signer_name else self.signed_by
        when = self.signed_at.strftime("%Y-%m-%d %H:%M UTC")
        text = f"Batch {self.batch_id} signed off by {who} on {when}"
        if self.simulated:
            text += " - **SIMULATED** (a simulated calibrator, not a person)"
        if not self.covers_current_reviews:
            text += "; its reviews changed since, so this sign-off no longer covers them"
        return text + "."


def _active(session: Session, batch_id: str) -> BatchSignOff | None:
    return session.scalars(
        select(BatchSignOff)
        .where(col(BatchSignOff.batch_id) == batch_id, col(BatchSignOff.revoked_at).is_(None))
        .order_by(col(BatchSignOff.id).desc())
    ).first()


def current_sign_off(session: Session, batch_id: str) -> SignOffRecord | None:
    """The batch's sign-off in force (not revoked), if any, with whether it still covers the
    batch's reviews as they are now."""
    row = _active(session, batch_id)
    if row is None:
        return None
    signer = session.get(Reviewer, row.reviewer_id)
    marker = batch_progress(session, batch_id).marker
    return SignOffRecord(
        id=stored_id(row),
        batch_id=row.batch_id,
        signed_by=signer.username if signer else f"reviewer {row.reviewer_id}",
        signer_name=signer.display_name if signer else "",
        signed_at=row.created_at,
        note=row.note,
        simulated=row.simulated,
        review_marker=row.review_marker,
        tasks=row.tasks,
        covers_current_reviews=row.review_marker == marker,
    )


def current_sign_offs(session: Session, batch_ids: list[str]) -> dict[str, SignOffRecord | None]:
    return {batch_id: current_sign_off(session, batch_id) for batch_id in batch_ids}


def revoked_count(session: Session, batch_id: str) -> int:
    rows = session.scalars(
        select(col(BatchSignOff.id)).where(
            col(BatchSignOff.batch_id) == batch_id, col(BatchSignOff.revoked_at).is_not(None)
        )
    )
    return len(list(rows))


def _signer(session: Session, reviewer_id: int, action: str) -> Reviewer:
    reviewer = session.get(Reviewer, reviewer_id)
    if reviewer is None or not reviewer.active:
        raise SignOffError(f"reviewer {reviewer_id} does not exist or is deactivated")
    if reviewer.role not in SIGN_OFF_ROLES:
        raise SignOffError(
            f"{reviewer.username} is a {reviewer.role}; only a senior or an admin may {action}"
        )
    return reviewer


def _readiness_error(progress: BatchProgress) -> str | None:
    """Why the batch cannot be signed off yet, or None."""
    if progress.tasks == 0:
        return f"batch {progress.batch_id} has no review tasks to sign off"
    waiting = []
    if progress.open:
        waiting.append(f"{progress.open} task(s) still in review")
    if progress.adjudication:
        waiting.append(f"{progress.adjudication} task(s) awaiting adjudication")
    if waiting:
        return (
            f"batch {progress.batch_id} has {' and '.join(waiting)}; it can be signed off "
            "once every task is complete or adjudicated"
        )
    return None


def sign_off(
    engine: Engine, batch_id: str, reviewer_id: int, note: str, *, now: datetime | None = None
) -> SignOffRecord:
    """Records the reviewer's sign-off of the batch; raises SignOffError saying why not."""
    now = now or utcnow()
    note = note.strip()
    with session_scope(engine, immediate=True) as session:
        signer = _signer(session, reviewer_id, "sign a batch off")
        if session.get(Batch, batch_id) is None:
            raise UnknownBatchError(f"batch {batch_id} does not exist")
        if not note:
            raise SignOffError(f"batch {batch_id}: a sign-off needs a note saying what you checked")
        if len(note) > MAX_NOTE_CHARS:
            raise SignOffError(
                f"batch {batch_id}: the note is longer than {MAX_NOTE_CHARS} characters"
            )
        progress = batch_progress(session, batch_id)
        problem = _readiness_error(progress)
        if problem:
            raise SignOffError(problem)
        existing = _active(session, batch_id)
        if existing is not None:
            if existing.review_marker == progress.marker:
                holder = session.get(Reviewer, existing.reviewer_id)
                raise SignOffError(
                    f"batch {batch_id} is already signed off by "
                    f"{holder.username if holder else existing.reviewer_id} on "
                    f"{existing.created_at:%Y-%m-%d %H:%M} UTC; revoke that sign-off first"
                )
            existing.revoked_at, existing.revoked_by = now, reviewer_id
            existing.revoke_reason = SUPERSEDED
            session.add(existing)
        session.add(
            BatchSignOff(
                batch_id=batch_id,
                reviewer_id=stored_id(signer),
                note=note,
                simulated=signer.simulated,
                review_marker=progress.marker,
                tasks=progress.tasks,
                created_at=now,
            )
        )
        session.flush()
        record = current_sign_off(session, batch_id)
    assert record is not None  # just written
    return record


def revoke_sign_off(
    engine: Engine, batch_id: str, reviewer_id: int, reason: str, *, now: datetime | None = None
) -> None:
    """Revokes the batch's sign-off in force; packaging is gated again until a new one."""
    reason = reason.strip()
    with session_scope(engine, immediate=True) as session:
        _signer(session, reviewer_id, "revoke a sign-off")
        if not reason:
            raise SignOffError(f"batch {batch_id}: revoking a sign-off needs a reason")
        row = _active(session, batch_id)
        if row is None:
            raise SignOffError(f"batch {batch_id} has no sign-off in force to revoke")
        row.revoked_at, row.revoked_by = now or utcnow(), reviewer_id
        row.revoke_reason = reason[:MAX_NOTE_CHARS]
        session.add(row)


def sign_off_markdown(records: dict[str, SignOffRecord | None]) -> str:
    """One line per batch: who signed it off and when, or that nobody has."""
    if not records:
        return "No batches."
    lines = []
    for batch_id, record in records.items():
        if record is None:
            lines.append(f"- Batch {batch_id}: **not signed off**.")
        else:
            note = " ".join(record.note.split())  # one line, whatever the note's layout
            lines.append(f"- {record.sentence()} Note: {note}")
    return "\n".join(lines)
