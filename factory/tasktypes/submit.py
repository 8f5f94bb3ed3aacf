"""Submitting work of a kind other than pairwise: parse, check in the sandbox, then write.

The sandbox runs before the write transaction (a check can take seconds; no lock is held
meanwhile). The write then takes the claim and its task exactly as a pairwise review does
(factory.review.queue): the claim must still be active and the task must have a free slot, so
the queue's invariants hold for every kind. A refused submission writes nothing.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from factory.db import session_scope
from factory.models import ReasoningNote, Reviewer, ReviewTask, Submission, TaskClaim
from factory.models._base import utcnow
from factory.review.errors import LeaseExpiredError, NotYoursError, ReviewError
from factory.review.queue import locked_claim
from factory.sandbox import Sandbox
from factory.settings import SandboxSettings
from factory.tasktypes.base import Payload, RunCode, WorkContext, WorkError, WorkType
from factory.tasktypes.checking import code_runner
from factory.tasktypes.context import load_context
from factory.tasktypes.registry import work_type
from factory.vocab import ClaimStatus, TaskStatus, WorkKind


@dataclass(frozen=True, slots=True)
class WorkResult:
    submission_id: int
    task_id: int
    task_status: str


@dataclass(frozen=True, slots=True)
class ClaimedWork:
    claim: TaskClaim
    task: ReviewTask
    context: WorkContext
    plugin: WorkType
    notes: int  # reasoning notes written on this claim so far


def claimed_work(session: Session, claim_id: int, reviewer_id: int) -> ClaimedWork:
    """The reviewer's active claim on work other than a pair, with what the page needs."""
    claim = session.get(TaskClaim, claim_id)
    if claim is None or claim.reviewer_id != reviewer_id:
        raise NotYoursError(f"claim {claim_id} is not one of yours")
    if claim.status == ClaimStatus.EXPIRED:
        raise LeaseExpiredError(
            f"claim {claim_id} expired and went back to the queue; take the next task"
        )
    if claim.status != ClaimStatus.ACTIVE:
        raise ReviewError(f"claim {claim_id} is already {claim.status}; take the next")
    task = session.get(ReviewTask, claim.task_id)
    assert task is not None  # a foreign key
    if task.kind == WorkKind.PAIRWISE:
        raise ReviewError(f"claim {claim_id}: task {task.id} is a pair; use the review page")
    notes = session.exec(
        select(func.count()).select_from(ReasoningNote).where(ReasoningNote.claim_id == claim_id)
    ).one()
    context = load_context(session, task, label=f"claim {claim_id}")
    return ClaimedWork(claim, task, context, work_type(task.kind), notes)


def submit_work(
    engine: Engine,
    claim_id: int,
    reviewer_id: int,
    fields: Mapping[str, str],
    *,
    sandbox: Sandbox | None,
    sandbox_settings: SandboxSettings,
    now: datetime | None = None,
) -> WorkResult:
    """Record the reviewer's answer to their claim, or refuse it saying why (WorkError for an
    incomplete form, WorkRefused for what the sandbox showed)."""
    with Session(engine, expire_on_commit=False) as session:
        work = claimed_work(session, claim_id, reviewer_id)
        earlier = [
            (s.id or 0, s.payload)
            for s in session.scalars(
                select(Submission)
                .where(Submission.task_id == work.task.id)
                .order_by(col(Submission.id))
            )
        ]
    where = f"claim {claim_id}"
    minimum = getattr(work.plugin, "min_notes", 0)
    if work.notes < minimum:
        raise WorkError(
            f"{where}: write at least {minimum} notes while you work (you have {work.notes}); "
            "they are the reasoning this work records"
        )
    payload = work.plugin.parse(fields, work.context)
    run: RunCode | None = (
        code_runner(work.context, sandbox, sandbox_settings) if sandbox is not None else None
    )
    verification = work.plugin.verify(payload, work.context, run).as_json()
    if run is not None and earlier:
        cross = work.plugin.cross_checks(payload, earlier, run)
        if cross:
            verification["cross"] = cross
    return _write(engine, claim_id, reviewer_id, work, payload, verification, now or utcnow())


def _write(
    engine: Engine,
    claim_id: int,
    reviewer_id: int,
    work: ClaimedWork,
    payload: Payload,
    verification: dict,
    now: datetime,
) -> WorkResult:
    with session_scope(engine, immediate=True) as session:
        claim = locked_claim(session, claim_id, reviewer_id)
        task = session.scalars(
            select(ReviewTask).where(col(ReviewTask.id) == claim.task_id).with_for_update()
        ).one()
        if task.review_count >= task.required_reviews:
            raise ReviewError(f"task {task.id} already has its {task.required_reviews} answers")
        simulated = session.exec(select(Reviewer.simulated).where(Reviewer.id == reviewer_id)).one()
        claimed_at = claim.claimed_at
        if claimed_at.tzinfo is None:
            claimed_at = claimed_at.replace(tzinfo=now.tzinfo)
        submission = Submission(
            task_id=task.id or 0,
            claim_id=claim_id,
            reviewer_id=reviewer_id,
            kind=task.kind,
            rubric_version=work.plugin.rubric.version,
            payload=payload,
            verification=verification,
            seconds_spent=max(0.0, (now - claimed_at).total_seconds()),
            simulated=simulated,
            created_at=now,
        )
        session.add(submission)
        session.flush()
        assert submission.id is not None  # flushed
        work.plugin.store(session, submission.id, payload)
        claim.status = ClaimStatus.SUBMITTED
        task.review_count += 1
        task.active_claims -= 1
        if task.review_count >= task.required_reviews:
            task.status = TaskStatus.COMPLETE
            task.completed_at = now
        session.add_all([claim, task])
        return WorkResult(submission.id, task.id or 0, task.status)
