"""Reviewer pools: a reviewer judges a language and task type only once qualified for it.

A pool is a (language, task type) pair; a reviewer's membership of it has a status:
- qualifying: they are served only qualification items of that pool (expert gold, unseen),
  `review.qualification_items` of them per attempt; they pass with a share correct of at least
  `review.qualification_pass_mark` and become active, else the attempt is recorded as failed
  and the next one opens after `review.qualification_retake_hours`;
- active: claims serve ordinary tasks of the pool, with expert gold mixed in at
  `review.expert_gold_rate`; their rolling accuracy over the pool's last `review.gold_window`
  expert gold answers (since they became active, judged from `review.gold_min_answers`) below
  `review.gold_suspend_below` suspends them;
- suspended: like qualifying (a new attempt, after the same wait) until they re-qualify or an
  admin restores them.

Every change is a PoolEvent naming what happened, the figures it rested on and who did it.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import Integer, cast, func, select
from sqlmodel import Session, col

from factory.models import GoldAnswer, PoolEvent, PoolMembership, Reviewer
from factory.models._base import utcnow
from factory.review.errors import ReviewError
from factory.settings import ReviewSettings
from factory.vocab import Language, Role, TaskType, WorkKind


class PoolStatus(StrEnum):
    QUALIFYING = "qualifying"
    ACTIVE = "active"
    SUSPENDED = "suspended"


class PoolEventKind(StrEnum):
    ENROLLED = "enrolled"  # joined the pool as qualifying
    QUALIFIED = "qualified"  # passed a qualification attempt
    FAILED = "failed_qualification"
    SUSPENDED = "suspended"  # rolling gold accuracy fell below the threshold
    ADMIN_QUALIFIED = "admin_qualified"  # an admin qualified them without the gold set
    RESTORED = "restored"  # an admin lifted a suspension
    SIMULATED = "simulated"  # a demonstration's simulated reviewer, admitted without gold
    GRANDFATHERED = "grandfathered"  # reviewing before pools existed (migration 0005)


# A gold answer counts towards qualification (status qualifying or suspended) or is ongoing.
QUALIFICATION, ONGOING = "qualification", "ongoing"
ADMIN_ROLES = frozenset({Role.ADMIN})


class PoolError(ReviewError):
    """A pool change that cannot be made; the message names the reviewer and pool."""


@dataclass(frozen=True, slots=True)
class PoolRules:
    """The review settings that decide qualification and suspension."""

    qualification_items: int = 5
    pass_mark: float = 0.8
    retake_hours: float = 24.0
    window: int = 20
    min_answers: int = 5
    suspend_below: float = 0.7

    @classmethod
    def from_settings(cls, settings: ReviewSettings) -> "PoolRules":
        return cls(
            qualification_items=settings.qualification_items,
            pass_mark=settings.qualification_pass_mark,
            retake_hours=settings.qualification_retake_hours,
            window=settings.gold_window,
            min_answers=settings.gold_min_answers,
            suspend_below=settings.gold_suspend_below,
        )


@dataclass(frozen=True, slots=True)
class Tally:
    answered: int
    correct: int

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.answered if self.answered else None


# A pool's type: a prompt's task type for pairwise comparison, or a kind of work that is not a
# task type of its own (ranking, authoring); code review, bug fix, refactoring and reasoning
# work share their task type's name (factory.tasktypes.registry.pool_type).
POOL_TYPES: tuple[str, ...] = tuple(t.value for t in TaskType) + tuple(
    k.value for k in WorkKind if k.value not in {t.value for t in TaskType} | {WorkKind.PAIRWISE}
)


def check_pool(language: str, task_type: str) -> None:
    if language not in {lang.value for lang in Language}:
        raise PoolError(f"{language!r} is not a language the factory knows")
    if task_type not in POOL_TYPES:
        raise PoolError(f"{task_type!r} is not a pool type; choose from {list(POOL_TYPES)}")


def all_pools(languages: Iterable[str]) -> list[tuple[str, str]]:
    """Every (language, pool type) pool of the given languages."""
    return [(language, t) for language in languages for t in POOL_TYPES]


def membership(
    session: Session, reviewer_id: int, language: str, task_type: str, *, lock: bool = False
) -> PoolMembership | None:
    query = select(PoolMembership).where(
        col(PoolMembership.reviewer_id) == reviewer_id,
        col(PoolMembership.language) == language,
        col(PoolMembership.task_type) == task_type,
    )
    if lock:
        query = query.with_for_update()
    return session.scalars(query).first()


def _event(
    session: Session,
    member: PoolMembership,
    kind: PoolEventKind,
    detail: str,
    *,
    now: datetime,
    tally: Tally | None = None,
    actor_id: int | None = None,
) -> None:
    assert member.id is not None  # flushed before any event is written
    session.add(
        PoolEvent(
            membership_id=member.id,
            event=kind,
            detail=detail,
            answered=tally.answered if tally else None,
            correct=tally.correct if tally else None,
            actor_id=actor_id,
            created_at=now,
        )
    )


def enrol(
    session: Session,
    reviewer_id: int,
    pools: Sequence[tuple[str, str]],
    *,
    now: datetime | None = None,
) -> list[PoolMembership]:
    """Put a reviewer in these pools as qualifying; pools they are already in stay as they are."""
    now = now or utcnow()
    members = []
    for language, task_type in pools:
        check_pool(language, task_type)
        member = membership(session, reviewer_id, language, task_type)
        if member is None:
            member = PoolMembership(
                reviewer_id=reviewer_id,
                language=language,
                task_type=task_type,
                updated_at=now,
                created_at=now,
            )
            session.add(member)
            session.flush()
            _event(session, member, PoolEventKind.ENROLLED, "joined; qualification due", now=now)
        members.append(member)
    return members


def admit(
    session: Session,
    reviewer_id: int,
    language: str,
    task_type: str,
    *,
    reason: str,
    actor_id: int | None = None,
    simulated: bool = False,
    now: datetime | None = None,
) -> PoolMembership:
    """Make a reviewer active in a pool without the gold set: an admin's decision (qualifying
    becomes admin_qualified, suspended becomes restored), or a simulated reviewer's admission.

    `actor_id`, when given, must be an active admin; `reason` is required and recorded.
    """
    now = now or utcnow()
    check_pool(language, task_type)
    reason = reason.strip()
    where = f"reviewer {reviewer_id}, pool {language}/{task_type}"
    if not reason:
        raise PoolError(f"{where}: admitting someone to a pool needs a written reason")
    if actor_id is not None:
        actor = session.get(Reviewer, actor_id)
        if actor is None or not actor.active or actor.role not in ADMIN_ROLES:
            raise PoolError(f"{where}: only an admin may qualify or restore a reviewer")
    reviewer = session.get(Reviewer, reviewer_id)
    if reviewer is None:
        raise PoolError(f"{where}: there is no such reviewer")
    if simulated and not reviewer.simulated:
        raise PoolError(
            f"{where}: {reviewer.username} is a person; only simulated reviewers "
            "are admitted by a simulation"
        )
    member = membership(session, reviewer_id, language, task_type, lock=True)
    if member is None:
        member = enrol(session, reviewer_id, [(language, task_type)], now=now)[0]
    if member.status == PoolStatus.ACTIVE:
        return member
    if simulated:
        kind = PoolEventKind.SIMULATED
    elif member.status == PoolStatus.SUSPENDED:
        kind = PoolEventKind.RESTORED
    else:
        kind = PoolEventKind.ADMIN_QUALIFIED
    _activate(member, now)
    member.simulated = simulated
    _event(session, member, kind, reason, now=now, actor_id=actor_id)
    return member


def admit_simulated(
    session: Session, reviewer_id: int, pools: Sequence[tuple[str, str]]
) -> list[PoolMembership]:
    """A simulated reviewer of a demonstration, active in these pools and marked simulated."""
    reason = "simulated reviewer of a demonstration; admitted without gold answers"
    return [
        admit(session, reviewer_id, language, task_type, reason=reason, simulated=True)
        for language, task_type in pools
    ]


def _activate(member: PoolMembership, now: datetime) -> None:
    member.status = PoolStatus.ACTIVE
    member.active_since = now
    member.retake_after = None
    member.updated_at = now


def _next_attempt(member: PoolMembership, status: PoolStatus, rules: PoolRules, now: datetime):
    member.status = status
    member.attempt += 1
    member.retake_after = now + timedelta(hours=rules.retake_hours)
    member.updated_at = now


def qualification_tally(session: Session, member: PoolMembership) -> Tally:
    """Answers (and correct ones) in the membership's current qualification attempt."""
    answered, correct = session.execute(
        select(
            func.count(), func.coalesce(func.sum(cast(col(GoldAnswer.correct), Integer)), 0)
        ).where(
            col(GoldAnswer.reviewer_id) == member.reviewer_id,
            col(GoldAnswer.language) == member.language,
            col(GoldAnswer.task_type) == member.task_type,
            col(GoldAnswer.purpose) == QUALIFICATION,
            col(GoldAnswer.attempt) == member.attempt,
        )
    ).one()
    return Tally(int(answered), int(correct))


