"""Pools on SQLite and PostgreSQL: claims serve only pools where a reviewer is active; a new
reviewer is served only qualification gold until they pass (or an admin qualifies them), a
failed attempt waits before the next; rolling gold accuracy suspends, re-qualifying or an admin
restores; gold claims take no task slot; every decision is recorded."""

from datetime import timedelta

import pytest
from gold_builders import RULES, add_gold, answer, finished_hard_pairs
from review_builders import add_people, build_batch, enqueue
from sqlmodel import Session, col, select

from factory.models import (
    Annotation,
    GoldAnswer,
    PoolEvent,
    PoolMembership,
    Reviewer,
    ReviewTask,
    TaskClaim,
)
from factory.models._base import utcnow
from factory.review.pools import PoolError, admit, admit_simulated, enrol
from factory.review.queue import claim_next, expire_stale_claims, skip_claim

LEASE = 600
POOL = ("python", "code_generation")


def newcomer(engine, name: str = "nova", pools=(POOL,)) -> int:
    with Session(engine) as session:
        person = Reviewer(username=name, languages=["python"])
        session.add(person)
        session.flush()
        enrol(session, person.id, list(pools))
        session.commit()
        return person.id


def member(engine, reviewer_id: int, pool=POOL) -> PoolMembership:
    with Session(engine) as session:
        return session.exec(
            select(PoolMembership).where(
                PoolMembership.reviewer_id == reviewer_id,
                PoolMembership.language == pool[0],
                PoolMembership.task_type == pool[1],
            )
        ).one()


def events(engine, reviewer_id: int) -> list[str]:
    with Session(engine) as session:
        return list(
            session.scalars(
                select(col(PoolEvent.event))
                .join(PoolMembership, col(PoolMembership.id) == PoolEvent.membership_id)
                .where(col(PoolMembership.reviewer_id) == reviewer_id)
                .order_by(col(PoolEvent.id))
            )
        )


def claim(engine, reviewer_id: int, **kwargs):  # type: ignore[no-untyped-def]
    return claim_next(engine, reviewer_id, lease_seconds=LEASE, **kwargs)


def gold_setup(engine, items: int = 4) -> tuple[list[int], list[int]]:
    """`items` gold items (answer: B better) and one more open batch of ordinary work."""
    tasks = finished_hard_pairs(engine, prompts=items)
    _, gold_ids = add_gold(engine, tasks, preference=2)
    build_batch(engine, prompts=2, batch_id="fresh")
    enqueue(engine, "fresh", pair_strategy="passing_differ", overlap_fraction=0, gold_rate=0)
    return tasks, gold_ids


def test_a_newcomer_is_served_only_qualification_gold_then_joins_the_pool(engine):
    tasks, gold_ids = gold_setup(engine)
    nova = newcomer(engine)
    served = []
    for _ in range(RULES.qualification_items):
        got = claim(engine, nova)
        assert got.gold_item_id in gold_ids and got.task_id in tasks  # never ordinary work
        served.append(got.gold_item_id)
        assert member(engine, nova).status == "qualifying"
        answer(engine, got, nova, 3)  # B, as the gold says
    assert len(set(served)) == RULES.qualification_items
    assert member(engine, nova).status == "active"
    assert events(engine, nova) == ["enrolled", "qualified"]
    ordinary = claim(engine, nova)
    assert ordinary.gold_item_id is None and ordinary.task_id not in tasks
    with Session(engine) as session:
        answers = session.exec(select(GoldAnswer).where(GoldAnswer.reviewer_id == nova)).all()
        assert {(a.purpose, a.attempt, a.correct) for a in answers} == {("qualification", 1, True)}
        # Gold answers are never annotations, and they took no review slot of their task.
        assert not session.exec(select(Annotation).where(Annotation.reviewer_id == nova)).all()
        for task_id in tasks:
            task = session.get(ReviewTask, task_id)
            assert (task.review_count, task.active_claims, task.status) == (1, 0, "complete")


