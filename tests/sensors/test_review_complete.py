"""The review-completion sensor: skips while a batch is in review (saying what it saw), fires
exactly once when the batch completes, and once more only if the batch completes anew."""

import json

from dagster import SkipReason, build_sensor_context
from review_builders import add_people, build_batch, enqueue, full_scores_for
from sqlalchemy import Engine

from factory.review.queue import claim_next, submit_review
from factory.review.simulate import simulate_reviews
from resources.database import DatabaseResource
from sensors.review_complete import review_complete_sensor


def evaluate(engine: Engine, cursor: str | None):  # type: ignore[no-untyped-def]
    context = build_sensor_context(
        cursor=cursor,
        resources={"database": DatabaseResource(url=engine.url.render_as_string(False))},
    )
    return review_complete_sensor(context), context


def test_fires_once_per_completed_batch(sqlite_engine):
    batch = build_batch(sqlite_engine, prompts=3)
    enqueue(sqlite_engine, overlap_fraction=0.5, gold_rate=0.1)
    result, _ = evaluate(sqlite_engine, None)
    assert isinstance(result, SkipReason)
    assert "0 complete" in result.skip_message and f"{batch.batch_id} 0/" in result.skip_message

    simulate_reviews(sqlite_engine, batch.batch_id, reviewers=3, seed=1)
    fired, _ = evaluate(sqlite_engine, None)
    (request,) = fired.run_requests
    assert request.partition_key == batch.batch_id
    assert request.run_key.startswith(f"{batch.batch_id}:")
    cursor = json.loads(fired.cursor)
    assert list(cursor["fired"]) == [batch.batch_id]

    again, _ = evaluate(sqlite_engine, fired.cursor)
    assert isinstance(again, SkipReason)
    assert "1 complete and already requested" in again.skip_message


def test_a_batch_that_gains_tasks_fires_again_after_completing_again(sqlite_engine):
    batch = build_batch(sqlite_engine, prompts=2)
    enqueue(sqlite_engine, pair_strategy="passing_differ", overlap_fraction=0, gold_rate=0)
    simulate_reviews(sqlite_engine, batch.batch_id, reviewers=1)
    first, _ = evaluate(sqlite_engine, None)
    enqueue(sqlite_engine, pair_strategy="pass_vs_fail", overlap_fraction=0, gold_rate=0)
    in_review, _ = evaluate(sqlite_engine, first.cursor)
    assert isinstance(in_review, SkipReason) and "1 in review" in in_review.skip_message
    simulate_reviews(sqlite_engine, batch.batch_id, reviewers=1)
    second, _ = evaluate(sqlite_engine, first.cursor)
    (request,) = second.run_requests
    assert request.run_key != first.run_requests[0].run_key


def test_a_batch_with_a_disputed_task_waits_for_adjudication(sqlite_engine):
    batch = build_batch(sqlite_engine, prompts=1)
    enqueue(sqlite_engine, pair_strategy="passing_differ", overlap_fraction=1.0, gold_rate=0)
    alice, bob = add_people(sqlite_engine, "alice", "bob")
    for person, preference in ((alice, -3), (bob, 3)):
        claim = claim_next(sqlite_engine, person.id, lease_seconds=60)
        submit_review(
            sqlite_engine,
            claim.id,
            person.id,
            preference=preference,
            scores=full_scores_for(sqlite_engine, claim.task_id),
            rationale="disagree",
            disagreement_threshold=3,
        )
    waiting, _ = evaluate(sqlite_engine, None)
    assert isinstance(waiting, SkipReason) and f"{batch.batch_id} 0/1" in waiting.skip_message


def test_a_sign_off_starts_the_run_that_packages(sqlite_engine):
    from factory.signoff.records import revoke_sign_off, sign_off

    batch = build_batch(sqlite_engine, prompts=2)
    enqueue(sqlite_engine, pair_strategy="passing_differ", overlap_fraction=0, gold_rate=0)
    simulate_reviews(sqlite_engine, batch.batch_id, reviewers=1)
    reviewed, _ = evaluate(sqlite_engine, None)  # agreement for the calibrator to read
    (first,) = reviewed.run_requests
    waiting, _ = evaluate(sqlite_engine, reviewed.cursor)
    assert isinstance(waiting, SkipReason)

    (carol,) = add_people(sqlite_engine, "carol", role="senior")
    record = sign_off(sqlite_engine, batch.batch_id, carol.id, "checked agreement and gold")
    signed, _ = evaluate(sqlite_engine, reviewed.cursor)
    (second,) = signed.run_requests
    assert second.run_key == f"{first.run_key}+signoff-{record.id}"
    assert isinstance(evaluate(sqlite_engine, signed.cursor)[0], SkipReason)  # once only

    revoke_sign_off(sqlite_engine, batch.batch_id, carol.id, "a gold answer was wrong")
    revoked, _ = evaluate(sqlite_engine, signed.cursor)
    # Back to the unsigned state, whose run key Dagster has already used: nothing new starts.
    (third,) = revoked.run_requests
    assert third.run_key == first.run_key