def rolling_tally(session: Session, member: PoolMembership, window: int) -> Tally:
    """The last `window` ongoing gold answers in the pool since the reviewer became active."""
    query = (
        select(col(GoldAnswer.correct))
        .where(
            col(GoldAnswer.reviewer_id) == member.reviewer_id,
            col(GoldAnswer.language) == member.language,
            col(GoldAnswer.task_type) == member.task_type,
            col(GoldAnswer.purpose) == ONGOING,
        )
        .order_by(col(GoldAnswer.id).desc())
        .limit(window)
    )
    if member.active_since is not None:
        query = query.where(col(GoldAnswer.created_at) >= member.active_since)
    results = list(session.scalars(query))
    return Tally(len(results), sum(results))


def after_gold_answer(
    session: Session, member: PoolMembership, purpose: str, rules: PoolRules, now: datetime
) -> None:
    """Decide qualification or suspension once a gold answer of this pool is written."""
    if purpose == QUALIFICATION:
        tally = qualification_tally(session, member)
        if tally.answered < rules.qualification_items:
            return
        assert tally.accuracy is not None  # answered >= qualification_items >= 1
        figures = f"{tally.correct}/{tally.answered} correct, pass mark {rules.pass_mark:.0%}"
        if tally.accuracy >= rules.pass_mark:
            _activate(member, now)
            _event(session, member, PoolEventKind.QUALIFIED, figures, now=now, tally=tally)
        else:
            _event(session, member, PoolEventKind.FAILED, figures, now=now, tally=tally)
            _next_attempt(member, PoolStatus.QUALIFYING, rules, now)
        return
    if member.status != PoolStatus.ACTIVE:
        return
    tally = rolling_tally(session, member, rules.window)
    if tally.answered < rules.min_answers or tally.accuracy is None:
        return
    if tally.accuracy < rules.suspend_below:
        figures = (
            f"rolling gold accuracy {tally.correct}/{tally.answered} over the last "
            f"{rules.window} answers, below {rules.suspend_below:.0%}"
        )
        _event(session, member, PoolEventKind.SUSPENDED, figures, now=now, tally=tally)
        _next_attempt(member, PoolStatus.SUSPENDED, rules, now)


