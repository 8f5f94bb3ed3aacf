"""Finished hard pairs and expert gold on them, for the gold, pool and gold-page tests."""

from review_builders import add_people, build_batch, enqueue
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from factory.models import ReviewTask
from factory.review.gold import author_gold
from factory.review.pools import PoolRules
from factory.review.queue import claim_next, submit_review
from factory.vocab import DIMENSIONS

GOLD_BATCH = "batch-gold"
# Small numbers, so a test answers a whole qualification attempt in a few lines.
RULES = PoolRules(
    qualification_items=2,
    pass_mark=1.0,
    retake_hours=1.0,
    window=3,
    min_answers=3,
    suspend_below=0.7,
)


def full_scores(task: ReviewTask, score: int = 4) -> dict[int, dict[str, int]]:
    return {
        task.candidate_a_id: {d.value: score for d in DIMENSIONS},
        task.candidate_b_id: {d.value: score for d in DIMENSIONS},
    }


def task_of(engine: Engine, task_id: int) -> ReviewTask:
    with Session(engine) as session:
        task = session.get(ReviewTask, task_id)
        assert task is not None
        return task


def answer(engine: Engine, claim, reviewer_id: int, preference: int):  # type: ignore[no-untyped-def]
    """Submit a review (or gold answer) for a claim with plain scores."""
    return submit_review(
        engine,
        claim.id,
        reviewer_id,
        preference=preference,
        scores=full_scores(task_of(engine, claim.task_id)),
        rationale="B names its edge cases",
        disagreement_threshold=3,
        pool_rules=RULES,
    )


def finished_hard_pairs(
    engine: Engine,
    *,
    prompts: int = 4,
    batch_id: str = GOLD_BATCH,
    language: str = "python",
    task_type: str = "code_generation",
    seeder: str = "seeder",
) -> list[int]:
    """Tasks pairing two passing candidates, each reviewed once (so complete) by `seeder`."""
    build_batch(engine, prompts=prompts, batch_id=batch_id, language=language, task_type=task_type)
    enqueue(engine, batch_id, pair_strategy="passing_differ", overlap_fraction=0, gold_rate=0)
    (person,) = add_people(engine, f"{seeder}-{batch_id}", languages=(language,))
    assert person.id is not None
    while (
        claim := claim_next(engine, person.id, lease_seconds=600, batch_id=batch_id)
    ) is not None:
        answer(engine, claim, person.id, 2)
    with Session(engine) as session:
        return list(
            session.scalars(
                select(col(ReviewTask.id))
                .where(col(ReviewTask.batch_id) == batch_id)
                .order_by(col(ReviewTask.id))
            )
        )


def add_gold(engine: Engine, task_ids: list[int], *, senior: str = "sage", preference: int = 2):
    """A senior and their gold answers on these tasks; returns (senior id, gold item ids)."""
    (person,) = add_people(engine, senior, role="senior")
    assert person.id is not None
    items = [
        author_gold(
            engine, task_id, person.id, preference=preference, reason="B handles empty input"
        )
        for task_id in task_ids
    ]
    return person.id, [item.id for item in items]
