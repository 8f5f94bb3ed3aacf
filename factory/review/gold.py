"""Gold: pairs whose answer is known, to measure reviewers. Two kinds, kept apart:

- expert gold (GoldItem): a hard pair, both candidates passing their tests, whose answer a
  senior wrote down with a reason (from a pair they adjudicated, or from the proposed list of
  finished hard pairs), optionally confirmed by a second senior. It is served exactly like
  ordinary work; reviewers' answers (GoldAnswer) qualify them into pools and keep them there
  (factory.review.pools). This is the gold that gates reviewers.
- attention checks (ReviewTask.is_gold): automatic pass-versus-fail pairs mixed into a batch at
  `review.gold_rate` (off by default). The failing candidate's test badge gives the answer
  away, so they measure attention only; they are reported apart and gate nobody.

An answer counts as correct when its preference points the same way as the known answer
(strength is not graded).
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, Integer, cast, exists, func, select
from sqlmodel import Session, col

from factory.db import session_scope
from factory.models import (
    Adjudication,
    Annotation,
    DimensionScore,
    GoldAnswer,
    GoldItem,
    Prompt,
    Reviewer,
    ReviewTask,
)
from factory.models._base import utcnow
from factory.review.errors import NotYoursError, ReviewError
from factory.review.pairs import latest_verdicts
from factory.vocab import PREFERENCE_MAX, PREFERENCE_MIN, Role, TaskStatus, Verdict, WorkKind

GOLD_AUTHOR_ROLES = frozenset({Role.SENIOR, Role.ADMIN})
MAX_REASON_CHARS = 10_000
FINISHED = (TaskStatus.COMPLETE, TaskStatus.ADJUDICATED)
# GoldItem.source: where the pair came from.
FROM_ADJUDICATION, FROM_PROPOSED = "adjudication", "proposed"


@dataclass(frozen=True, slots=True)
class GoldScore:
    answered: int
    correct: int

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.answered if self.answered else None


def is_correct(preference: int, gold_preference: int) -> bool:
    """Same direction as the known answer (a tie is wrong unless the answer is a tie)."""
    return (preference > 0) - (preference < 0) == (gold_preference > 0) - (gold_preference < 0)


# ---- attention checks (automatic pass-versus-fail pairs inside a batch) ----


def gold_count(n_regular: int, rate: float, available: int) -> int:
    """How many attention checks to mix into `n_regular` tasks at `rate` (at least one if any)."""
    if rate <= 0 or available == 0:
        return 0
    return min(available, max(1, round(n_regular * rate)))


def gold_scores(session: Session, batch_id: str) -> dict[str, GoldScore]:
    """Per reviewer username: attention checks answered in the batch and how many correctly."""
    rows = session.execute(
        select(col(Reviewer.username), col(Annotation.preference), col(ReviewTask.gold_preference))
        .join(Annotation, col(Annotation.reviewer_id) == Reviewer.id)
        .join(ReviewTask, col(ReviewTask.id) == Annotation.task_id)
        .where(
            col(ReviewTask.batch_id) == batch_id,
            col(ReviewTask.is_gold).is_(True),
            col(ReviewTask.gold_preference).is_not(None),
        )
    ).all()
    tally: dict[str, list[int]] = {}
    for username, preference, gold in rows:
        counts = tally.setdefault(username, [0, 0])
        counts[0] += 1
        counts[1] += is_correct(preference, gold)
    return {name: GoldScore(answered, correct) for name, (answered, correct) in tally.items()}


def gold_total(session: Session, batch_id: str) -> int:
    """Attention checks queued in a batch."""
    total = session.scalar(
        select(func.count())
        .select_from(ReviewTask)
        .where(col(ReviewTask.batch_id) == batch_id, col(ReviewTask.is_gold).is_(True))
    )
    assert total is not None  # COUNT(*) always returns a row
    return total


# ---- expert gold ----


@dataclass(frozen=True, slots=True)
class HardPair:
    """A finished task whose two candidates both pass their tests: a gold candidate."""

    task_id: int
    batch_id: str
    language: str
    task_type: str
    status: str
    preferences: tuple[int, ...]  # the reviews, canonical A/B order
    adjudicated: int | None  # the senior's decision, if any
    adjudicated_by_you: bool

    @property
    def spread(self) -> int:
        return max(self.preferences) - min(self.preferences) if self.preferences else 0


def _senior(session: Session, reviewer_id: int, what: str) -> Reviewer:
    senior = session.get(Reviewer, reviewer_id)
    if senior is None or not senior.active or senior.role not in GOLD_AUTHOR_ROLES:
        raise NotYoursError(f"reviewer {reviewer_id} may not {what} (senior or admin only)")
    return senior


def both_pass(session: Session, task: ReviewTask) -> bool:
    verdicts = latest_verdicts(session, task.pair)
    return all(verdicts.get(c) == Verdict.PASSED for c in task.pair)


def proposed_hard_pairs(
    session: Session, senior_id: int, *, limit: int = 50, scan: int = 1000
) -> list[HardPair]:
    """Finished hard pairs that are not gold yet, the senior's own adjudications first, then
    other adjudicated ones, then the most contested reviews (the newest `scan` tasks)."""
    tasks = list(
        session.scalars(
            select(ReviewTask)
            .where(
                col(ReviewTask.status).in_(FINISHED),
                col(ReviewTask.is_gold).is_(False),
                col(ReviewTask.kind) == WorkKind.PAIRWISE,
                ~exists().where(col(GoldItem.task_id) == ReviewTask.id),
            )
            .order_by(col(ReviewTask.id).desc())
            .limit(scan)
        )
    )
    ids = [c for t in tasks for c in t.pair]
    verdicts = latest_verdicts(session, ids)
    hard = [t for t in tasks if all(verdicts.get(c) == Verdict.PASSED for c in t.pair)]
    task_ids = [t.id for t in hard]
    preferences: dict[int, list[int]] = {}
    decisions: dict[int, tuple[int, int]] = {}
    if task_ids:
        for task_id, preference in session.execute(
            select(col(Annotation.task_id), col(Annotation.preference))
            .where(col(Annotation.task_id).in_(task_ids))
            .order_by(col(Annotation.id))
        ):
            preferences.setdefault(task_id, []).append(preference)
        for task_id, preference, by in session.execute(
            select(
                col(Adjudication.task_id),
                col(Adjudication.preference),
                col(Adjudication.reviewer_id),
            ).where(col(Adjudication.task_id).in_(task_ids))
        ):
            decisions[task_id] = (preference, by)
    pairs = []
    for t in hard:
        assert t.id is not None  # a row read from the database
        decision = decisions.get(t.id)
        pairs.append(
            HardPair(
                task_id=t.id,
                batch_id=t.batch_id,
                language=t.language,
                task_type=t.task_type,
                status=t.status,
                preferences=tuple(preferences.get(t.id, ())),
                adjudicated=decision[0] if decision else None,
                adjudicated_by_you=bool(decision and decision[1] == senior_id),
            )
        )
    pairs.sort(key=lambda p: (not p.adjudicated_by_you, p.adjudicated is None, -p.spread))
    return pairs[:limit]


def _check_answer(where: str, preference: int, reason: str) -> None:
    if not PREFERENCE_MIN <= preference <= PREFERENCE_MAX:
        raise ReviewError(f"{where}: preference {preference} is outside -3..3")
    if preference == 0:
        raise ReviewError(f"{where}: a gold answer must prefer one candidate, not a tie")
    if not reason.strip():
        raise ReviewError(f"{where}: a gold answer needs a written reason")
    if len(reason) > MAX_REASON_CHARS:
        raise ReviewError(f"{where}: the reason is longer than {MAX_REASON_CHARS} characters")


def author_gold(
    engine: Engine,
    task_id: int,
    senior_id: int,
    *,
    preference: int,
    reason: str,
    now: datetime | None = None,
) -> GoldItem:
    """Make a finished hard pair expert gold with the senior's answer (canonical A/B order)."""
    now = now or utcnow()
    where = f"task {task_id}"
    _check_answer(where, preference, reason)
    with session_scope(engine, immediate=True) as session:
        _senior(session, senior_id, "author gold")
        task = session.scalars(
            select(ReviewTask).where(col(ReviewTask.id) == task_id).with_for_update()
        ).first()
        if task is None:
            raise ReviewError(f"{where} does not exist")
        if task.is_gold:
            raise ReviewError(f"{where} is an automatic attention check, not a hard pair")
        if task.status not in FINISHED:
            raise ReviewError(
                f"{where} is {task.status}: gold is made from pairs whose review is finished"
            )
        if not both_pass(session, task):
            raise ReviewError(
                f"{where}: a candidate fails its tests; expert gold is for hard pairs where "
                "both pass (the test badge would give a pass-versus-fail answer away)"
            )
        existing = session.scalars(select(GoldItem).where(col(GoldItem.task_id) == task_id)).first()
        if existing is not None:
            raise ReviewError(f"{where} is already gold item {existing.id}")
        adjudicated = session.scalar(
            select(
                exists().where(
                    col(Adjudication.task_id) == task_id,
                    col(Adjudication.reviewer_id) == senior_id,
                )
            )
        )
        task_type = task.task_type or session.scalar(
            select(col(Prompt.task_type)).where(col(Prompt.id) == task.prompt_id)
        )
        item = GoldItem(
            task_id=task_id,
            language=task.language,
            task_type=task_type or "",
            preference=preference,
            reason=reason.strip(),
            source=FROM_ADJUDICATION if adjudicated else FROM_PROPOSED,
            authored_by=senior_id,
            authored_at=now,
        )
        session.add(item)
        session.flush()
        return item