def test_a_failed_attempt_is_recorded_and_the_retake_waits(engine):
    _, gold_ids = gold_setup(engine)
    nova = newcomer(engine)
    for preference in (3, -1):  # one right, one wrong: below the 100% pass mark
        answer(engine, claim(engine, nova), nova, preference)
    failed = member(engine, nova)
    assert (failed.status, failed.attempt) == ("qualifying", 2)
    assert events(engine, nova) == ["enrolled", "failed_qualification"]
    with Session(engine) as session:
        detail = session.scalars(select(PoolEvent).order_by(col(PoolEvent.id).desc())).first()
        assert (detail.answered, detail.correct) == (2, 1) and "1/2 correct" in detail.detail
    assert claim(engine, nova) is None  # nothing at all until the wait is over
    later = utcnow() + timedelta(hours=RULES.retake_hours, minutes=1)
    retake = claim(engine, nova, now=later)
    assert retake is not None and retake.gold_item_id in gold_ids
    answer(engine, retake, nova, 2)
    answer(engine, claim(engine, nova, now=later), nova, 1)
    assert member(engine, nova).status == "active"
    assert events(engine, nova)[-1] == "qualified"


def test_an_admin_qualifies_without_the_gold_set_and_others_may_not(engine):
    nova = newcomer(engine)
    (admin_person,) = add_people(engine, "root", role="admin")
    (senior,) = add_people(engine, "sage", role="senior")
    with Session(engine) as session:
        with pytest.raises(PoolError, match="only an admin"):
            admit(session, nova, *POOL, reason="trusted", actor_id=senior.id)
        with pytest.raises(PoolError, match="written reason"):
            admit(session, nova, *POOL, reason=" ", actor_id=admin_person.id)
        with pytest.raises(PoolError, match="not a pool type"):
            admit(session, nova, "python", "poetry", reason="x", actor_id=admin_person.id)
        admit(session, nova, *POOL, reason="ten years of Python", actor_id=admin_person.id)
        session.commit()
        event = session.scalars(select(PoolEvent).order_by(col(PoolEvent.id).desc())).first()
    assert member(engine, nova).status == "active"
    assert (event.event, event.actor_id, event.detail) == (
        "admin_qualified",
        admin_person.id,
        "ten years of Python",
    )


def test_falling_rolling_accuracy_suspends_and_an_admin_restores(engine):
    tasks, gold_ids = gold_setup(engine, items=6)
    (ada,) = add_people(engine, "ada")  # active in every python pool
    for _ in range(RULES.min_answers):
        got = claim(engine, ada.id, expert_gold_rate=1.0)
        assert got.gold_item_id in gold_ids
        answer(engine, got, ada.id, -2)  # always A: wrong
    suspended = member(engine, ada.id)
    assert suspended.status == "suspended" and events(engine, ada.id)[-1] == "suspended"
    with Session(engine) as session:
        last = session.scalars(select(PoolEvent).order_by(col(PoolEvent.id).desc())).first()
        assert (last.answered, last.correct) == (3, 0) and "below 70%" in last.detail
    # Suspended: no ordinary work of that pool, even long after.
    assert claim(engine, ada.id) is None
    (root,) = add_people(engine, "root", role="admin")
    with Session(engine) as session:
        admit(session, ada.id, *POOL, reason="gold item 2 was disputed", actor_id=root.id)
        session.commit()
    assert member(engine, ada.id).status == "active" and events(engine, ada.id)[-1] == "restored"
    assert claim(engine, ada.id).gold_item_id is None  # ordinary work again


def test_a_suspended_reviewer_requalifies_on_unseen_gold(engine):
    _, gold_ids = gold_setup(engine, items=6)
    (ada,) = add_people(engine, "ada")
    for _ in range(RULES.min_answers):
        answer(engine, claim(engine, ada.id, expert_gold_rate=1.0), ada.id, -2)
    later = utcnow() + timedelta(hours=RULES.retake_hours, minutes=1)
    seen = set()
    for _ in range(RULES.qualification_items):
        got = claim(engine, ada.id, now=later)
        assert got.gold_item_id in gold_ids and got.gold_item_id not in seen
        seen.add(got.gold_item_id)
        answer(engine, got, ada.id, 2)
    assert member(engine, ada.id).status == "active"
    assert events(engine, ada.id)[-2:] == ["suspended", "qualified"]


