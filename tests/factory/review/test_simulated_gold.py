"""Expert gold in a demonstration: the simulated senior authors it from settled hard pairs, and a
simulated newcomer takes the qualification set through the ordinary queue."""

from review_builders import build_batch, enqueue
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from factory.models import GoldAnswer, GoldItem, Reviewer, ReviewTask
from factory.review.pools import PoolStatus, memberships_of
from factory.review.simulate import simulate_reviews
from factory.review.simulated_gold import NEWCOMER, simulate_expert_gold
from factory.settings import ReviewSettings


def test_gold_is_authored_from_hard_pairs_and_the_newcomer_qualifies_through_the_queue(
    engine: Engine,
) -> None:
    batch = build_batch(engine, prompts=4)
    enqueue(engine, pair_strategy="passing_differ", overlap_fraction=1.0, gold_rate=0)
    simulate_reviews(engine, batch.batch_id, reviewers=2, seed=3)
    settings = ReviewSettings(qualification_items=2)

    counts = simulate_expert_gold(engine, batch.batch_id, seed=3, settings=settings)

    assert counts["gold_authored"] == 2
    assert counts["qualification_answers"] == 2
    with Session(engine) as session:
        items = list(session.exec(select(GoldItem)))
        assert all(item.reason.startswith("[simulated]") and item.preference for item in items)
        tasks = {t.id: t for t in session.exec(select(ReviewTask))}
        assert {tasks[item.task_id].batch_id for item in items} == {batch.batch_id}
        newcomer = session.exec(select(Reviewer).where(Reviewer.username == NEWCOMER)).one()
        assert newcomer.simulated and newcomer.id is not None
        answers = list(
            session.exec(select(GoldAnswer).where(GoldAnswer.reviewer_id == newcomer.id))
        )
        assert len(answers) == 2  # one per item, served by the queue
        statuses = {m.status for m in memberships_of(session, newcomer.id)}
        # all right admits it; fewer leaves it qualifying, waiting to retake.
        expected = PoolStatus.ACTIVE if all(a.correct for a in answers) else PoolStatus.QUALIFYING
        assert statuses == {expected}

    again = simulate_expert_gold(engine, batch.batch_id, seed=3, settings=settings)
    assert again["gold_authored"] == 0  # the hard pairs are gold already
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(GoldItem)).one() == 2
        total = select(func.count()).select_from(GoldAnswer)
        assert session.exec(total.where(col(GoldAnswer.reviewer_id) == newcomer.id)).one() == 2


def test_a_batch_without_review_tasks_makes_no_gold(engine: Engine) -> None:
    assert simulate_expert_gold(engine, "no-such-batch")["gold_authored"] == 0
