"""The review queue: atomic claims with leases, submission, skipping and lease expiry.

Invariants, enforced in one transaction per action:
- a task never has more than `required_reviews` submitted reviews, and
  `review_count + active_claims <= required_reviews` at every commit;
- a reviewer claims a task at most once (unique task/reviewer claim), so never reviews it twice;
- a task goes only to active reviewers who are active in its pool (language, task type);
- an abandoned claim expires after its lease and returns its slot to the queue.

A claim may instead serve expert gold (factory.review.gold): to a reviewer still qualifying
(or suspended) in a pool, only that; to an active one, at `expert_gold_rate`. A gold claim
points at the gold pair's own task, so the page, its URL and everything on it are built exactly
as for ordinary work; it takes none of that task's review slots, and its answer is a GoldAnswer,
graded and counted towards the reviewer's pool (factory.review.pools), never an Annotation.

Claiming is one statement that reserves a slot: an `UPDATE ... RETURNING` whose sub-select
picks the task. On PostgreSQL the sub-select is `FOR UPDATE SKIP LOCKED`, so concurrent claimers
skip each other's rows instead of queueing on them; on SQLite (which ignores SKIP LOCKED) the
statement runs under the database write lock.
"""

import random
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    and_,
    bindparam,
    exists,
    insert,
    inspect,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from factory.db import is_sqlite, session_scope
from factory.models import (
    Adjudication,
    Annotation,
    DimensionScore,
    GoldAnswer,
    GoldItem,
    PoolMembership,
    Reviewer,
    ReviewTask,
    TaskClaim,
)
from factory.models._base import utcnow
from factory.review.adjudication import resolve_if_complete
from factory.review.errors import LeaseExpiredError, NotYoursError, ReviewError
from factory.review.gold import is_correct
from factory.review.pools import (
    ONGOING,
    QUALIFICATION,
    PoolRules,
    PoolStatus,
    after_gold_answer,
    membership,
)
from factory.review.transactions import write_connection
from factory.vocab import (
    DIMENSIONS,
    PREFERENCE_MAX,
    PREFERENCE_MIN,
    SCORE_MAX,
    SCORE_MIN,
    ClaimStatus,
    TaskStatus,
    WorkKind,
)

MAX_RATIONALE_CHARS = 10_000
MAX_SKIP_REASON_CHARS = 500

Executor = Session | Connection
# scores[candidate_id][dimension] = 1..5
Scores = Mapping[int, Mapping[str, int]]


@dataclass(frozen=True, slots=True)
class SubmitResult:
    annotation_id: int | None  # None for an answer to expert gold
    task_id: int
    task_status: str  # vocab.TaskStatus after this review
    gold_answer_id: int | None = None


