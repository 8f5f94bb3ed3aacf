"""The agreement report on review data in the database: cells per language x task type x
dimension equal direct library calls on the same data, gold accuracy flags weak reviewers, and the
GX gate fails with the offending cells named."""

from dataclasses import replace

import krippendorff
import numpy as np
import pytest
from pydantic import ValidationError
from review_data_builder import (
    add_annotation,
    add_batch,
    add_candidate,
    add_prompt,
    add_reviewer,
    add_task,
)
from sklearn.metrics import cohen_kappa_score

from expectations.agreement import build_suite
from expectations.gate import run_suite
from factory.agreement.breakdown import KAPPA, Cell
from factory.agreement.report import agreement_report
from factory.settings import AgreementSettings, FactoryConfig

SETTINGS = AgreementSettings(bootstrap_samples=50, min_items_per_cell=5, min_gold_items=2)
# (first reviewer, second reviewer) preferences on the twelve doubly-reviewed python tasks.
PY_PAIRS = [(-3, -2), (-2, -2), (-1, 0), (1, 1), (2, 3), (3, 3), (-2, -3), (2, 2), (0, 1),
            (1, 2), (-1, -1), (3, 2)]  # fmt: skip
# Reversed on go: clear disagreement, but only three items (reported, not gated).
GO_PAIRS = [(-2, 2), (2, -2), (1, -1)]


def _build(session):
    add_batch(session, "b1")
    r1, r2, r3 = (add_reviewer(session, name) for name in ("ann", "bob", "cat"))
    tasks = []
    for i, (p1, p2) in enumerate(PY_PAIRS + GO_PAIRS):
        language = "python" if i < len(PY_PAIRS) else "go"
        task_type = "code_generation" if i % 2 == 0 else "bug_fix"
        prompt = add_prompt(session, "b1", f"p{i}", language=language, task_type=task_type)
        a = add_candidate(session, prompt, model="m1")
        b = add_candidate(session, prompt, model="m2")
        task = add_task(session, prompt, a, b, required_reviews=2)
        # Scores track the preference so alpha is positive; r2 is one step off on readability.
        add_annotation(session, task, r1, p1, scores=(3 - (p1 > 0), 3 + (p1 > 0)))
        add_annotation(
            session,
            task,
            r2,
            p2,
            scores={"correctness": (3 - (p2 > 0), 3 + (p2 > 0)), "readability": (2, 4 + (i % 2))},
        )
        tasks.append(task)
    # Gold: ann is right on both, cat wrong on both.
    for j, (answer_ann, answer_cat) in enumerate([(-2, 2), (-1, 1)]):
        prompt = add_prompt(session, "b1", f"g{j}")
        a, b = add_candidate(session, prompt, model="m1"), add_candidate(session, prompt)
        gold = add_task(session, prompt, a, b, is_gold=True, gold_preference=-2,
                        required_reviews=2)  # fmt: skip
        add_annotation(session, gold, r1, answer_ann)
        add_annotation(session, gold, r3, answer_cat)
    session.commit()
    return r1, r3


def _cell(report, metric, language, task_type, dimension):
    (cell,) = [
        c
        for c in report.cells
        if (c.metric, c.language, c.task_type, c.dimension)
        == (metric, language, task_type, dimension)
    ]
    return cell


def test_kappa_cells_equal_sklearn_on_the_same_items(session):
    _build(session)
    report = agreement_report(session, ["b1"], SETTINGS)
    labels = list(range(-3, 4))
    python = _cell(report, "preference_kappa", "python", "*", "preference")
    gold_pairs = [(-2, 2), (-1, 1)]  # the gold tasks are python too, reviewed twice
    first, second = zip(*(PY_PAIRS + gold_pairs), strict=True)
    assert python.n_items == 14
    assert python.value == pytest.approx(
        cohen_kappa_score(first, second, labels=labels, weights="quadratic")
    )
    assert python.ci_low <= python.value <= python.ci_high
    assert python.gated and python.passed
    bug_fix = [p for i, p in enumerate(PY_PAIRS) if i % 2 == 1]
    cell = _cell(report, "preference_kappa", "python", "bug_fix", "preference")
    assert cell.n_items == len(bug_fix) == 6
    assert cell.value == pytest.approx(
        cohen_kappa_score(*zip(*bug_fix, strict=True), labels=labels, weights="quadratic")
    )
    go = _cell(report, "preference_kappa", "go", "*", "preference")
    assert go.n_items == 3 and go.value < 0
    assert not go.gated and go.passed  # too few items: reported, not gated
    everything = _cell(report, "preference_kappa", "*", "*", "preference")
    assert everything.n_items == 12 + 3 + 2
    assert everything.value == pytest.approx(
        cohen_kappa_score(
            *zip(*(PY_PAIRS + GO_PAIRS + gold_pairs), strict=True),
            labels=labels,
            weights="quadratic",
        )
    )


