"""The queue on SQLite and PostgreSQL: claims respect k, languages and one review per reviewer,
leases expire and return their slot, skips need a reason, bad reviews are refused whole, and
concurrent claimers never over-collect."""

import random
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from review_builders import add_people, build_batch, enqueue
from sqlalchemy import func, select
from sqlmodel import Session

from factory.models import Annotation, DimensionScore, ReviewTask, TaskClaim
from factory.models._base import utcnow
from factory.review.errors import LeaseExpiredError, NotYoursError, ReviewError
from factory.review.queue import claim_next, expire_stale_claims, skip_claim, submit_review
from factory.vocab import DIMENSIONS

LEASE = 600


def full_scores(task: ReviewTask, score: int = 4) -> dict[int, dict[str, int]]:
    return {
        task.candidate_a_id: {d.value: score for d in DIMENSIONS},
        task.candidate_b_id: {d.value: score for d in DIMENSIONS},
    }


def task_of(engine, claim) -> ReviewTask:
    with Session(engine) as session:
        return session.get(ReviewTask, claim.task_id)


def review(engine, claim, reviewer_id: int, preference: int = -1):
    task = task_of(engine, claim)
    return submit_review(
        engine,
        claim.id,
        reviewer_id,
        preference=preference,
        scores=full_scores(task),
        rationale="A handles the empty input",
        disagreement_threshold=3,
    )


def test_a_task_needing_two_reviews_goes_to_two_different_reviewers(engine):
    build_batch(engine, prompts=1)
    enqueue(engine, pair_strategy="passing_differ", overlap_fraction=1.0, gold_rate=0)
    alice, bob, carol = add_people(engine, "alice", "bob", "carol")
    first = claim_next(engine, alice.id, lease_seconds=LEASE)
    assert claim_next(engine, alice.id, lease_seconds=LEASE).id == first.id  # resumes
    review(engine, first, alice.id)
    assert claim_next(engine, alice.id, lease_seconds=LEASE) is None  # never twice
    second = claim_next(engine, bob.id, lease_seconds=LEASE)
    assert second.task_id == first.task_id
    assert claim_next(engine, carol.id, lease_seconds=LEASE) is None  # both slots taken
    result = review(engine, second, bob.id)
    assert result.task_status == "complete"
    task = task_of(engine, second)
    assert (task.review_count, task.active_claims, task.status) == (2, 0, "complete")


def test_tasks_go_only_to_reviewers_of_their_language(engine):
    build_batch(engine, prompts=1, language="go")
    enqueue(engine, overlap_fraction=0, gold_rate=0)
    (pythonista,) = add_people(engine, "py", languages=("python",))
    (gopher,) = add_people(engine, "gopher", languages=("go", "rust"))
    assert claim_next(engine, pythonista.id, lease_seconds=LEASE) is None
    claim = claim_next(engine, gopher.id, lease_seconds=LEASE)
    assert task_of(engine, claim).language == "go"


def test_an_abandoned_claim_expires_and_its_slot_returns(engine):
    build_batch(engine, prompts=1)
    enqueue(engine, overlap_fraction=0, gold_rate=0)
    alice, bob = add_people(engine, "alice", "bob")
    claim = claim_next(engine, alice.id, lease_seconds=60)
    assert claim_next(engine, bob.id, lease_seconds=60) is None
    later = utcnow() + timedelta(seconds=61)
    taken = claim_next(engine, bob.id, lease_seconds=60, now=later)
    assert taken is not None and taken.task_id == claim.task_id
    with pytest.raises(LeaseExpiredError, match=f"claim {claim.id} expired"):
        review(engine, claim, alice.id)
    task = task_of(engine, claim)
    assert (task.review_count, task.active_claims) == (0, 1)
    review(engine, taken, bob.id)
    assert task_of(engine, claim).status == "complete"


def test_expire_stale_claims_counts_and_releases(engine):
    build_batch(engine, prompts=2)
    enqueue(engine, overlap_fraction=0, gold_rate=0)
    alice, bob = add_people(engine, "alice", "bob")
    claim_next(engine, alice.id, lease_seconds=10)
    claim_next(engine, bob.id, lease_seconds=10)
    assert expire_stale_claims(engine, now=utcnow() + timedelta(seconds=11)) == 2
    with Session(engine) as session:
        assert session.scalar(select(func.sum(ReviewTask.active_claims))) == 0


