"""The review data agreement is computed from, read once per batch into plain rows."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session, col

from factory.models import Annotation, DimensionScore, Prompt, ReviewTask


@dataclass(frozen=True, slots=True)
class Rating:
    """One reviewer's preference on one task, with the task's breakdown keys."""

    task_id: int
    annotation_id: int
    reviewer_id: int
    preference: int
    language: str
    task_type: str
    is_gold: bool
    gold_preference: int | None
    simulated: bool


@dataclass(frozen=True, slots=True)
class Score:
    """One reviewer's 1-5 score of one candidate of one task on one dimension."""

    task_id: int
    candidate_id: int
    reviewer_id: int
    dimension: str
    score: int
    language: str
    task_type: str


@dataclass(frozen=True, slots=True)
class ReviewData:
    ratings: list[Rating]
    scores: list[Score]


def load_review_data(session: Session, batch_ids: list[str]) -> ReviewData:
    """Every submitted annotation and dimension score of the given batches, oldest first."""
    rating_rows = session.execute(
        select(
            col(Annotation.task_id),
            col(Annotation.id),
            col(Annotation.reviewer_id),
            col(Annotation.preference),
            col(ReviewTask.language),
            col(Prompt.task_type),
            col(ReviewTask.is_gold),
            col(ReviewTask.gold_preference),
            col(Annotation.simulated),
        )
        .join(ReviewTask, col(ReviewTask.id) == Annotation.task_id)
        .join(Prompt, col(Prompt.id) == ReviewTask.prompt_id)
        .where(col(ReviewTask.batch_id).in_(batch_ids))
        .order_by(col(Annotation.task_id), col(Annotation.id))
    ).all()
    score_rows = session.execute(
        select(
            col(Annotation.task_id),
            col(DimensionScore.candidate_id),
            col(Annotation.reviewer_id),
            col(DimensionScore.dimension),
            col(DimensionScore.score),
            col(ReviewTask.language),
            col(Prompt.task_type),
        )
        .join(Annotation, col(Annotation.id) == DimensionScore.annotation_id)
        .join(ReviewTask, col(ReviewTask.id) == Annotation.task_id)
        .join(Prompt, col(Prompt.id) == ReviewTask.prompt_id)
        .where(col(ReviewTask.batch_id).in_(batch_ids))
        .order_by(col(DimensionScore.id))
    ).all()
    return ReviewData(
        ratings=[Rating(*row) for row in rating_rows],
        scores=[Score(*row) for row in score_rows],
    )