def _aware(moment: datetime) -> datetime:
    """SQLite hands datetimes back without a zone; every stored time is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=utcnow().tzinfo)


# Statements are built once: constructing SQLAlchemy expressions costs more CPU per claim than
# PostgreSQL spends running them. Values arrive as bound parameters.
_STALE = select(col(TaskClaim.id)).where(
    col(TaskClaim.status) == ClaimStatus.ACTIVE, col(TaskClaim.expires_at) < bindparam("now")
)
_EXPIRE = (
    update(TaskClaim)
    .values(status=ClaimStatus.EXPIRED)
    .returning(col(TaskClaim.task_id), col(TaskClaim.gold_item_id))
    .execution_options(synchronize_session=False)
)
_EXPIRE_SQLITE = _EXPIRE.where(col(TaskClaim.id).in_(_STALE.scalar_subquery()))
_EXPIRE_LOCKING = _EXPIRE.where(
    col(TaskClaim.id).in_(_STALE.with_for_update(skip_locked=True).scalar_subquery())
)
_RELEASE_SLOTS = (
    update(ReviewTask)
    .where(col(ReviewTask.id) == bindparam("task_id"))
    .values(active_claims=ReviewTask.active_claims - bindparam("released"))
    .execution_options(synchronize_session=False)
)
_t = aliased(ReviewTask, name="t")
_ELIGIBLE_WHERE = (
    col(_t.status) == TaskStatus.OPEN,
    tuple_(col(_t.language), col(_t.task_type)).in_(bindparam("pools", expanding=True)),
    col(_t.review_count) + _t.active_claims < _t.required_reviews,
    # Never a task this reviewer claimed before (submitted, skipped or expired).
    ~exists().where(
        col(TaskClaim.task_id) == _t.id, col(TaskClaim.reviewer_id) == bindparam("reviewer_id")
    ),
)
_ORDER = (col(_t.priority).desc(), col(_t.id))
_ELIGIBLE = select(col(_t.id)).where(*_ELIGIBLE_WHERE).order_by(*_ORDER).limit(1)
_ELIGIBLE_IN_BATCH = (
    select(col(_t.id))
    .where(*_ELIGIBLE_WHERE, col(_t.batch_id) == bindparam("in_batch"))
    .order_by(*_ORDER)
    .limit(1)
)
_HAS_ROOM = col(ReviewTask.review_count) + ReviewTask.active_claims < ReviewTask.required_reviews
_TAKE = (
    update(ReviewTask)
    .values(active_claims=ReviewTask.active_claims + 1)
    .returning(col(ReviewTask.id))
    .execution_options(synchronize_session=False)
)
# SQLite: one statement under the database write lock, so pick and reserve cannot interleave.
_TAKE_SQLITE = _TAKE.where(col(ReviewTask.id) == _ELIGIBLE.scalar_subquery(), _HAS_ROOM)
_TAKE_SQLITE_IN_BATCH = _TAKE.where(
    col(ReviewTask.id) == _ELIGIBLE_IN_BATCH.scalar_subquery(), _HAS_ROOM
)
# PostgreSQL: the same single statement; its sub-select locks the chosen row, skipping rows
# that concurrent claimers hold right now.
_TAKE_LOCKING = _TAKE.where(
    col(ReviewTask.id) == _ELIGIBLE.with_for_update(skip_locked=True, of=_t).scalar_subquery(),
    _HAS_ROOM,
)
_TAKE_LOCKING_IN_BATCH = _TAKE.where(
    col(ReviewTask.id)
    == _ELIGIBLE_IN_BATCH.with_for_update(skip_locked=True, of=_t).scalar_subquery(),
    _HAS_ROOM,
)
_CLAIM_COLUMNS = inspect(TaskClaim).local_table.columns
# The reviewer, their pools and their unexpired claim, if any (a reload resumes it), in one
# round trip: a row per pool (and per claim, of which there is normally at most one).
_CLAIMER = (
    select(
        col(Reviewer.active),
        col(PoolMembership.language).label("pool_language"),
        col(PoolMembership.task_type).label("pool_task_type"),
        col(PoolMembership.status).label("pool_status"),
        col(PoolMembership.retake_after).label("pool_retake_after"),
        *(column.label(f"claim_{column.name}") for column in _CLAIM_COLUMNS),
    )
    .select_from(Reviewer)
    .outerjoin(
        TaskClaim,
        and_(
            col(TaskClaim.reviewer_id) == Reviewer.id,
            col(TaskClaim.status) == ClaimStatus.ACTIVE,
            col(TaskClaim.expires_at) > bindparam("now"),
        ),
    )
    .outerjoin(PoolMembership, col(PoolMembership.reviewer_id) == Reviewer.id)
    .where(col(Reviewer.id) == bindparam("reviewer_id"))
    .order_by(col(TaskClaim.id))
)
# An expert gold item of the given pools this reviewer has never been shown, whose answer they
# did not write, confirm or decide themselves.
_g = aliased(GoldItem, name="g")
_GOLD_WHERE = (
    col(_g.retired_at).is_(None),
    tuple_(col(_g.language), col(_g.task_type)).in_(bindparam("gold_pools", expanding=True)),
    col(_g.authored_by) != bindparam("reviewer_id"),
    or_(col(_g.confirmed_by).is_(None), col(_g.confirmed_by) != bindparam("reviewer_id")),
    ~exists().where(
        col(TaskClaim.task_id) == _g.task_id, col(TaskClaim.reviewer_id) == bindparam("reviewer_id")
    ),
    ~exists().where(
        col(Adjudication.task_id) == _g.task_id,
        col(Adjudication.reviewer_id) == bindparam("reviewer_id"),
    ),
)
_GOLD = select(col(_g.id), col(_g.task_id)).where(*_GOLD_WHERE).order_by(col(_g.id)).limit(1)
_GOLD_CONFIRMED = (
    select(col(_g.id), col(_g.task_id))
    .where(*_GOLD_WHERE, col(_g.confirmed_at).is_not(None))
    .order_by(col(_g.id))
    .limit(1)
)
_INSERT_CLAIM = insert(TaskClaim).returning(col(TaskClaim.id))


def expire_leases(executor: Executor, *, now: datetime | None = None) -> int:
    """Mark lapsed active claims expired and give their slots back. Returns how many."""
    statement = _EXPIRE_SQLITE if is_sqlite(executor) else _EXPIRE_LOCKING
    expired = executor.execute(statement, {"now": now or utcnow()}).all()
    # A gold claim never held a slot of its task.
    held = Counter(row.task_id for row in expired if row.gold_item_id is None)
    for task_id, count in held.items():
        executor.execute(_RELEASE_SLOTS, {"task_id": task_id, "released": count})
    return len(expired)


@dataclass(frozen=True, slots=True)
class _Pools:
    """The reviewer's pools as claiming sees them."""

    active: list[tuple[str, str]]
    qualifying: list[tuple[str, str]]  # qualifying or suspended, with no retake wait pending