def test_alpha_cells_equal_krippendorff_with_missing_dimensions(session):
    _build(session)
    report = agreement_report(session, ["b1"], SETTINGS)
    # Readability: r1 scored every candidate, r2 too; rebuild the matrix by hand.
    r1_row, r2_row = [], []
    for i, (p1, _p2) in enumerate(PY_PAIRS):
        r1_row += [3 - (p1 > 0), 3 + (p1 > 0)]
        r2_row += [2, 4 + (i % 2)]
    expected = krippendorff.alpha(
        reliability_data=np.array([r1_row, r2_row], dtype=float),
        level_of_measurement="ordinal",
        value_domain=[1, 2, 3, 4, 5],
    )
    cell = _cell(report, "dimension_alpha", "python", "*", "readability")
    assert cell.n_items == 24
    assert cell.value == pytest.approx(expected)
    # Security was scored by r1 only: no unit has two scores, so no figure and no gate.
    security = _cell(report, "dimension_alpha", "python", "*", "security")
    assert security.n_items == 0 and security.value is None and not security.gated


def test_gold_accuracy_flags_the_reviewer_below_threshold(session):
    ann, cat = _build(session)
    report = agreement_report(session, ["b1"], SETTINGS)
    by_reviewer = {g.reviewer_id: g for g in report.gold}
    assert by_reviewer[ann.id].accuracy == 1.0 and not by_reviewer[ann.id].flagged
    assert by_reviewer[cat.id].accuracy == 0.0 and by_reviewer[cat.id].flagged
    assert report.flagged_reviewers == [cat.id]
    lenient = agreement_report(session, ["b1"], SETTINGS.model_copy(update={"min_gold_items": 3}))
    assert lenient.flagged_reviewers == []  # two gold answers are too few to judge


def test_gate_fails_with_offending_cells_named(session):
    _build(session)
    config = FactoryConfig(agreement=SETTINGS)
    report = agreement_report(session, ["b1"], config.agreement)
    result = run_suite(build_suite(config), report.gate_frame())
    assert not result.success
    offending = result.metadata()["expect_column_values_to_be_null(offending)"]
    named = " ".join(offending["partial_unexpected"])
    failing = {cell.name for cell in report.failing_cells}
    assert "dimension_alpha[python/code_generation/readability]" in failing
    assert all(name in named for name in failing)
    assert "gold_accuracy[reviewer" in named
    assert "preference_kappa[go/" not in named  # three items: reported, not gated
    kappa = result.metadata()["expect_column_values_to_be_between(preference_kappa)"]
    assert kappa["success"] and kappa["thresholds"]["min_value"] == SETTINGS.min_preference_kappa


def test_gate_passes_good_agreement_and_refuses_no_evidence(session):
    _build(session)
    relaxed = SETTINGS.model_copy(update={"min_dimension_alpha": -1.0, "min_gold_accuracy": 0.0})
    config = FactoryConfig(agreement=relaxed)
    report = agreement_report(session, ["b1"], relaxed)
    assert report.passed
    assert run_suite(build_suite(config), report.gate_frame()).success
    empty = agreement_report(session, ["no-such-batch"], relaxed)
    assert empty.cells == [] and empty.passed
    assert not run_suite(build_suite(config), empty.gate_frame()).success


def test_lower_bound_gate_fails_a_cell_whose_estimate_passes(session):
    """14 items agreeing well (kappa ~0.75) are too few to be sure kappa clears 0.4."""
    _build(session)
    relaxed = SETTINGS.model_copy(update={"min_dimension_alpha": -1.0, "min_gold_accuracy": 0.0})
    bounded = relaxed.model_copy(update={"gate_on": "lower_bound"})
    point = _cell(agreement_report(session, ["b1"], relaxed), KAPPA, "python", "*", "preference")
    report = agreement_report(session, ["b1"], bounded)
    cell = _cell(report, KAPPA, "python", "*", "preference")
    assert (point.judged_on, point.passed) == ("value", True)
    assert cell.judged_on == "ci_low" and cell.judged_value == cell.ci_low
    assert cell.ci_low < bounded.min_preference_kappa <= cell.value
    assert not cell.passed and cell in report.failing_cells
    # Small cells keep their rules: the go cell is reported, not gated.
    assert not _cell(report, KAPPA, "go", "*", "preference").gated
    result = run_suite(build_suite(FactoryConfig(agreement=bounded)), report.gate_frame())
    assert not result.success
    named = result.metadata()["expect_column_values_to_be_null(offending)"]["partial_unexpected"]
    assert f"preference_kappa[python/*/preference] = {cell.ci_low:.3f} (lower 95% bound) < 0.4" in (
        " ".join(named)
    )
    assert run_suite(
        build_suite(FactoryConfig(agreement=relaxed)), _point_frame(session, relaxed)
    ).success


def _point_frame(session, settings):
    frame = agreement_report(session, ["b1"], settings).gate_frame()
    assert frame["offending"].isna().all()
    return frame


def test_a_bound_that_cannot_be_computed_fails_the_lower_bound_gate():
    cell = Cell(KAPPA, "*", "*", "preference", 30, 0.9, None, None, 0.4, "ci_low")
    assert cell.gated and cell.judged_value is None and not cell.passed
    assert replace(cell, ci_low=0.41).passed and not replace(cell, ci_low=0.39).passed


def test_unknown_gate_basis_is_a_config_error():
    with pytest.raises(ValidationError, match="gate_on"):
        AgreementSettings(gate_on="median")