def _open_item(session: Session, gold_id: int) -> GoldItem:
    item = session.scalars(
        select(GoldItem).where(col(GoldItem.id) == gold_id).with_for_update()
    ).first()
    if item is None:
        raise ReviewError(f"gold item {gold_id} does not exist")
    if item.retired_at is not None:
        raise ReviewError(f"gold item {gold_id} was retired ({item.retire_reason})")
    return item


def confirm_gold(
    engine: Engine, gold_id: int, senior_id: int, *, note: str = "", now: datetime | None = None
) -> GoldItem:
    """A second senior confirms another's gold answer (needed to serve it with
    `review.gold_needs_confirmation`)."""
    now = now or utcnow()
    with session_scope(engine, immediate=True) as session:
        _senior(session, senior_id, "confirm gold")
        item = _open_item(session, gold_id)
        if item.authored_by == senior_id:
            raise NotYoursError(f"gold item {gold_id}: you wrote it, so another senior confirms")
        if item.confirmed_by is not None:
            raise ReviewError(f"gold item {gold_id} is already confirmed")
        item.confirmed_by = senior_id
        item.confirmed_at = now
        item.confirm_note = note.strip()[:MAX_REASON_CHARS]
        session.flush()
        return item


def retire_gold(
    engine: Engine, gold_id: int, senior_id: int, *, reason: str, now: datetime | None = None
) -> GoldItem:
    """Stop serving a gold item (a wrong or disputed answer). Pool decisions already taken on
    it stand; an admin restores anyone it wronged."""
    now = now or utcnow()
    if not reason.strip():
        raise ReviewError(f"gold item {gold_id}: retiring it needs a written reason")
    with session_scope(engine, immediate=True) as session:
        _senior(session, senior_id, "retire gold")
        item = _open_item(session, gold_id)
        item.retired_at = now
        item.retired_by = senior_id
        item.retire_reason = reason.strip()[:MAX_REASON_CHARS]
        session.flush()
        return item


