"""The QA report's figures equal direct queries on the database they were read from."""

import json

import pytest
from review_data_builder import (
    add_annotation,
    add_batch,
    add_candidate,
    add_prompt,
    add_reviewer,
    add_task,
    sha,
)
from sqlalchemy import Engine, distinct, func, select
from sqlmodel import Session

from factory.models import (
    Annotation,
    Batch,
    Candidate,
    DuplicateRecord,
    ExecutionRun,
    Finding,
    GenerationFailure,
    PreferencePair,
    Prompt,
    QuarantinedRecord,
)
from factory.packaging.qa_report import ReplaySource, build_qa_report
from factory.settings import AgreementSettings

BATCH = "batch-qa"
OTHER = "batch-other"
SETTINGS = AgreementSettings(bootstrap_samples=50)


def _build(session: Session) -> None:
    """A batch with every kind of drop-out, plus an unrelated batch the report must ignore."""
    add_batch(session, BATCH, received=7, accepted=4, quarantined=1, duplicates=1)
    session.add(
        QuarantinedRecord(
            batch_id=BATCH, line_no=6, reason_code="malformed_json", reason="bad", raw_text="{"
        )
    )
    kept = [add_prompt(session, BATCH, f"p{i}", line_no=i + 1) for i in range(2)]
    add_prompt(session, BATCH, "dirty", contaminated=True, line_no=3)
    add_prompt(session, BATCH, "broken", gradable=False, stable=None, line_no=4)
    session.add(
        DuplicateRecord(
            batch_id=BATCH,
            line_no=7,
            external_id="p0-again",
            kind="exact",
            similarity=1.0,
            duplicate_of_prompt_id=kept[0].id,
            raw_text="{}",
        )
    )
    alice, bob = add_reviewer(session, "alice"), add_reviewer(session, "bob")
    for prompt in kept:
        good = add_candidate(session, prompt, model="m-good", cost_usd=0.01)
        bad = add_candidate(session, prompt, model="m-bad", verdict="failed", cwe_id=78)
        add_candidate(session, prompt, model="m-bad", sample_index=1, verdict="timeout")
        add_candidate(session, prompt, source="reference", code=prompt.reference_solution)
        if prompt is kept[0]:  # read from a replay file: counted apart from generated ones
            add_candidate(session, prompt, model="demo-x", source="replay", verdict="failed")
        task = add_task(session, prompt, good, bad, required_reviews=2)
        add_annotation(session, task, alice, -2, scores=(5, 2))
        add_annotation(session, task, bob, -3, scores=(5, 1))
        session.add(
            PreferencePair(
                task_id=task.id,
                prompt_id=prompt.id,
                chosen_candidate_id=good.id,
                rejected_candidate_id=bad.id,
                strength=2.5,
                label_source="annotations",
            )
        )
    session.add(
        GenerationFailure(
            prompt_id=kept[0].id,
            batch_id=BATCH,
            model="m-bad",
            request_sha256=sha("r"),
            error_type="Timeout",
        )
    )
    # The stability re-run of a candidate: a second attempt, not a second candidate outcome.
    first = session.scalars(select(ExecutionRun).where(ExecutionRun.batch_id == BATCH)).first()
    session.add(
        ExecutionRun(
            candidate_id=first.candidate_id,
            prompt_id=first.prompt_id,
            batch_id=BATCH,
            cache_key=sha("rerun"),
            attempt=2,
            backend="unsafe-local",
            verdict="passed",
        )
    )
    add_batch(session, OTHER, received=3)
    other = add_prompt(session, OTHER, "o0")
    add_candidate(session, other, model="m-other", verdict="error", cwe_id=89)
    session.commit()