def test_skip_needs_a_reason_and_hides_the_task_from_that_reviewer(engine):
    build_batch(engine, prompts=1)
    enqueue(engine, pair_strategy="passing_differ", overlap_fraction=0, gold_rate=0)
    alice, bob = add_people(engine, "alice", "bob")
    claim = claim_next(engine, alice.id, lease_seconds=LEASE)
    with pytest.raises(ReviewError, match="needs a reason"):
        skip_claim(engine, claim.id, alice.id, reason="  ")
    skip_claim(engine, claim.id, alice.id, reason="outside my expertise")
    assert claim_next(engine, alice.id, lease_seconds=LEASE) is None
    assert claim_next(engine, bob.id, lease_seconds=LEASE).task_id == claim.task_id
    with Session(engine) as session:
        stored = session.get(TaskClaim, claim.id)
    assert (stored.status, stored.skip_reason) == ("skipped", "outside my expertise")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"preference": 4}, "preference 4 is outside"),
        ({"rationale": "   "}, "a rationale is required"),
        ({"drop": "style"}, "has no score for \\['style'\\]"),
        ({"score": 6}, "score 6 of candidate"),
        ({"extra": 999}, "scores must cover exactly"),
    ],
)
def test_invalid_reviews_are_refused_and_nothing_is_written(engine, change, message):
    build_batch(engine, prompts=1)
    enqueue(engine, overlap_fraction=0, gold_rate=0)
    (alice,) = add_people(engine, "alice")
    claim = claim_next(engine, alice.id, lease_seconds=LEASE)
    task = task_of(engine, claim)
    scores = full_scores(task, change.get("score", 4))
    if "drop" in change:
        del scores[task.candidate_a_id][change["drop"]]
    if "extra" in change:
        scores[change["extra"]] = dict(scores[task.candidate_a_id])
    with pytest.raises(ReviewError, match=message):
        submit_review(
            engine,
            claim.id,
            alice.id,
            preference=change.get("preference", 1),
            scores=scores,
            rationale=change.get("rationale", "fine"),
            disagreement_threshold=3,
        )
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Annotation)) == 0
        assert session.scalar(select(func.count()).select_from(DimensionScore)) == 0
        assert session.get(ReviewTask, task.id).review_count == 0
        assert session.get(TaskClaim, claim.id).status == "active"


def test_nobody_can_submit_on_someone_elses_claim(engine):
    build_batch(engine, prompts=1)
    enqueue(engine, overlap_fraction=0, gold_rate=0)
    alice, mallory = add_people(engine, "alice", "mallory")
    claim = claim_next(engine, alice.id, lease_seconds=LEASE)
    with pytest.raises(NotYoursError, match="belongs to another reviewer"):
        review(engine, claim, mallory.id)
    with pytest.raises(NotYoursError):
        skip_claim(engine, claim.id, mallory.id, reason="sabotage")


def test_the_displayed_order_is_randomised_per_claim(engine):
    build_batch(engine, prompts=10)
    enqueue(engine, pair_strategy="mixed", overlap_fraction=0, gold_rate=0)
    (alice,) = add_people(engine, "alice")
    rng = random.Random(3)
    swaps = []
    while (claim := claim_next(engine, alice.id, lease_seconds=LEASE, rng=rng)) is not None:
        swaps.append(claim.swapped)
        review(engine, claim, alice.id)
    assert len(swaps) == 30 and 0 < sum(swaps) < 30


def test_concurrent_claimers_never_over_collect(engine):
    """12 reviewers race for 20 tasks (half need k=2): every slot is filled exactly once."""
    build_batch(engine, prompts=10)
    enqueue(engine, pair_strategy="passing_differ", overlap_fraction=0.5, gold_rate=0)
    enqueue(engine, pair_strategy="pass_vs_fail", overlap_fraction=0.5, gold_rate=0)
    people = add_people(engine, *[f"r{i}" for i in range(12)])

    def work(reviewer_id: int) -> int:
        done = 0
        while (claim := claim_next(engine, reviewer_id, lease_seconds=LEASE)) is not None:
            review(engine, claim, reviewer_id)
            done += 1
        return done

    with ThreadPoolExecutor(max_workers=6) as pool:
        submitted = sum(pool.map(work, [p.id for p in people]))
    with Session(engine) as session:
        tasks = list(session.exec(select(ReviewTask)).scalars())
        per_task = dict(
            session.execute(
                select(Annotation.task_id, func.count()).group_by(Annotation.task_id)
            ).all()
        )
        pairs = session.execute(select(Annotation.task_id, Annotation.reviewer_id)).all()
    assert len(tasks) == 30
    assert submitted == sum(t.required_reviews for t in tasks) == len(pairs)
    assert len(set(pairs)) == len(pairs)  # no reviewer twice on a task
    for task in tasks:
        assert per_task[task.id] == task.review_count == task.required_reviews
        assert task.active_claims == 0 and task.status in ("complete", "adjudication")