@dataclass(frozen=True, slots=True)
class GoldRow:
    item: GoldItem
    author: str
    confirmer: str | None
    score: GoldScore = field(default_factory=lambda: GoldScore(0, 0))


def gold_catalogue(session: Session, *, limit: int = 500) -> list[GoldRow]:
    """Expert gold items, newest first, with who wrote and confirmed them and how reviewers do."""
    items = list(session.scalars(select(GoldItem).order_by(col(GoldItem.id).desc()).limit(limit)))
    people = {
        reviewer_id: username
        for reviewer_id, username in session.execute(
            select(col(Reviewer.id), col(Reviewer.username)).where(
                col(Reviewer.id).in_(
                    {i.authored_by for i in items}
                    | {i.confirmed_by for i in items if i.confirmed_by is not None}
                )
            )
        )
    }
    scores: dict[int, GoldScore] = {}
    if items:
        for gold_id, answered, correct in session.execute(
            select(
                col(GoldAnswer.gold_item_id),
                func.count(),
                func.sum(cast(col(GoldAnswer.correct), Integer)),
            )
            .where(col(GoldAnswer.gold_item_id).in_([i.id for i in items]))
            .group_by(col(GoldAnswer.gold_item_id))
        ):
            scores[gold_id] = GoldScore(int(answered), int(correct or 0))
    return [
        GoldRow(
            item=i,
            author=people.get(i.authored_by, "?"),
            confirmer=people.get(i.confirmed_by) if i.confirmed_by is not None else None,
            score=scores.get(i.id or 0, GoldScore(0, 0)),
        )
        for i in items
    ]


