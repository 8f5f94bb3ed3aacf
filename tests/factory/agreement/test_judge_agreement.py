"""Judge-versus-reviewer agreement per dimension (factory.agreement.judge), and the QA report and
data card sections it and the batch sign-off feed. On SQLite and PostgreSQL."""

import pytest
from review_data_builder import (
    add_annotation,
    add_batch,
    add_candidate,
    add_prompt,
    add_reviewer,
    add_task,
)
from sqlalchemy import Engine
from sqlmodel import Session, select

from factory.agreement.judge import judge_agreement, weighted_kappa
from factory.models import JudgeScore, Reviewer
from factory.packaging.datacard import render_data_card
from factory.packaging.licences import release_licence
from factory.packaging.qa_report import build_qa_report
from factory.packaging.records import PromptInfo
from factory.settings import AgreementSettings, ReviewSettings
from factory.signoff.records import sign_off
from factory.signoff.simulated import simulated_sign_off

BATCH = "batch-judge"
# Reviewer scores of A and B on every dimension, and the judge's of A and B on correctness.
HUMAN = {"ann": (4, 2), "bob": (5, 2)}
JUDGE_CORRECTNESS = (4, 3)


def build(engine: Engine) -> None:
    """One task reviewed by two people; the judge scored both candidates on correctness only."""
    with Session(engine) as session:
        add_batch(session, BATCH)
        prompt = add_prompt(session, BATCH, "j0")
        a = add_candidate(session, prompt, model="m1")
        b = add_candidate(session, prompt, model="m2", sample_index=1)
        task = add_task(session, prompt, a, b, required_reviews=2)
        for name, scores in HUMAN.items():
            add_annotation(session, task, add_reviewer(session, name), -1, scores=scores)
        for candidate, score in zip((a, b), JUDGE_CORRECTNESS, strict=True):
            session.add(
                JudgeScore(
                    candidate_id=candidate.id,
                    judge_model="judge-x",
                    dimension="correctness",
                    score=score,
                    rationale="r",
                )
            )
        senior = Reviewer(username="sam", role="senior", languages=["python"])
        session.add(senior)
        session.commit()


def test_figures_per_dimension(engine: Engine) -> None:
    build(engine)
    with Session(engine) as session:
        result = judge_agreement(session, [BATCH])
        assert judge_agreement(session, ["other-batch"]).rows == []
    (row,) = result.rows  # only correctness was judged
    # Pairs (judge, reviewer): A (4,4) (4,5); B (3,2) (3,2).
    assert (row.judge_model, row.dimension, row.pairs, row.candidates) == (
        "judge-x",
        "correctness",
        4,
        2,
    )
    assert row.exact == pytest.approx(0.25) and row.within_one == pytest.approx(1.0)
    assert row.mean_abs_diff == pytest.approx(0.75)
    assert row.mean_bias == pytest.approx((0 - 1 + 1 + 1) / 4)
    assert row.kappa == pytest.approx(weighted_kappa([4, 4, 3, 3], [4, 5, 2, 2]))
    assert result.to_dict()["judge_models"] == ["judge-x"]
    assert "| judge-x | correctness | 4 | 2 | 0.25 | 1.00 | 0.75 | +0.25 |" in result.markdown()


def test_weighted_kappa_is_none_when_undefined() -> None:
    assert weighted_kappa([], []) is None
    assert weighted_kappa([3, 3], [3, 3]) is None


def test_qa_report_and_data_card_show_the_sign_off_and_the_judge(engine: Engine) -> None:
    build(engine)
    with Session(engine) as session:
        senior_id = session.exec(select(Reviewer.id).where(Reviewer.username == "sam")).one()
    settings = {
        "agreement_settings": AgreementSettings(bootstrap_samples=20),
        "review_settings": ReviewSettings(),
    }
    with Session(engine) as session:
        unsigned = build_qa_report(session, [BATCH], **settings)
    assert f"Batch {BATCH}: **not signed off**" in unsigned.to_markdown()
    assert unsigned.to_dict()["sign_off"] == {BATCH: None}

    record = sign_off(engine, BATCH, senior_id, "agreement checked")
    with Session(engine) as session:
        qa = build_qa_report(session, [BATCH], **settings)
    markdown = qa.to_markdown()
    assert "## Sign-off" in markdown and record.sentence() in markdown
    assert "Note: agreement checked" in markdown
    signed = qa.to_dict()["sign_off"][BATCH]
    assert (signed["signed_by"], signed["simulated"]) == ("sam", False)
    assert signed["signed_at"] == record.signed_at.isoformat(timespec="seconds")
    assert "## LLM judge versus reviewers" in markdown
    assert qa.to_dict()["judge_agreement"]["by_dimension"][0]["pairs"] == 4

    prompt = PromptInfo(
        1, "j0", BATCH, "python", "code_generation", "Write f.", "", "f",
        "check", "def f(): ...", "MIT", "internal",
    )  # fmt: skip
    card = render_data_card(
        repo_name="acme/code-rlhf",
        version="0.1.0",
        configs={"dpo": {"train": ["dpo/train-00000.parquet"]}},
        num_rows=1,
        languages=["python"],
        task_types=["code_generation"],
        licence=release_licence([prompt]),
        qa=qa,
        simulated=False,
    )
    assert f"Batch {BATCH} signed off by sam on {record.signed_at:%Y-%m-%d %H:%M} UTC" in card


def test_a_simulated_sign_off_is_marked_in_the_report(engine: Engine) -> None:
    build(engine)
    simulated_sign_off(engine, BATCH)
    with Session(engine) as session:
        qa = build_qa_report(
            session,
            [BATCH],
            agreement_settings=AgreementSettings(bootstrap_samples=20),
            review_settings=ReviewSettings(),
        )
    assert "**SIMULATED** (a simulated calibrator, not a person)" in qa.to_markdown()
    assert qa.to_dict()["sign_off"][BATCH]["simulated"] is True
