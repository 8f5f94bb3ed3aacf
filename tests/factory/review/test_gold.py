"""Expert gold on SQLite and PostgreSQL: seniors write answers on finished hard pairs with a
reason (recorded with who and when), a second senior confirms, anyone unfit is refused, and the
proposed list puts the senior's own adjudications first. Attention checks stay apart."""

from datetime import UTC, datetime

import pytest
from gold_builders import add_gold, answer, finished_hard_pairs
from review_builders import add_people, build_batch, enqueue
from sqlmodel import Session, col, select

from factory.models import Adjudication, GoldItem, ReviewTask
from factory.review.errors import NotYoursError, ReviewError
from factory.review.gold import (
    author_gold,
    confirm_gold,
    expert_gold_figures,
    gold_catalogue,
    proposed_hard_pairs,
    retire_gold,
)
from factory.review.queue import claim_next
from factory.settings import ReviewSettings

WHEN = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def test_a_senior_writes_gold_with_a_reason_and_a_second_senior_confirms(engine):
    tasks = finished_hard_pairs(engine, prompts=1)
    (sage, other) = add_people(engine, "sage", "other", role="senior")
    item = author_gold(
        engine, tasks[0], sage.id, preference=-2, reason="  A checks the bounds  ", now=WHEN
    )
    assert (item.preference, item.reason, item.authored_by) == (-2, "A checks the bounds", sage.id)
    assert item.authored_at.replace(tzinfo=UTC) == WHEN and item.source == "proposed"
    assert (item.language, item.task_type) == ("python", "code_generation")
    with pytest.raises(NotYoursError, match="you wrote it"):
        confirm_gold(engine, item.id, sage.id)
    confirmed = confirm_gold(engine, item.id, other.id, note="agree", now=WHEN)
    assert (confirmed.confirmed_by, confirmed.confirm_note) == (other.id, "agree")
    with pytest.raises(ReviewError, match="already confirmed"):
        confirm_gold(engine, item.id, other.id)
    with Session(engine) as session:
        (row,) = gold_catalogue(session)
    assert (row.author, row.confirmer) == ("sage", "other")


@pytest.mark.parametrize(
    ("preference", "reason", "message"),
    [(0, "why", "not a tie"), (4, "why", "outside"), (2, "   ", "written reason")],
)
def test_a_gold_answer_needs_a_side_and_a_reason(engine, preference, reason, message):
    tasks = finished_hard_pairs(engine, prompts=1)
    (sage,) = add_people(engine, "sage", role="senior")
    with pytest.raises(ReviewError, match=message):
        author_gold(engine, tasks[0], sage.id, preference=preference, reason=reason)


def test_only_seniors_write_gold_and_only_on_finished_hard_pairs(engine):
    tasks = finished_hard_pairs(engine, prompts=2)
    (plain,) = add_people(engine, "plain")
    (sage,) = add_people(engine, "sage", role="senior")
    with pytest.raises(NotYoursError, match="senior or admin"):
        author_gold(engine, tasks[0], plain.id, preference=2, reason="r")
    author_gold(engine, tasks[0], sage.id, preference=2, reason="r")
    with pytest.raises(ReviewError, match="already gold item"):
        author_gold(engine, tasks[0], sage.id, preference=2, reason="r")
    with pytest.raises(ReviewError, match="does not exist"):
        author_gold(engine, 999_999, sage.id, preference=2, reason="r")
    # A pass-versus-fail pair: the test badge gives its answer away.
    build_batch(engine, prompts=1, batch_id="contrast")
    enqueue(engine, "contrast", pair_strategy="pass_vs_fail", overlap_fraction=0, gold_rate=0)
    with Session(engine) as session:
        open_task, *_ = session.scalars(
            select(ReviewTask).where(col(ReviewTask.batch_id) == "contrast")
        )
        open_task.status = "complete"
        session.add(open_task)
        session.commit()
        contrast_id = open_task.id
    with pytest.raises(ReviewError, match="fails its tests"):
        author_gold(engine, contrast_id, sage.id, preference=2, reason="r")
    with Session(engine) as session:
        task = session.get(ReviewTask, tasks[1])
        task.status = "open"
        session.add(task)
        session.commit()
    with pytest.raises(ReviewError, match="is open"):
        author_gold(engine, tasks[1], sage.id, preference=2, reason="r")


def test_the_proposed_list_offers_own_adjudications_first_and_drops_gold(engine):
    tasks = finished_hard_pairs(engine, prompts=3)
    (sage,) = add_people(engine, "sage", role="senior")
    with Session(engine) as session:
        task = session.get(ReviewTask, tasks[2])
        task.status = "adjudicated"
        session.add(task)
        session.add(
            Adjudication(task_id=tasks[2], reviewer_id=sage.id, preference=3, rationale="x")
        )
        session.commit()
    with Session(engine) as session:
        proposed = proposed_hard_pairs(session, sage.id)
    assert [p.task_id for p in proposed][0] == tasks[2]
    assert proposed[0].adjudicated_by_you and proposed[0].adjudicated == 3
    assert sorted(p.task_id for p in proposed) == sorted(tasks)
    item = author_gold(engine, tasks[2], sage.id, preference=3, reason="as adjudicated")
    assert item.source == "adjudication"
    with Session(engine) as session:
        assert tasks[2] not in [p.task_id for p in proposed_hard_pairs(session, sage.id)]


def test_a_retired_item_keeps_its_record_and_needs_a_reason(engine):
    tasks = finished_hard_pairs(engine, prompts=1)
    sage_id, (gold_id,) = add_gold(engine, tasks)
    with pytest.raises(ReviewError, match="written reason"):
        retire_gold(engine, gold_id, sage_id, reason=" ")
    retire_gold(engine, gold_id, sage_id, reason="the tests were wrong")
    with Session(engine) as session:
        item = session.get(GoldItem, gold_id)
    assert item.retired_at is not None and item.retire_reason == "the tests were wrong"
    with pytest.raises(ReviewError, match="was retired"):
        confirm_gold(engine, gold_id, sage_id)


def test_attention_checks_are_off_by_default():
    assert ReviewSettings().gold_rate == 0.0


def test_the_qa_figures_count_expert_gold_per_reviewer_of_the_batch(engine):
    tasks = finished_hard_pairs(engine, prompts=2)
    add_gold(engine, tasks, preference=2)
    (ada,) = add_people(engine, "ada")
    build_batch(engine, prompts=1, batch_id="labelled")
    enqueue(engine, "labelled", pair_strategy="passing_differ", overlap_fraction=0, gold_rate=0)
    for preference in (2, -1):  # one right, one wrong
        answer(
            engine,
            claim_next(engine, ada.id, lease_seconds=60, expert_gold_rate=1.0),
            ada.id,
            preference,
        )
    answer(engine, claim_next(engine, ada.id, lease_seconds=60), ada.id, 1)  # ordinary work
    with Session(engine) as session:
        figures = expert_gold_figures(session, ["labelled"])
    assert figures.items == 2
    assert [(name, s.answered, s.correct) for name, s in figures.reviewers] == [("ada", 2, 1)]
    assert "| ada | 2 | 1 | 0.50 |" in figures.markdown()
