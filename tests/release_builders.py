"""A reviewed batch for packaging tests: people decide a few tasks on purpose, simulated
reviewers complete the rest.

Tasks in id order: the first is disputed and adjudicated for candidate B, the second is a tie,
the third is still pending (one review in, one slot claimed and never submitted); simulated
reviewers do the others. The prompt of the fourth task is flagged as contaminated, and the
first two prompts share a normalised hash (near duplicates).
"""

from dataclasses import dataclass
from datetime import timedelta

from review_builders import add_people, build_batch, enqueue, full_scores_for
from sqlalchemy import Engine
from sqlmodel import Session, select

from factory.models import Prompt, ReviewTask, TaskClaim
from factory.models._base import utcnow
from factory.review.adjudication import adjudicate
from factory.review.queue import submit_review
from factory.review.simulate import simulate_reviews
from factory.settings import AgreementSettings, FactoryConfig, PackagingSettings

BATCH = "batch-release"
ADJUDICATION_RATIONALE = "B handles the edge case; A does not."


@dataclass(frozen=True)
class ReviewedBatch:
    batch_id: str
    adjudicated_task: int
    tie_task: int
    pending_task: int
    contaminated_prompt: int
    twin_prompts: tuple[int, int]
    reviewers: dict[str, int]  # username -> id


def claim(engine: Engine, task_id: int, reviewer_id: int) -> int:
    """A claim on a chosen task (the queue would pick the task itself)."""
    with Session(engine) as session:
        task = session.get(ReviewTask, task_id)
        assert task is not None
        task.active_claims += 1
        expires = utcnow() + timedelta(hours=1)
        lease = TaskClaim(task_id=task_id, reviewer_id=reviewer_id, expires_at=expires)
        session.add(lease)
        session.commit()
        assert lease.id is not None
        return lease.id


def review(engine: Engine, task_id: int, reviewer_id: int, preference: int) -> None:
    submit_review(
        engine,
        claim(engine, task_id, reviewer_id),
        reviewer_id,
        preference=preference,
        scores=full_scores_for(engine, task_id),
        rationale=f"reviewer {reviewer_id} says {preference}",
        disagreement_threshold=3,
    )


def reviewed_batch(engine: Engine, *, prompts: int = 8) -> ReviewedBatch:
    batch = build_batch(engine, prompts=prompts, batch_id=BATCH)
    enqueue(engine, BATCH, overlap_fraction=1.0, overlap_reviews=2, gold_rate=0.0)
    alice, bob, carol = add_people(engine, "alice", "bob", "carol")
    (senior,) = add_people(engine, "senior", role="senior")
    with Session(engine) as session:
        tasks = list(
            session.scalars(
                select(ReviewTask).where(ReviewTask.batch_id == BATCH).order_by(ReviewTask.id)
            )
        )
        first, second, third, fourth = (t.id for t in tasks[:4])
        contaminated = tasks[3].prompt_id
        for prompt_id in (contaminated,):
            prompt = session.get(Prompt, prompt_id)
            assert prompt is not None
            prompt.contaminated = True
        twin_a, twin_b = (session.get(Prompt, p.id) for p in batch.prompts[:2])
        assert twin_a is not None and twin_b is not None
        twin_b.normalized_sha256 = twin_a.normalized_sha256
        session.commit()
    review(engine, first, alice.id, -3)
    review(engine, first, bob.id, 3)
    adjudicate(engine, first, senior.id, preference=2, rationale=ADJUDICATION_RATIONALE)
    review(engine, second, alice.id, 0)
    review(engine, second, bob.id, 0)
    review(engine, third, alice.id, -2)
    claim(engine, third, carol.id)  # holds the last slot: the task stays open
    simulate_reviews(engine, BATCH, reviewers=3, seed=1)
    assert fourth
    return ReviewedBatch(
        batch_id=BATCH,
        adjudicated_task=first,
        tie_task=second,
        pending_task=third,
        contaminated_prompt=contaminated,
        twin_prompts=(batch.prompts[0].id, batch.prompts[1].id),
        reviewers={r.username: r.id for r in (alice, bob, carol, senior)},
    )


def config(**packaging: object) -> FactoryConfig:
    settings = {"allow_simulated": True, "test_fraction": 0.3} | packaging
    # Few bootstrap samples: the QA report's intervals are not under test here.
    agreement = AgreementSettings(bootstrap_samples=20)
    return FactoryConfig(packaging=PackagingSettings(**settings), agreement=agreement)
