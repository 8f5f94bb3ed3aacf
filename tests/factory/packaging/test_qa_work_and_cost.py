"""The QA report's sections on work beyond pairs and on people's time and its cost equal
hand-counted figures on a database built with annotations and submissions."""

import json

import pytest
from review_data_builder import add_annotation, add_batch, add_candidate, add_prompt, add_reviewer
from review_data_builder import add_task as add_pair_task
from sqlalchemy import Engine
from sqlmodel import Session, select
from work_builders import add_submission, add_work_prompt, add_work_task

from factory.models import Annotation, ReasoningNote, Submission
from factory.packaging.qa_report import build_qa_report
from factory.packaging.release import qa_dict
from factory.settings import AgreementSettings, ReviewSettings
from factory.tasktypes.tariffs import price

BATCH = "batch-qa-work"
AGREEMENT = AgreementSettings(bootstrap_samples=50)
TARIFFS = {"*": {"*": 60.0}, "python": {"bug_fix": 90.0}}
REVIEW = ReviewSettings(tariffs=TARIFFS, currency="EUR")
PASSED = {"check": "the prompt's tests", "verdict": "passed"}


def _build(session: Session) -> None:
    add_batch(session, BATCH, received=5)
    alice, bob = add_reviewer(session, "alice"), add_reviewer(session, "bob")
    # Pairwise: two reviews of a python pair, one of a go pair.
    for n, (language, seconds) in enumerate((("python", (60, 120)), ("go", (30,)))):
        prompt = add_prompt(session, BATCH, f"pair{n}", language=language, line_no=n + 1)
        a, b = add_candidate(session, prompt, model="m1"), add_candidate(session, prompt)
        task = add_pair_task(session, prompt, a, b, required_reviews=len(seconds))
        for person, spent in zip((alice, bob), seconds, strict=False):
            add_annotation(session, task, person, -1).seconds_spent = spent
    # Authoring: one task written twice (tests by alice only), one once.
    prompt = add_work_prompt(session, BATCH, "authoring", tests="", line_no=10)
    first = add_work_task(session, prompt, "authoring", "t1")
    add_submission(
        session,
        first,
        alice,
        {"solution": "s", "tests": "t", "approach": ""},
        verification={"checks": [PASSED, PASSED | {"check": "your tests"}]},
        seconds=600,
    )
    add_submission(
        session,
        first,
        bob,
        {"solution": "s", "tests": "", "approach": ""},
        verification={"checks": [PASSED], "cross": [{"passed": True}, {"passed": False}]},
        seconds=300,
    )
    second = add_work_task(session, prompt, "authoring", "t2", required_reviews=1)
    add_submission(
        session,
        second,
        alice,
        {"solution": "s", "tests": "t", "approach": ""},
        verification={"checks": [PASSED]},
        seconds=900,
    )
    claim_id = session.scalars(
        select(Submission.claim_id).where(Submission.task_id == first.id)
    ).first()
    session.add(
        ReasoningNote(
            claim_id=claim_id, task_id=first.id, reviewer_id=alice.id, seconds_in=5, text="n"
        )
    )
    # Bug fix: two fixers under two rubric versions, each fix passing the other's test.
    prompt = add_work_prompt(session, BATCH, "bug_fix", line_no=11)
    task = add_work_task(session, prompt, "bug_fix", "t1")
    checks = [{"check": "on the buggy code", "verdict": "failed"}, PASSED]
    fix = {"cause_category": "off_by_one", "fixed_code": "f", "regression_test": "r"}
    add_submission(session, task, alice, fix, verification={"checks": checks}, seconds=1200)
    add_submission(
        session,
        task,
        bob,
        fix,
        verification={"checks": checks, "cross": [{"passed": True}, {"passed": True}]},
        seconds=600,
        rubric_version="bug-fix-2",
    )
    # Code review: queued, not answered yet.
    review = add_work_prompt(session, BATCH, "code_review", line_no=12)
    add_work_task(session, review, "code_review", "t1")
    session.commit()


def _report(engine: Engine):
    with Session(engine, expire_on_commit=False) as session:
        _build(session)
        return build_qa_report(
            session, [BATCH], agreement_settings=AGREEMENT, review_settings=REVIEW
        )


