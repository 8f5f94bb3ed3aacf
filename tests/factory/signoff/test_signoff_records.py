"""Signing a batch off: only seniors and admins, only when every task is settled, always with a
note; recorded with who, when and whether simulated; a sign-off the batch's reviews outgrow is
superseded; revoking needs a reason. On SQLite and PostgreSQL."""

import pytest
from signoff_builders import reviewed_web_batch, reviewer_id
from sqlalchemy import Engine
from sqlmodel import Session, select

from factory.models import BatchSignOff, ReviewTask
from factory.models._base import utcnow
from factory.signoff.records import (
    SUPERSEDED,
    SignOffError,
    UnknownBatchError,
    current_sign_off,
    revoke_sign_off,
    sign_off,
)
from factory.signoff.simulated import simulated_sign_off


def test_a_senior_signs_a_settled_batch_off_with_a_note(engine: Engine) -> None:
    batch = reviewed_web_batch(engine)
    record = sign_off(engine, batch, reviewer_id(engine, "sam"), "  checked kappa and gold  ")
    assert (record.signed_by, record.note, record.simulated) == (
        "sam",
        "checked kappa and gold",
        False,
    )
    assert record.covers_current_reviews and record.tasks == 3
    assert abs((utcnow() - record.signed_at).total_seconds()) < 60
    assert "signed off by sam" in record.sentence() and "SIMULATED" not in record.sentence()
    with Session(engine) as session:
        assert current_sign_off(session, batch) == record


@pytest.mark.parametrize(
    ("who", "note", "message"),
    [
        ("alice", "ok", "alice is a reviewer; only a senior or an admin may sign a batch off"),
        ("sam", "   ", "a sign-off needs a note saying what you checked"),
        ("ada", "x" * 4001, "the note is longer than 4000 characters"),
    ],
)
def test_refusals_name_the_reason(engine: Engine, who: str, note: str, message: str) -> None:
    batch = reviewed_web_batch(engine)
    with pytest.raises(SignOffError, match=message):
        sign_off(engine, batch, reviewer_id(engine, who), note)
    with Session(engine) as session:
        assert session.exec(select(BatchSignOff)).first() is None  # nothing half-written


def test_a_batch_with_open_adjudications_or_unknown_is_refused(engine: Engine) -> None:
    batch = reviewed_web_batch(engine, adjudication=2)
    sam = reviewer_id(engine, "sam")
    with pytest.raises(SignOffError, match="2 task\\(s\\) awaiting adjudication"):
        sign_off(engine, batch, sam, "looks fine")
    with pytest.raises(UnknownBatchError, match="batch nope does not exist"):
        sign_off(engine, "nope", sam, "looks fine")


def test_signing_twice_is_refused_and_a_stale_sign_off_is_superseded(engine: Engine) -> None:
    batch = reviewed_web_batch(engine)
    sam, ada = reviewer_id(engine, "sam"), reviewer_id(engine, "ada")
    first = sign_off(engine, batch, sam, "first look")
    with pytest.raises(SignOffError, match=f"batch {batch} is already signed off by sam"):
        sign_off(engine, batch, ada, "again")
    # A task is settled anew after the sign-off: it no longer covers the batch.
    with Session(engine) as session:
        task = session.exec(select(ReviewTask)).first()
        task.completed_at = utcnow()
        session.add(task)
        session.commit()
        assert not current_sign_off(session, batch).covers_current_reviews
    second = sign_off(engine, batch, ada, "re-checked after the late adjudication")
    assert second.covers_current_reviews and second.signed_by == "ada"
    with Session(engine) as session:
        old = session.get(BatchSignOff, first.id)
    assert old.revoked_at is not None and old.revoke_reason == SUPERSEDED and old.revoked_by == ada


def test_revoking_needs_a_senior_and_a_reason(engine: Engine) -> None:
    batch = reviewed_web_batch(engine)
    sam = reviewer_id(engine, "sam")
    with pytest.raises(SignOffError, match="no sign-off in force to revoke"):
        revoke_sign_off(engine, batch, sam, "oops")
    sign_off(engine, batch, sam, "fine")
    with pytest.raises(SignOffError, match="only a senior or an admin may revoke"):
        revoke_sign_off(engine, batch, reviewer_id(engine, "alice"), "I disagree")
    with pytest.raises(SignOffError, match="needs a reason"):
        revoke_sign_off(engine, batch, sam, " ")
    revoke_sign_off(engine, batch, sam, "gold answers were wrong")
    with Session(engine) as session:
        assert current_sign_off(session, batch) is None
        (row,) = session.exec(select(BatchSignOff)).all()
    assert row.revoke_reason == "gold answers were wrong" and row.revoked_by == sam


def test_the_simulated_calibrator_signs_off_marked_simulated_once(engine: Engine) -> None:
    batch = reviewed_web_batch(engine)
    record, new = simulated_sign_off(engine, batch)
    assert new and record.simulated and record.signed_by == "sim-senior"
    assert "SIMULATED" in record.sentence() and record.note.startswith("[simulated]")
    again, new_again = simulated_sign_off(engine, batch)
    assert not new_again and again.id == record.id
