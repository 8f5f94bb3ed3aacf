"""Gold and qualification for work beyond pairs: a senior's accepted submission becomes the
known answer; a newcomer in that kind's pool is served it first, graded by the kind's rule,
and qualifies (or not) exactly as in pairwise pools."""

import json

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from test_submit_work import BUG_FIELDS, SETTINGS, claim_kind, submit
from work_builders import GOOD, REGRESSION, build_work_batch, workers

from factory.models import GoldAnswer, PoolMembership, Reviewer, ReviewTask
from factory.review.errors import ReviewError
from factory.review.pools import PoolRules, enrol
from factory.review.queue import claim_next
from factory.sandbox.pool import PooledSandbox
from factory.tasktypes.gold import grade, promote_submission
from factory.tasktypes.submit import submit_work


def _newcomer(engine: Engine, pool: tuple[str, str]) -> int:
    with Session(engine) as session:
        person = Reviewer(username="nova", languages=["python"])
        session.add(person)
        session.flush()
        enrol(session, person.id, [pool])
        session.commit()
        return person.id


def test_ranking_and_review_answers_are_graded_by_their_rules() -> None:
    known = {"ranks": {"1": 1, "2": 2, "3": 3, "4": 4}}
    close = grade("ranking", {"ranks": {"1": 1, "2": 3, "3": 2, "4": 4}}, known, None)
    assert close.correct and close.score == pytest.approx(0.6667, abs=1e-3)
    reversed_ = grade("ranking", {"ranks": {"1": 4, "2": 3, "3": 2, "4": 1}}, known, None)
    assert not reversed_.correct and reversed_.score == pytest.approx(-1.0)
    span = {"start_line": 2, "end_line": 4, "category": "defect"}
    review = {"clean": False, "spans": [span]}
    assert grade(
        "code_review", {"clean": False, "spans": [{**span, "end_line": 3}]}, review, None
    ).correct
    wrong_kind = {"clean": False, "spans": [{**span, "category": "style"}]}
    assert not grade("code_review", wrong_kind, review, None).correct
    assert not grade("code_review", {"clean": True, "spans": []}, review, None).correct
    with pytest.raises(ReviewError, match="needs the sandbox"):
        grade("bug_fix", BUG_FIELDS, BUG_FIELDS, None)


@pytest.mark.docker
def test_a_promoted_bug_fix_qualifies_a_newcomer_who_fixes_it_right(
    sqlite_engine: Engine, docker_sandbox: PooledSandbox
) -> None:
    engine = sqlite_engine
    batch = build_work_batch(engine)
    ann, sage = workers(engine, "ann", "sage")
    with Session(engine) as session:
        senior = session.get(Reviewer, sage.id)
        senior.role = "senior"
        session.add(senior)
        session.commit()
    claim = claim_kind(engine, ann.id, "bug_fix")
    result = submit(engine, claim, ann, BUG_FIELDS, docker_sandbox)
    with Session(engine) as session:
        with pytest.raises(Exception, match="senior or admin"):
            promote_submission(session, result.submission_id, ann.id, "clear fix")
        item = promote_submission(session, result.submission_id, sage.id, "the textbook fix")
        session.commit()
        assert (item.kind, item.task_type, item.preference) == ("bug_fix", "bug_fix", None)
    nova = _newcomer(engine, ("python", "bug_fix"))
    rules = PoolRules(qualification_items=1, pass_mark=1.0)
    gold_claim = claim_next(engine, nova, lease_seconds=600)
    assert gold_claim is not None and gold_claim.gold_item_id == item.id
    assert gold_claim.task_id == batch.tasks["bug_fix"].id
    # A different root cause is graded wrong, though the fix is sound.
    answer = {
        **BUG_FIELDS,
        "cause_category": "wrong_condition",
        "regression_test": REGRESSION.replace("[5]", "[7]").replace("== 5", "== 7"),
    }
    out = submit_work(
        engine,
        gold_claim.id,
        nova,
        answer,
        sandbox=docker_sandbox,
        sandbox_settings=SETTINGS,
        pool_rules=rules,
    )
    assert out.submission_id is None and out.gold_answer_id is not None
    with Session(engine) as session:
        graded = session.get(GoldAnswer, out.gold_answer_id)
        assert graded is not None and not graded.correct
        assert "root cause 'wrong_condition'" in graded.grading
        task = session.get(ReviewTask, batch.tasks["bug_fix"].id)
        assert task is not None and task.review_count == 1  # gold takes no slot
        member = session.exec(
            select(PoolMembership).where(PoolMembership.reviewer_id == nova)
        ).one()
        assert member.status != "active"


@pytest.mark.docker
def test_a_right_answer_to_gold_qualifies(
    sqlite_engine: Engine, docker_sandbox: PooledSandbox
) -> None:
    engine = sqlite_engine
    build_work_batch(engine)
    ann, sage = workers(engine, "ann", "sage")
    with Session(engine) as session:
        senior = session.get(Reviewer, sage.id)
        senior.role = "senior"
        session.add(senior)
        session.commit()
    claim = claim_kind(engine, ann.id, "refactoring")
    steps = [{"code": GOOD, "why": "sum() says it", "move": "replace_algorithm"}]
    done = submit(engine, claim, ann, {"steps": json.dumps(steps)}, docker_sandbox)
    with Session(engine) as session:
        promote_submission(session, done.submission_id, sage.id, "one clean step")
        session.commit()
    nova = _newcomer(engine, ("python", "refactoring"))
    rules = PoolRules(qualification_items=1, pass_mark=1.0)
    gold_claim = claim_next(engine, nova, lease_seconds=600)
    assert gold_claim is not None and gold_claim.gold_item_id is not None
    mine = [
        {
            "code": GOOD.replace("xs", "values"),
            "why": "sum() and a clearer name",
            "move": "replace_algorithm",
        }
    ]
    submit_work(
        engine,
        gold_claim.id,
        nova,
        {"steps": json.dumps(mine)},
        sandbox=docker_sandbox,
        sandbox_settings=SETTINGS,
        pool_rules=rules,
    )
    with Session(engine) as session:
        member = session.exec(
            select(PoolMembership).where(PoolMembership.reviewer_id == nova)
        ).one()
        assert member.status == "active"