@dataclass(frozen=True, slots=True)
class PoolRow:
    """One membership as the admin page shows it."""

    membership_id: int
    username: str
    simulated: bool
    language: str
    task_type: str
    status: str
    attempt: int
    retake_after: datetime | None
    updated_at: datetime
    figures: Tally  # rolling gold accuracy when active, else the qualification attempt's
    last_event: str
    last_detail: str


def pool_overview(
    session: Session,
    rules: PoolRules,
    *,
    statuses: Sequence[str] | None = None,
    limit: int = 500,
) -> list[PoolRow]:
    """Memberships (of `statuses`, default all), suspended first, then qualifying, then active,
    each with its figures: the rolling gold accuracy when active, else the current
    qualification attempt's tally. The `limit` most recently changed are shown."""
    order = {PoolStatus.SUSPENDED: 0, PoolStatus.QUALIFYING: 1, PoolStatus.ACTIVE: 2}
    query = (
        select(PoolMembership, col(Reviewer.username), col(Reviewer.simulated))
        .join(Reviewer, col(Reviewer.id) == PoolMembership.reviewer_id)
        .order_by(col(PoolMembership.updated_at).desc(), col(PoolMembership.id).desc())
        .limit(limit)
    )
    if statuses is not None:
        query = query.where(col(PoolMembership.status).in_(list(statuses)))
    members = session.execute(query).all()
    ids = [m.id for m, _, _ in members]
    last: dict[int, PoolEvent] = {}
    answers: dict[tuple[int, str, str], list[GoldAnswer]] = {}
    if ids:
        for event in session.scalars(
            select(PoolEvent)
            .where(col(PoolEvent.membership_id).in_(ids))
            .order_by(col(PoolEvent.id))
        ):
            last[event.membership_id] = event
        reviewer_ids = sorted({m.reviewer_id for m, _, _ in members})
        for answer in session.scalars(
            select(GoldAnswer)
            .where(col(GoldAnswer.reviewer_id).in_(reviewer_ids))
            .order_by(col(GoldAnswer.id).desc())
        ):
            key = (answer.reviewer_id, answer.language, answer.task_type)
            answers.setdefault(key, []).append(answer)
    rows = []
    for member, username, simulated in members:
        assert member.id is not None  # a row read from the database
        latest = last.get(member.id)
        own = answers.get((member.reviewer_id, member.language, member.task_type), [])
        rows.append(
            PoolRow(
                membership_id=member.id,
                username=username,
                simulated=simulated,
                language=member.language,
                task_type=member.task_type,
                status=member.status,
                attempt=member.attempt,
                retake_after=member.retake_after,
                updated_at=member.updated_at,
                figures=_figures(member, own, rules),
                last_event=latest.event if latest else "",
                last_detail=latest.detail if latest else "",
            )
        )
    return sorted(
        rows,
        key=lambda r: (order.get(PoolStatus(r.status), 3), r.username, r.language, r.task_type),
    )


def _figures(member: PoolMembership, newest_first: list[GoldAnswer], rules: PoolRules) -> Tally:
    """What rolling_tally (active) or qualification_tally (otherwise) would count."""
    if member.status == PoolStatus.ACTIVE:
        since = member.active_since
        picked = [
            a.correct
            for a in newest_first
            if a.purpose == ONGOING and (since is None or _aware(a.created_at) >= _aware(since))
        ][: rules.window]
    else:
        picked = [
            a.correct
            for a in newest_first
            if a.purpose == QUALIFICATION and a.attempt == member.attempt
        ]
    return Tally(len(picked), sum(picked))


def _aware(moment: datetime) -> datetime:
    """SQLite hands datetimes back without a zone; every stored time is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=utcnow().tzinfo)


def memberships_of(session: Session, reviewer_id: int) -> list[PoolMembership]:
    return list(
        session.scalars(
            select(PoolMembership)
            .where(col(PoolMembership.reviewer_id) == reviewer_id)
            .order_by(col(PoolMembership.language), col(PoolMembership.task_type))
        )
    )
