"""Resolving a task once its reviews are in, and the senior adjudication queue.

Task statuses (vocab.TaskStatus), as the agreement and packaging stages read them:
- open: still collecting reviews;
- complete: has its k reviews and they agree (or k = 1, or the task is gold); its label is the
  mean preference of its annotations;
- adjudication: k > 1 reviews that disagree; waits for a senior. Reviews disagree when they point
  opposite ways (one favours A, another B) under `review.opposite_direction: adjudicate`,
  whatever their distance ("direction"), or when they spread more than
  `review.disagreement_threshold` points ("distance"); the reason is kept on the task;
- adjudicated: a senior decided; the Adjudication row is the label.

When a non-gold task is resolved with a non-tie label, the same transaction writes its
PreferencePair (label_source "annotations" or "adjudication"). Gold tasks are instruments for
measuring reviewers, so they get no PreferencePair.

A senior may also override the safety veto (packaging never puts a candidate with a
high-severity security finding or failing tests over a clean passing one): only explicitly,
with `override_veto` and a written `override_reason`.
"""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from factory.db import session_scope
from factory.models import Adjudication, Annotation, PreferencePair, Reviewer, ReviewTask
from factory.models._base import utcnow
from factory.review.errors import NotYoursError, ReviewError
from factory.vocab import PREFERENCE_MAX, PREFERENCE_MIN, Role, TaskStatus

ADJUDICATOR_ROLES = frozenset({Role.SENIOR, Role.ADMIN})
# review.opposite_direction: who settles reviews that favour opposite candidates.
ADJUDICATE, MEAN = "adjudicate", "mean"
OPPOSITE_DIRECTION_POLICIES = (ADJUDICATE, MEAN)
# ReviewTask.adjudication_reason: why a task went to a senior.
DIRECTION, DISTANCE = "direction", "distance"


def opposite_directions(preferences: Sequence[int]) -> bool:
    """True when one review favours A and another favours B (ties take no side)."""
    return bool(preferences) and min(preferences) < 0 < max(preferences)


def adjudication_reason(
    preferences: Sequence[int], *, threshold: int, opposite_direction: str = ADJUDICATE
) -> str | None:
    """Why these reviews of one task need a senior ("direction" or "distance"), or None."""
    if opposite_direction not in OPPOSITE_DIRECTION_POLICIES:
        raise ValueError(
            f"review.opposite_direction must be one of {OPPOSITE_DIRECTION_POLICIES}, "
            f"got {opposite_direction!r}"
        )
    if len(preferences) < 2:
        return None
    if opposite_direction == ADJUDICATE and opposite_directions(preferences):
        return DIRECTION
    if max(preferences) - min(preferences) > threshold:
        return DISTANCE
    return None


def needs_adjudication(
    preferences: Sequence[int], *, threshold: int, opposite_direction: str = ADJUDICATE
) -> bool:
    """True when reviews of the same task disagree (see `adjudication_reason`)."""
    reason = adjudication_reason(
        preferences, threshold=threshold, opposite_direction=opposite_direction
    )
    return reason is not None


def label_from_preferences(preferences: Sequence[int]) -> tuple[int, float] | None:
    """(direction, strength) of the resolved label: -1 favours A, +1 favours B.

    None for a tie. Strength is the mean |preference| of the reviews that point the winning way.
    """
    mean = sum(preferences) / len(preferences)
    if mean == 0:
        return None
    direction = -1 if mean < 0 else 1
    deciding = [abs(p) for p in preferences if p * direction > 0]
    return direction, sum(deciding) / len(deciding)


def _write_pair(session: Session, task: ReviewTask, direction: int, strength: float, source: str):
    assert task.id is not None  # the task is a row read from the database
    a, b = task.pair
    chosen, rejected = (a, b) if direction < 0 else (b, a)
    session.add(
        PreferencePair(
            task_id=task.id,
            prompt_id=task.prompt_id,
            chosen_candidate_id=chosen,
            rejected_candidate_id=rejected,
            strength=strength,
            label_source=source,
        )
    )