def _pools_of(rows: Sequence[Any], now: datetime) -> _Pools:
    active: set[tuple[str, str]] = set()
    qualifying: set[tuple[str, str]] = set()
    for row in rows:
        if row.pool_language is None:
            continue
        pool = (row.pool_language, row.pool_task_type)
        if row.pool_status == PoolStatus.ACTIVE:
            active.add(pool)
        elif row.pool_retake_after is None or _aware(row.pool_retake_after) <= now:
            qualifying.add(pool)
    return _Pools(sorted(active), sorted(qualifying))


def claim_next(
    engine: Engine,
    reviewer_id: int,
    *,
    lease_seconds: int,
    batch_id: str | None = None,
    expert_gold_rate: float = 0.0,
    gold_needs_confirmation: bool = False,
    rng: random.Random | None = None,
    now: datetime | None = None,
) -> TaskClaim | None:
    """Lease the next task this reviewer may review, or resume their active claim.

    Qualification gold comes first (pools where the reviewer is qualifying or suspended); then
    ordinary tasks of the pools where they are active, with unseen expert gold of those pools
    at `expert_gold_rate`. With `batch_id`, only that batch's ordinary tasks are served.
    Returns None when the queue holds nothing for them. The displayed order of the two
    candidates is drawn here and kept on the claim (`swapped`), so reloads show the same order.
    The returned claim is detached and fully loaded.
    """
    now = now or utcnow()
    rng = rng or random.SystemRandom()
    # A claim lost whole in a database crash costs the reviewer one more click: it need not
    # wait for the disk. Reviews are written durably.
    with write_connection(engine, durable=False) as connection:
        rows = connection.execute(_CLAIMER, {"reviewer_id": reviewer_id, "now": now}).all()
        if not rows or not rows[0].active:
            raise NotYoursError(f"reviewer {reviewer_id} does not exist or is deactivated")
        if rows[0].claim_id is not None:
            row = rows[0]._mapping
            return TaskClaim(**{c.name: row[f"claim_{c.name}"] for c in _CLAIM_COLUMNS})
        pools = _pools_of(rows, now)
        expire_leases(connection, now=now)
        gold = None
        if pools.qualifying and batch_id is None:
            gold = _pick_gold(connection, reviewer_id, pools.qualifying, gold_needs_confirmation)
        if gold is None and pools.active and batch_id is None and rng.random() < expert_gold_rate:
            gold = _pick_gold(connection, reviewer_id, pools.active, gold_needs_confirmation)
        gold_item_id: int | None = None
        if gold is not None:
            task_id, gold_item_id = gold
        else:
            reserved = _reserve_slot(connection, reviewer_id, pools.active, batch_id)
            if reserved is None:
                return None
            task_id = reserved
        values: dict[str, Any] = {
            "task_id": task_id,
            "reviewer_id": reviewer_id,
            "swapped": rng.random() < 0.5,
            "claimed_at": now,
            "expires_at": now + timedelta(seconds=lease_seconds),
            "gold_item_id": gold_item_id,
        }
        claim_id = connection.execute(_INSERT_CLAIM, values).scalar_one()
        return TaskClaim(id=claim_id, status=ClaimStatus.ACTIVE, **values)