def test_figures_match_direct_queries(engine: Engine) -> None:
    with Session(engine) as session:
        _build(session)
        report = build_qa_report(
            session,
            [BATCH],
            packaged={"dpo": {"train": 1, "test": 1}, "rlvr": {"train": 2}},
            agreement_settings=SETTINGS,
        )

        def count(query) -> int:  # noqa: ANN001
            return int(session.scalar(query) or 0)

        prompts = select(func.count(Prompt.id)).where(Prompt.batch_id == BATCH)
        non_ref = (Candidate.batch_id == BATCH) & (Candidate.source != "reference")
        generated = (Candidate.batch_id == BATCH) & (Candidate.source == "generated")
        replayed = (Candidate.batch_id == BATCH) & (Candidate.source == "replay")
        expected = {
            "received": count(select(Batch.received).where(Batch.id == BATCH)),
            "accepted": count(prompts),
            "gradable": count(prompts.where(Prompt.gradable.is_(True))),
            "stable": count(prompts.where(Prompt.gradable.is_(True), Prompt.stable.is_(True))),
            "generated": count(select(func.count(Candidate.id)).where(generated)),
            "replayed": count(select(func.count(Candidate.id)).where(replayed)),
            "executed": count(
                select(func.count(distinct(ExecutionRun.candidate_id)))
                .join(Candidate, Candidate.id == ExecutionRun.candidate_id)
                .where(non_ref)
            ),
            "reviewed": count(
                select(func.count(distinct(Annotation.task_id))).where(
                    Annotation.task_id.in_(select(PreferencePair.task_id))
                )
            ),
            "agreed": count(select(func.count(PreferencePair.id))),
            "packaged": 4,
        }
        verdicts = dict(
            session.execute(
                select(ExecutionRun.verdict, func.count())
                .join(Candidate, Candidate.id == ExecutionRun.candidate_id)
                .where(non_ref, ExecutionRun.attempt == 1)
                .group_by(ExecutionRun.verdict)
            ).all()
        )
        cwes = dict(
            session.execute(
                select(Finding.cwe_id, func.count())
                .join(Candidate, Candidate.id == Finding.candidate_id)
                .where(Candidate.batch_id == BATCH, Finding.cwe_id.is_not(None))
                .group_by(Finding.cwe_id)
            ).all()
        )

    assert {step.stage: step.count for step in report.funnel} == expected
    # The same figures by hand, so a query mistake shared by both sides cannot hide.
    assert expected == {
        "received": 7,
        "accepted": 4,
        "gradable": 3,
        "stable": 3,
        "generated": 6,
        "replayed": 1,
        "executed": 7,
        "reviewed": 2,
        "agreed": 2,
        "packaged": 4,
    }
    assert report.verdicts == verdicts == {"passed": 2, "failed": 3, "timeout": 2}
    assert report.cwe_findings == cwes == {78: 2}
    assert report.dropped == {"quarantined": 1, "duplicates": 1}
    assert report.contaminated_prompts == 1
    assert report.contamination == {"humaneval": 1}
    by_model = {m.model: m for m in report.models}
    assert set(by_model) == {"m-good", "m-bad"}  # the replayed label is not a generation model
    assert report.replayed == [ReplaySource("demo-x", 1, 1)]
    assert by_model["m-good"].cost_usd == pytest.approx(0.02)
    assert by_model["m-bad"].candidates == 4
    assert by_model["m-bad"].prompt_tokens == 400
    assert by_model["m-bad"].failures == 1
    assert report.task_statuses == {"complete": 2}


def test_agreement_section_comes_from_the_agreement_report(engine: Engine) -> None:
    with Session(engine) as session:
        _build(session)
        report = build_qa_report(session, [BATCH], agreement_settings=SETTINGS)
    preference_cells = [c for c in report.agreement.cells if c.dimension == "preference"]
    assert preference_cells and all(c.n_items == 2 for c in preference_cells)
    assert report.funnel_count("packaged") is None


def test_dict_is_json_and_markdown_shows_every_section(engine: Engine) -> None:
    with Session(engine) as session:
        _build(session)
        report = build_qa_report(
            session,
            [BATCH],
            packaged={"dpo": {"train": 2}},
            simulated=True,
            agreement_settings=SETTINGS,
        )
    data = json.loads(json.dumps(report.to_dict()))
    assert data["security_findings_by_cwe"] == {"CWE-78": 2}
    assert data["funnel"][0] == {"stage": "received", "count": 7, "unit": "records"}
    assert data["packaged"] == {"dpo": {"train": 2}}
    assert data["simulated"] is True
    text = report.to_markdown()
    assert "simulated reviewers, not people" in text
    assert "| CWE-78 | 2 |" in text
    assert "| m-bad | 4 | 400 | 200 | " in text
    assert "| demo-x |" not in text.split("## Replayed candidates")[0]
    assert "| demo-x | 1 | 1 |" in text.split("## Replayed candidates")[1]
    assert data["replayed_candidates"] == [{"label": "demo-x", "candidates": 1, "provenances": 1}]
    assert "| timeout | 2 |" in text
    assert "| dpo | train | 2 |" in text
    assert "## Gold accuracy per reviewer" in text


def test_unknown_batch_is_named(engine: Engine) -> None:
    with Session(engine) as session, pytest.raises(ValueError, match="nope"):
        build_qa_report(session, ["nope"], agreement_settings=SETTINGS)


def test_no_judged_figure_fails_only_when_evidence_is_required(engine: Engine) -> None:
    with Session(engine) as session:
        add_batch(session, "quiet", received=1)
        add_prompt(session, "quiet", "p0")
        session.commit()
        strict = build_qa_report(session, ["quiet"], agreement_settings=SETTINGS)
        lenient = build_qa_report(
            session,
            ["quiet"],
            agreement_settings=AgreementSettings(
                bootstrap_samples=50, require_agreement_evidence=False
            ),
        )
    assert strict.judged_figures == 0 and not strict.passed
    assert strict.to_dict()["passed"] is False
    assert "Agreement gate: **failed**" in strict.summary_markdown()
    assert lenient.passed