def test_claims_serve_only_pools_where_the_reviewer_is_active(engine):
    build_batch(engine, prompts=1, batch_id="gen", task_type="code_generation")
    build_batch(engine, prompts=1, batch_id="pref", task_type="pairwise_preference")
    for batch in ("gen", "pref"):
        enqueue(engine, batch, pair_strategy="passing_differ", overlap_fraction=0, gold_rate=0)
    with Session(engine) as session:
        fixer = Reviewer(username="fixer", languages=["python"])
        session.add(fixer)
        session.flush()
        admit(session, fixer.id, "python", "pairwise_preference", reason="judges pairs")
        enrol(session, fixer.id, [POOL])  # qualifying here, with no gold to qualify on
        session.commit()
        fixer_id = fixer.id
    got = claim(engine, fixer_id)
    with Session(engine) as session:
        assert session.get(ReviewTask, got.task_id).task_type == "pairwise_preference"
    answer(engine, got, fixer_id, 1)
    assert claim(engine, fixer_id) is None  # the code_generation task is not theirs


def test_gold_is_never_served_to_its_author_or_to_a_reviewer_of_the_pair(engine):
    tasks = finished_hard_pairs(engine, prompts=1, seeder="seen")
    sage_id, _ = add_gold(engine, tasks)
    with Session(engine) as session:
        seeder_id = session.exec(
            select(Reviewer.id).where(Reviewer.username == "seen-batch-gold")
        ).one()
        sage_pool = session.get(PoolMembership, member(engine, sage_id).id)
        sage_pool.status = "qualifying"  # the author would be served gold, if any were theirs
        session.add(sage_pool)
        session.commit()
    assert claim(engine, sage_id) is None
    assert claim(engine, seeder_id, expert_gold_rate=1.0) is None  # reviewed that very pair
    assert claim(engine, newcomer(engine)).gold_item_id is not None  # anyone else gets it


def test_unconfirmed_gold_waits_when_confirmation_is_required(engine):
    tasks = finished_hard_pairs(engine, prompts=1)
    add_gold(engine, tasks)
    nova = newcomer(engine)
    assert claim(engine, nova, gold_needs_confirmation=True) is None
    assert claim(engine, nova).gold_item_id is not None


def test_a_gold_claim_expires_or_is_skipped_without_touching_its_task(engine):
    tasks, _ = gold_setup(engine)
    nova = newcomer(engine)
    first = claim(engine, nova)
    assert expire_stale_claims(engine, now=utcnow() + timedelta(seconds=LEASE + 1)) == 1
    second = claim(engine, nova)
    assert second.gold_item_id != first.gold_item_id
    skip_claim(engine, second.id, nova, reason="Outside my expertise")
    with Session(engine) as session:
        for task_id in tasks:
            task = session.get(ReviewTask, task_id)
            assert (task.review_count, task.active_claims) == (1, 0)
        statuses = session.scalars(
            select(col(TaskClaim.status)).where(col(TaskClaim.reviewer_id) == nova)
        ).all()
    assert sorted(statuses) == ["expired", "skipped"]


def test_simulated_reviewers_are_admitted_and_marked(engine):
    with Session(engine) as session:
        person = Reviewer(username="sim-99", languages=["python"], simulated=True)
        real = Reviewer(username="real", languages=["python"])
        session.add_all([person, real])
        session.flush()
        (row,) = admit_simulated(session, person.id, [POOL])
        assert (row.status, row.simulated) == ("active", True)
        with pytest.raises(PoolError, match="is a person"):
            admit_simulated(session, real.id, [POOL])
        session.commit()
        person_id = person.id
    assert events(engine, person_id) == ["enrolled", "simulated"]