def expert_gold_scores(session: Session, reviewer_ids: Sequence[int]) -> dict[int, GoldScore]:
    """Per reviewer id: expert gold answered (qualification and ongoing) and how many correctly,
    over items not retired."""
    if not reviewer_ids:
        return {}
    rows = session.execute(
        select(col(GoldAnswer.reviewer_id), col(GoldAnswer.correct))
        .join(GoldItem, col(GoldItem.id) == GoldAnswer.gold_item_id)
        .where(
            col(GoldAnswer.reviewer_id).in_(list(reviewer_ids)),
            col(GoldItem.retired_at).is_(None),
        )
    ).all()
    tally: dict[int, list[int]] = {}
    for reviewer_id, correct in rows:
        counts = tally.setdefault(reviewer_id, [0, 0])
        counts[0] += 1
        counts[1] += bool(correct)
    return {rid: GoldScore(answered, correct) for rid, (answered, correct) in tally.items()}


def submitted_scores(session: Session, claim_id: int) -> dict[tuple[int, str], int]:
    """(candidate id, dimension) -> score the reviewer submitted on a claim, whether it served
    ordinary work (an annotation) or expert gold (a gold answer): pages shown after a review
    treat both alike."""
    own: dict[tuple[int, str], int] = {}
    rows = session.execute(
        select(
            col(DimensionScore.candidate_id),
            col(DimensionScore.dimension),
            col(DimensionScore.score),
        )
        .join(Annotation, col(Annotation.id) == DimensionScore.annotation_id)
        .where(col(Annotation.claim_id) == claim_id)
    ).all()
    for candidate_id, dimension, score in rows:
        own[(candidate_id, dimension)] = score
    answer = session.scalars(select(GoldAnswer).where(col(GoldAnswer.claim_id) == claim_id)).first()
    if answer is not None:
        for candidate_id, by_dimension in answer.scores.items():
            for dimension, score in by_dimension.items():
                own[(int(candidate_id), dimension)] = int(score)
    return own


@dataclass(frozen=True, slots=True)
class ExpertGoldFigures:
    """Expert gold behind a release's labels: items in service, and how each reviewer of the
    batches did on expert gold (qualification and ongoing)."""

    items: int
    reviewers: list[tuple[str, GoldScore]] = field(default_factory=list)

    @property
    def mean_accuracy(self) -> float | None:
        scores = [s.accuracy for _, s in self.reviewers if s.accuracy is not None]
        return sum(scores) / len(scores) if scores else None

    def to_dict(self) -> dict[str, object]:
        return {
            "items_in_service": self.items,
            "reviewers": {
                name: {"answered": s.answered, "correct": s.correct} for name, s in self.reviewers
            },
        }

    def markdown(self) -> str:
        lines = [
            f"Expert gold items in service: {self.items}. Automatic pass-versus-fail attention "
            "checks are reported apart (below) and gate nobody.",
        ]
        if not self.reviewers:
            return "\n\n".join([*lines, "No reviewer of these batches has answered expert gold."])
        table = ["| reviewer | answered | correct | accuracy |", "|---|---|---|---|"]
        for name, s in self.reviewers:
            accuracy = "n/a" if s.accuracy is None else f"{s.accuracy:.2f}"
            table.append(f"| {name} | {s.answered} | {s.correct} | {accuracy} |")
        return "\n\n".join([*lines, "\n".join(table)])


def expert_gold_figures(session: Session, batch_ids: Sequence[str]) -> ExpertGoldFigures:
    items = session.scalar(
        select(func.count()).select_from(GoldItem).where(col(GoldItem.retired_at).is_(None))
    )
    people = dict(
        session.execute(
            select(col(Reviewer.id), col(Reviewer.username))
            .where(
                col(Reviewer.id).in_(
                    select(col(Annotation.reviewer_id))
                    .join(ReviewTask, col(ReviewTask.id) == Annotation.task_id)
                    .where(col(ReviewTask.batch_id).in_(list(batch_ids)))
                )
                # ... and whoever answered gold made from the batch's pairs (qualifying too).
                | col(Reviewer.id).in_(
                    select(col(GoldAnswer.reviewer_id))
                    .join(GoldItem, col(GoldItem.id) == GoldAnswer.gold_item_id)
                    .join(ReviewTask, col(ReviewTask.id) == GoldItem.task_id)
                    .where(col(ReviewTask.batch_id).in_(list(batch_ids)))
                )
            )
            .order_by(col(Reviewer.username))
        ).all()
    )
    scores = expert_gold_scores(session, list(people))
    return ExpertGoldFigures(
        items=int(items or 0),
        reviewers=[(name, scores.get(rid, GoldScore(0, 0))) for rid, name in people.items()],
    )