def resolve_if_complete(
    session: Session,
    task: ReviewTask,
    *,
    disagreement_threshold: int,
    now: datetime,
    opposite_direction: str = ADJUDICATE,
) -> None:
    """Move a task that just got its last review to complete or adjudication."""
    if task.review_count < task.required_reviews:
        return
    preferences = list(
        session.scalars(
            select(col(Annotation.preference)).where(col(Annotation.task_id) == task.id)
        )
    )
    reason = adjudication_reason(
        preferences, threshold=disagreement_threshold, opposite_direction=opposite_direction
    )
    if not task.is_gold and reason is not None:
        task.status = TaskStatus.ADJUDICATION
        task.adjudication_reason = reason
        return
    task.status = TaskStatus.COMPLETE
    task.completed_at = now
    label = label_from_preferences(preferences)
    if label is not None and not task.is_gold:
        _write_pair(session, task, *label, source="annotations")


def adjudication_queue(session: Session, *, batch_id: str | None = None) -> list[ReviewTask]:
    query = select(ReviewTask).where(col(ReviewTask.status) == TaskStatus.ADJUDICATION)
    if batch_id is not None:
        query = query.where(col(ReviewTask.batch_id) == batch_id)
    return list(session.scalars(query.order_by(col(ReviewTask.id))))


def adjudicate(
    engine: Engine,
    task_id: int,
    reviewer_id: int,
    *,
    preference: int,
    rationale: str,
    override_veto: bool = False,
    override_reason: str = "",
    now: datetime | None = None,
) -> Adjudication:
    """A senior's final decision on a disputed task (canonical A/B order).

    `override_veto` lets the chosen candidate into a release although it has a high-severity
    security finding or fails its tests while the other passes clean; it needs `override_reason`.
    """
    now = now or utcnow()
    if not PREFERENCE_MIN <= preference <= PREFERENCE_MAX:
        raise ReviewError(f"task {task_id}: preference {preference} is out of range")
    if not rationale.strip():
        raise ReviewError(f"task {task_id}: an adjudication needs a rationale")
    if override_veto and not override_reason.strip():
        raise ReviewError(f"task {task_id}: overriding the safety veto needs a written reason")
    if override_reason.strip() and not override_veto:
        raise ReviewError(f"task {task_id}: an override reason was given without override_veto")
    if override_veto and preference == 0:
        raise ReviewError(f"task {task_id}: a tie chooses no candidate, so it overrides nothing")
    with session_scope(engine, immediate=True) as session:
        senior = session.get(Reviewer, reviewer_id)
        if senior is None or not senior.active or senior.role not in ADJUDICATOR_ROLES:
            raise NotYoursError(f"reviewer {reviewer_id} may not adjudicate (senior or admin)")
        task = session.scalars(
            select(ReviewTask).where(col(ReviewTask.id) == task_id).with_for_update()
        ).first()
        if task is None:
            raise ReviewError(f"task {task_id} does not exist")
        if task.status != TaskStatus.ADJUDICATION:
            raise ReviewError(f"task {task_id} is {task.status}, not awaiting adjudication")
        own = session.scalars(
            select(col(Annotation.id)).where(
                col(Annotation.task_id) == task_id, col(Annotation.reviewer_id) == reviewer_id
            )
        ).first()
        if own is not None:
            raise NotYoursError(f"task {task_id}: you reviewed it, so another senior decides")
        decision = Adjudication(
            task_id=task_id,
            reviewer_id=reviewer_id,
            preference=preference,
            rationale=rationale.strip(),
            override_veto=override_veto,
            override_reason=override_reason.strip(),
            simulated=senior.simulated,
            created_at=now,
        )
        session.add(decision)
        task.status = TaskStatus.ADJUDICATED
        task.completed_at = now
        if preference != 0:
            direction = -1 if preference < 0 else 1
            _write_pair(session, task, direction, float(abs(preference)), "adjudication")
        session.flush()
        return decision