def _pick_gold(
    executor: Executor, reviewer_id: int, pools: list[tuple[str, str]], confirmed_only: bool
) -> tuple[int, int] | None:
    """(task id, gold item id) of an expert gold item to serve, or None."""
    statement = _GOLD_CONFIRMED if confirmed_only else _GOLD
    row = executor.execute(statement, {"reviewer_id": reviewer_id, "gold_pools": pools}).first()
    return (row.task_id, row.id) if row else None


def _reserve_slot(
    executor: Executor, reviewer_id: int, pools: list[tuple[str, str]], batch_id: str | None
) -> int | None:
    """Take one free review slot of the first eligible task; returns its id."""
    if not pools:
        return None
    params: dict[str, Any] = {"reviewer_id": reviewer_id, "pools": pools}
    if batch_id is not None:
        params["in_batch"] = batch_id
    if is_sqlite(executor):
        take = _TAKE_SQLITE if batch_id is None else _TAKE_SQLITE_IN_BATCH
    else:
        take = _TAKE_LOCKING if batch_id is None else _TAKE_LOCKING_IN_BATCH
    row = executor.execute(take, params).first()
    return row.id if row else None


_LOCKED_CLAIM = (
    select(TaskClaim).where(col(TaskClaim.id) == bindparam("claim_id")).with_for_update()
)
_LOCKED_TASK = (
    select(ReviewTask).where(col(ReviewTask.id) == bindparam("task_id")).with_for_update()
)
_IS_SIMULATED = select(col(Reviewer.simulated)).where(col(Reviewer.id) == bindparam("reviewer_id"))
# A review is one annotation row plus ten score rows: Core inserts skip the ORM's per-object
# unit-of-work bookkeeping, which costs more than the database does.
_INSERT_ANNOTATION = insert(Annotation).returning(col(Annotation.id))
_INSERT_SCORES = insert(DimensionScore)


def locked_claim(session: Session, claim_id: int, reviewer_id: int) -> TaskClaim:
    """The reviewer's active claim, locked for this transaction; refused with the reason."""
    claim = session.scalars(_LOCKED_CLAIM, {"claim_id": claim_id}).first()
    if claim is None:
        raise ReviewError(f"claim {claim_id} does not exist")
    if claim.reviewer_id != reviewer_id:
        raise NotYoursError(f"claim {claim_id} belongs to another reviewer")
    if claim.status == ClaimStatus.EXPIRED:
        raise LeaseExpiredError(
            f"claim {claim_id} expired at {claim.expires_at:%H:%M} UTC and went back to the "
            "queue; take the next task"
        )
    if claim.status != ClaimStatus.ACTIVE:
        raise ReviewError(f"claim {claim_id} was already {claim.status}")
    return claim


