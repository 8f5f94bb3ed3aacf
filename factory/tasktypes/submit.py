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
from factory.models import (
    GoldAnswer,
    GoldItem,
    ReasoningNote,
    Reviewer,
    ReviewTask,
    Submission,
    TaskClaim,
)
from factory.models._base import utcnow
from factory.review.errors import LeaseExpiredError, NotYoursError, ReviewError
from factory.review.pools import (
    ONGOING,
    QUALIFICATION,
    PoolRules,
    PoolStatus,
    after_gold_answer,
    membership,
)
from factory.review.queue import locked_claim
from factory.sandbox import Sandbox
from factory.settings import SandboxSettings
from factory.tasktypes.base import (
    Payload,
    RepoSession,
    RunCode,
    WorkContext,
    WorkError,
    WorkType,
)
from factory.tasktypes.checking import code_runner
from factory.tasktypes.context import load_context
from factory.tasktypes.gold import grade
from factory.tasktypes.registry import work_type
from factory.vocab import ClaimStatus, TaskStatus, WorkKind


@dataclass(frozen=True, slots=True)
class WorkResult:
    submission_id: int | None  # None for an answer to expert gold
    task_id: int
    task_status: str
    gold_answer_id: int | None = None


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
    repo_session: RepoSession | None = None,
    pool_rules: PoolRules | None = None,
    now: datetime | None = None,
) -> WorkResult:
    """Record the reviewer's answer to their claim, or refuse it saying why (WorkError for an
    incomplete form, WorkRefused for what the sandbox showed). A claim serving expert gold is
    checked the same way, then graded (factory.tasktypes.gold) into a GoldAnswer that counts
    towards the reviewer's pool (`pool_rules`); it takes none of the task's slots."""
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
    verification = work.plugin.verify(payload, work.context, run, repo_session).as_json()
    if work.claim.gold_item_id is not None:
        return _answer_gold(
            engine, claim_id, reviewer_id, work, payload, run, pool_rules or PoolRules(), now
        )
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
        claimed_at = _aware(claim.claimed_at, now)
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


def _answer_gold(
    engine: Engine,
    claim_id: int,
    reviewer_id: int,
    work: ClaimedWork,
    payload: Payload,
    run: RunCode | None,
    rules: PoolRules,
    now: datetime | None,
) -> WorkResult:
    now = now or utcnow()
    with Session(engine) as session:
        item = session.get(GoldItem, work.claim.gold_item_id)
        assert item is not None  # a foreign key
        known, kind = dict(item.answer), item.kind
    graded = grade(kind, payload, known, run)  # may run the sandbox: before the transaction
    with session_scope(engine, immediate=True) as session:
        claim = locked_claim(session, claim_id, reviewer_id)
        item = session.get(GoldItem, claim.gold_item_id)
        assert item is not None and claim.id is not None  # a foreign key; a row read
        member = membership(session, reviewer_id, item.language, item.task_type, lock=True)
        qualifying = member is not None and member.status != PoolStatus.ACTIVE
        simulated = session.exec(select(Reviewer.simulated).where(Reviewer.id == reviewer_id)).one()
        claim.status = ClaimStatus.SUBMITTED
        answer = GoldAnswer(
            gold_item_id=item.id or 0,
            claim_id=claim.id,
            reviewer_id=reviewer_id,
            language=item.language,
            task_type=item.task_type,
            kind=item.kind,
            purpose=QUALIFICATION if qualifying else ONGOING,
            attempt=member.attempt if member is not None and qualifying else 0,
            answer=payload,
            correct=graded.correct,
            score=graded.score,
            grading=graded.why,
            seconds_spent=max(0.0, (now - _aware(claim.claimed_at, now)).total_seconds()),
            simulated=simulated,
            created_at=now,
        )
        session.add_all([claim, answer])
        session.flush()
        if member is not None:
            after_gold_answer(session, member, answer.purpose, rules, now)
        return WorkResult(None, work.task.id or 0, work.task.status, gold_answer_id=answer.id)


def _aware(moment: datetime, now: datetime) -> datetime:
    """SQLite hands datetimes back without a zone; every stored time is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=now.tzinfo)