def test_time_and_cost_per_language_and_kind_equal_hand_counts(engine: Engine) -> None:
    report = _report(engine)
    rows = {(r.language, r.kind): r for r in report.time_cost}
    assert list(rows) == [
        ("go", "pairwise"),
        ("python", "pairwise"),
        ("python", "bug_fix"),
        ("python", "authoring"),
    ]
    expected = {
        # (items, answers, median s, total s, cost): 60/h everywhere, 90/h for python bug fixes.
        ("go", "pairwise"): (1, 1, 30, 30, 0.5),
        ("python", "pairwise"): (1, 2, 90, 180, 3.0),
        ("python", "bug_fix"): (1, 2, 900, 1800, 45.0),
        ("python", "authoring"): (2, 3, 600, 1800, 30.0),
    }
    for key, (items, answers, median, total, cost) in expected.items():
        row = rows[key]
        assert (row.items, row.answers) == (items, answers)
        assert row.median_seconds == pytest.approx(median)
        assert row.total_seconds == pytest.approx(total)
        assert row.cost == pytest.approx(cost) == price(TARIFFS, *key, total)
        assert row.cost_per_item == pytest.approx(cost / items)
    total = report.time_total
    assert (total.items, total.answers, total.total_seconds) == (5, 8, 3810)
    assert total.median_seconds == pytest.approx(450)  # (300 + 600) / 2
    assert total.cost == pytest.approx(78.5) and total.cost_per_item == pytest.approx(15.7)
    text = report.to_markdown()
    section = text.split("## Time and cost")[1].split("\n## ")[0]
    assert "| language | kind | items | answers | median s | total s | cost (EUR) |" in section
    assert "| python | bug_fix | 1 | 2 | 900 | 1800 | 45.00 | 45.00 |" in section
    assert "| python | authoring | 2 | 3 | 600 | 1800 | 30.00 | 15.00 |" in section
    assert "| **all** | **all** | 5 | 8 | 450 | 3810 | 78.50 | 15.70 |" in section


def test_time_counts_every_answer_in_the_database(engine: Engine) -> None:
    report = _report(engine)
    with Session(engine) as session:
        seconds = sum(session.scalars(select(Annotation.seconds_spent)).all())
        seconds += sum(session.scalars(select(Submission.seconds_spent)).all())
    assert report.time_total.total_seconds == pytest.approx(seconds)


def test_a_section_per_kind_with_checks_cross_checks_and_rubrics(engine: Engine) -> None:
    report = _report(engine)
    sections = {s.kind: s for s in report.work}
    assert list(sections) == ["code_review", "bug_fix", "authoring"]  # vocab order
    authoring = sections["authoring"]
    assert (authoring.tasks, authoring.items, authoring.overlapped) == (2, 2, 1)
    assert authoring.submissions == 3 and authoring.checks == {"passed": 4}
    assert (authoring.cross_checks, authoring.cross_passed) == (2, 1)
    assert authoring.rubric_versions == {"authoring-1": 3}
    assert authoring.counts == {"authored_solutions": 3, "tests_written": 2, "reasoning_notes": 1}
    fixes = sections["bug_fix"]
    assert fixes.checks == {"failed": 2, "passed": 2} and fixes.cross_pass_rate == 1.0
    assert fixes.rubric_versions == {"bug-fix-1": 1, "bug-fix-2": 1}
    review = sections["code_review"]
    assert (review.tasks, review.items, review.submissions) == (1, 0, 0)
    funnel = [(step.stage, step.count) for step in report.funnel]
    assert funnel[-5:] == [
        ("work queued", 4),
        ("work answered", 5),
        ("authored", 3),
        ("tests written", 2),
        ("packaged", None),
    ]


def test_work_sections_render_with_their_agreement_figures(engine: Engine) -> None:
    report = _report(engine)
    data = json.loads(json.dumps(qa_dict(report)))
    authoring = data["work"]["authoring"]
    assert authoring["cross_checks"] == {"made": 2, "passed": 1, "rate": 0.5}
    assert authoring["tests_written"] == 2
    (cross,) = [f for f in authoring["agreement"] if f["language"] == "*"]
    # One task cross-checked is under agreement.min_items_per_cell: reported, not gated.
    assert (cross["metric"], cross["n_items"], cross["value"], cross["gated"]) == (
        "cross_pass_rate",
        1,
        None,
        False,
    )
    assert data["time_and_cost"]["currency"] == "EUR"
    assert data["time_and_cost"]["total"]["cost"] == pytest.approx(78.5)
    text = report.to_markdown()
    authoring_text = text.split("## Work beyond pairs: Authoring")[1].split("\n## ")[0]
    assert "Tasks queued: 2; answered: 2 (1 by two or more people); submissions: 3." in (
        authoring_text
    )
    assert "Rubric versions: authoring-1 (3)." in authoring_text
    assert "Cross-checks (one person's code against another's tests): 1 of 2 passed" in (
        authoring_text
    )
    assert "| authoring | cross_pass_rate | * | 1 | 2 | n/a (n < 5) |" in authoring_text
    assert "## Work beyond pairs: Bug fix" in text and "## Work beyond pairs: Code review" in text
    assert "0 failing work figure(s)" in report.summary_markdown()


def test_pairwise_only_batches_keep_their_report(engine: Engine) -> None:
    with Session(engine) as session:
        add_batch(session, "pairs")
        prompt = add_prompt(session, "pairs", "p0")
        task = add_pair_task(
            session,
            prompt,
            add_candidate(session, prompt),
            add_candidate(session, prompt, model="b"),
        )
        add_annotation(session, task, add_reviewer(session, "ann"), 2)
        session.commit()
        report = build_qa_report(
            session, ["pairs"], agreement_settings=AGREEMENT, review_settings=REVIEW
        )
    assert report.work == [] and report.agreement.work == []
    assert "work queued" not in [step.stage for step in report.funnel]
    assert "## Work beyond pairs" not in report.to_markdown()
    assert "failing work figure" not in report.summary_markdown()
    assert [(r.kind, r.items, r.answers) for r in report.time_cost] == [("pairwise", 1, 1)]