def validate_review(
    task: ReviewTask, *, preference: int, scores: Scores, rationale: str, where: str = ""
) -> None:
    """Refuse an incomplete or out-of-range review, saying exactly what is wrong. `where` names
    the review in messages (the reviewer app names the claim: the same for any kind of task)."""
    where = where or f"task {task.id}"
    if not PREFERENCE_MIN <= preference <= PREFERENCE_MAX:
        raise ReviewError(
            f"{where}: preference {preference} is outside {PREFERENCE_MIN}..{PREFERENCE_MAX}"
        )
    expected = set(task.pair)
    if set(scores) != expected:
        raise ReviewError(f"{where}: scores must cover exactly candidates {sorted(expected)}")
    for candidate_id, by_dimension in scores.items():
        missing = [d.value for d in DIMENSIONS if d.value not in by_dimension]
        if missing:
            raise ReviewError(f"{where}: candidate {candidate_id} has no score for {missing}")
        unknown = sorted(set(by_dimension) - {d.value for d in DIMENSIONS})
        if unknown:
            raise ReviewError(f"{where}: unknown dimensions {unknown}")
        for dimension, score in by_dimension.items():
            if not SCORE_MIN <= int(score) <= SCORE_MAX:
                raise ReviewError(
                    f"{where}: {dimension} score {score} of candidate {candidate_id} is "
                    f"outside {SCORE_MIN}..{SCORE_MAX}"
                )
    if not rationale.strip():
        raise ReviewError(f"{where}: a rationale is required")
    if len(rationale) > MAX_RATIONALE_CHARS:
        raise ReviewError(f"{where}: the rationale is longer than {MAX_RATIONALE_CHARS} chars")


def submit_review(
    engine: Engine,
    claim_id: int,
    reviewer_id: int,
    *,
    preference: int,
    scores: Scores,
    rationale: str,
    disagreement_threshold: int,
    opposite_direction: str = "adjudicate",
    pool_rules: PoolRules | None = None,
    now: datetime | None = None,
) -> SubmitResult:
    """Record a review for the reviewer's claim; `preference` is in canonical A/B order.

    A claim whose lease ran out but that nobody has expired yet still holds its slot, so the
    review is accepted; once expired, the review is refused and nothing is written. A claim
    serving expert gold records a graded GoldAnswer instead, and may qualify or suspend the
    reviewer in the gold item's pool (`pool_rules`).
    """
    now = now or utcnow()
    with session_scope(engine, immediate=True) as session:
        claim = locked_claim(session, claim_id, reviewer_id)
        if claim.gold_item_id is not None:
            return _submit_gold(
                session,
                claim,
                preference=preference,
                scores=scores,
                rationale=rationale,
                rules=pool_rules or PoolRules(),
                now=now,
            )
        task = session.scalars(_LOCKED_TASK, {"task_id": claim.task_id}).one()
        if task.kind != WorkKind.PAIRWISE:
            raise ReviewError(f"claim {claim.id}: task {task.id} is {task.kind} work, not a pair")
        validate_review(
            task,
            preference=preference,
            scores=scores,
            rationale=rationale,
            where=f"claim {claim.id}",
        )
        if task.review_count >= task.required_reviews:
            # Unreachable while the slot invariant holds; refuse rather than over-collect.
            raise ReviewError(f"task {task.id} already has its {task.required_reviews} reviews")
        simulated = session.execute(_IS_SIMULATED, {"reviewer_id": reviewer_id}).scalar_one()
        task.review_count += 1
        task.active_claims -= 1
        claim.status = ClaimStatus.SUBMITTED
        annotation_id = session.execute(
            _INSERT_ANNOTATION,
            {
                "task_id": task.id,
                "claim_id": claim.id,
                "reviewer_id": reviewer_id,
                "preference": preference,
                "rationale": rationale.strip(),
                "seconds_spent": max(0.0, (now - _aware(claim.claimed_at)).total_seconds()),
                "simulated": simulated,
                "created_at": now,
            },
        ).scalar_one()
        session.execute(
            _INSERT_SCORES,
            [
                {
                    "annotation_id": annotation_id,
                    "candidate_id": candidate_id,
                    "dimension": dimension,
                    "score": int(score),
                }
                for candidate_id, by_dimension in scores.items()
                for dimension, score in by_dimension.items()
            ],
        )
        session.flush()  # the task's new review_count, before resolving reads the annotations
        resolve_if_complete(
            session,
            task,
            disagreement_threshold=disagreement_threshold,
            opposite_direction=opposite_direction,
            now=now,
        )
        assert task.id is not None  # a row read from the database
        return SubmitResult(annotation_id, task.id, task.status)


def _submit_gold(
    session: Session,
    claim: TaskClaim,
    *,
    preference: int,
    scores: Scores,
    rationale: str,
    rules: PoolRules,
    now: datetime,
) -> SubmitResult:
    """Grade an answer to expert gold, record it, and let the pool decide on it."""
    assert claim.id is not None and claim.gold_item_id is not None  # checked by the caller
    task = session.get(ReviewTask, claim.task_id)
    item = session.get(GoldItem, claim.gold_item_id)
    assert task is not None and item is not None  # foreign keys
    validate_review(
        task, preference=preference, scores=scores, rationale=rationale, where=f"claim {claim.id}"
    )
    if item.preference is None:
        raise ReviewError(f"claim {claim.id}: its gold is {item.kind} work, not a pair")
    member = membership(session, claim.reviewer_id, item.language, item.task_type, lock=True)
    qualifying = member is not None and member.status != PoolStatus.ACTIVE
    simulated = session.execute(_IS_SIMULATED, {"reviewer_id": claim.reviewer_id}).scalar_one()
    claim.status = ClaimStatus.SUBMITTED
    answer = GoldAnswer(
        gold_item_id=claim.gold_item_id,
        claim_id=claim.id,
        reviewer_id=claim.reviewer_id,
        language=item.language,
        task_type=item.task_type,
        purpose=QUALIFICATION if qualifying else ONGOING,
        attempt=member.attempt if member is not None and qualifying else 0,
        preference=preference,
        correct=is_correct(preference, item.preference),
        rationale=rationale.strip(),
        scores={
            str(candidate_id): {d: int(v) for d, v in by_dimension.items()}
            for candidate_id, by_dimension in scores.items()
        },
        seconds_spent=max(0.0, (now - _aware(claim.claimed_at)).total_seconds()),
        simulated=simulated,
        created_at=now,
    )
    session.add(answer)
    session.flush()
    if member is not None:
        after_gold_answer(session, member, answer.purpose, rules, now)
    assert task.id is not None and answer.id is not None  # rows read or flushed
    return SubmitResult(None, task.id, task.status, gold_answer_id=answer.id)


def skip_claim(engine: Engine, claim_id: int, reviewer_id: int, *, reason: str) -> None:
    """Give the task back with a reason; this reviewer is not offered it again."""
    reason = reason.strip()
    if not reason:
        raise ReviewError(f"claim {claim_id}: skipping needs a reason")
    if len(reason) > MAX_SKIP_REASON_CHARS:
        raise ReviewError(f"claim {claim_id}: the reason is longer than {MAX_SKIP_REASON_CHARS}")
    with session_scope(engine, immediate=True) as session:
        claim = locked_claim(session, claim_id, reviewer_id)
        claim.status = ClaimStatus.SKIPPED
        claim.skip_reason = reason
        if claim.gold_item_id is not None:
            return  # a gold claim holds no slot of its task
        session.execute(
            update(ReviewTask)
            .where(col(ReviewTask.id) == claim.task_id)
            .values(active_claims=ReviewTask.active_claims - 1)
            .execution_options(synchronize_session=False)
        )


def expire_stale_claims(engine: Engine, *, now: datetime | None = None) -> int:
    """Expire every lapsed lease now (claiming does this too, lazily)."""
    with session_scope(engine, immediate=True) as session:
        return expire_leases(session, now=now)
