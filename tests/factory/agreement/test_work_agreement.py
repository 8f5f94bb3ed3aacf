"""Agreement on work beyond pairs: every measure equals a reference computation on the same small
data (scipy's Friedman test and Kendall's W worked by hand, krippendorff, nltk's AnnotationTask
and masi_distance, span F1 by hand), ties and disagreement included; the figures per kind and
language, their gating; and the loader and the report on a database of submissions."""

import math

import krippendorff
import numpy as np
import pytest
from nltk.metrics.agreement import AnnotationTask
from nltk.metrics.distance import binary_distance
from nltk.metrics.distance import masi_distance as nltk_masi
from review_data_builder import add_batch, add_reviewer
from scipy.stats import friedmanchisquare
from sqlalchemy import Engine
from sqlmodel import Session
from work_builders import add_submission, add_work_prompt, add_work_task

from expectations.agreement import build_suite
from expectations.gate import run_suite
from factory.agreement.labels import label_alpha, masi_alpha, masi_distance
from factory.agreement.report import agreement_report
from factory.agreement.spans import Span
from factory.agreement.stage import run as run_agreement
from factory.agreement.work_agreement import (
    APPROACH_ALPHA,
    CAUSE_ALPHA,
    CROSS_PASS_RATE,
    MOVES_ALPHA,
    RANKING_ALPHA,
    RANKING_W,
    SPAN_CATEGORY_ALPHA,
    SPAN_F1,
    SPAN_F1_MICRO,
    concordance_measure,
    cross_measure,
    kind_measures,
    label_measure,
    moves_measure,
    rank_alpha_measure,
    span_measures,
)
from factory.agreement.work_data import WorkAnswer, load_work_answers
from factory.agreement.work_figures import work_figures
from factory.settings import AgreementSettings, FactoryConfig
from factory.stages.context import StageContext

NAN = np.nan

# task -> reviewer -> candidate -> rank. t1 agrees partly, t2 is reversed (W = 0), t3 has a tie
# (midranks 1.5, 1.5), t4 has one reviewer and is left out.
RANKINGS = {
    "t1": {
        "a": {"x": 1, "y": 2, "z": 3},
        "b": {"x": 1, "y": 3, "z": 2},
        "c": {"x": 2, "y": 1, "z": 3},
    },
    "t2": {"a": {"p": 1, "q": 2, "r": 3, "s": 4}, "b": {"p": 4, "q": 3, "r": 2, "s": 1}},
    "t3": {"a": {"u": 1.5, "v": 1.5, "w": 3}, "b": {"u": 1, "v": 2, "w": 3}},
    "t4": {"c": {"x": 1, "y": 2}},
}
# By hand: t1 rank sums 4, 6, 8 -> W = 12 * 8 / (9 * 24) = 4/9. t3 rank sums 2.5, 3.5, 6 around
# 4: S = 6.5; reviewer a's tie gives T = 2^3 - 2 = 6, so W = 12 * 6.5 / (4 * 24 - 2 * 6) = 13/14.
HAND_W = {"t1": 4 / 9, "t2": 0.0, "t3": 13 / 14}

# Rows a, b, c; columns t1.x t1.y t1.z t2.p t2.q t2.r t2.s t3.u t3.v t3.w.
RANK_MATRIX = np.array(
    [
        [1, 2, 3, 1, 2, 3, 4, 1.5, 1.5, 3],
        [1, 3, 2, 4, 3, 2, 1, 1, 2, 3],
        [2, 1, 3, NAN, NAN, NAN, NAN, NAN, NAN, NAN],
    ]
)

REVIEWS = {
    # Category-matched: the defects only (1 of 4 spans each side -> F1 = 2 * 1 / 4). On location
    # alone both pairs match: defect/defect and style/readability.
    "t1": {
        "a": [Span(1, 5, "defect"), Span(10, 12, "style")],
        "b": [Span(2, 4, "defect"), Span(11, 11, "readability")],
    },
    # a and b found nothing (F1 1), c found one thing (F1 0 with each): mean 1/3, no span matched.
    "t2": {"a": [], "b": [], "c": [Span(3, 3, "security")]},
    # Categories: the long defect matches the short defect (2 lines) -> F1 = 2 / 3. On location
    # alone it takes the performance span (5 lines shared): defect/performance.
    "t3": {
        "a": [Span(1, 10, "defect")],
        "b": [Span(2, 3, "defect"), Span(5, 9, "performance")],
    },
    "t4": {"a": [Span(1, 1, "defect")]},
}

CAUSES = {
    "t1": {"a": "off_by_one", "b": "off_by_one"},
    "t2": {"a": "wrong_condition", "b": "off_by_one", "c": "wrong_condition"},
    "t3": {"b": "api_misuse", "c": "api_misuse"},
    "t4": {"a": "other"},
}

MOVES = {
    "t1": {"a": frozenset({"rename", "extract_function"}), "b": frozenset({"rename"})},
    "t2": {"a": frozenset({"inline"}), "b": frozenset({"simplify_conditional"})},
    "t3": {
        "a": frozenset({"rename", "inline"}),
        "b": frozenset({"inline", "remove_dead_code"}),
        "c": frozenset({"rename", "inline"}),
    },
    "t4": {"a": frozenset({"rename"})},
}


def nltk_alpha(labels, distance):
    data = [(rater, task, label) for task, by in labels.items() for rater, label in by.items()]
    return AnnotationTask(data, distance=distance).alpha()


# --- ranking ---------------------------------------------------------------------------------


def test_mean_w_equals_hand_worked_w_and_friedman_on_each_task():
    measure = concordance_measure(RANKINGS)
    assert measure.value == pytest.approx(sum(HAND_W.values()) / 3)
    assert (measure.n_items, measure.n_submissions) == (3, 7)
    p_values = []
    for task, w in HAND_W.items():
        by_rater = RANKINGS[task]
        candidates = list(next(iter(by_rater.values())))
        rows = np.array([[r[c] for c in candidates] for r in by_rater.values()])
        friedman = friedmanchisquare(*rows.T)  # tie-corrected: m (k - 1) W
        assert friedman.statistic / (len(rows) * (len(candidates) - 1)) == pytest.approx(w)
        p_values.append(friedman.pvalue)
    assert measure.details["median_p_value"] == pytest.approx(float(np.median(p_values)))
    assert measure.details["tasks_significant"] == sum(p < 0.05 for p in p_values)
    assert [w for w, _ in measure.parts] == pytest.approx(list(HAND_W.values()))


def test_ranking_alpha_is_krippendorff_ordinal_on_the_hand_built_matrix():
    expected = krippendorff.alpha(reliability_data=RANK_MATRIX, level_of_measurement="ordinal")
    measure = rank_alpha_measure(RANKINGS)
    assert measure.value == pytest.approx(expected)
    assert (measure.n_items, measure.n_submissions) == (3, 7)


def test_identical_rankings_agree_fully_and_different_candidates_are_refused():
    same = {"t": {"a": {"x": 1, "y": 2, "z": 3}, "b": {"x": 1, "y": 2, "z": 3}}}
    assert concordance_measure(same).value == pytest.approx(1.0)
    assert rank_alpha_measure(same).value == pytest.approx(1.0)
    other = {"t9": {"a": {"x": 1, "y": 2}, "b": {"x": 1, "z": 2}}}
    with pytest.raises(ValueError, match=r"task 't9': reviewer 'b' ranked candidates"):
        concordance_measure(other)
    with pytest.raises(ValueError, match=r"task 't9': rater 1's ranking \[1, 1\]"):
        concordance_measure({"t9": {"a": {"x": 1, "y": 2}, "b": {"x": 1, "y": 1}}})
    assert concordance_measure({"t": {"a": {"x": 1, "y": 2}}}).value is None


# --- code review -----------------------------------------------------------------------------


def test_span_f1_pairwise_and_micro_equal_the_hand_worked_values():
    measures = span_measures(REVIEWS)
    assert measures[SPAN_F1].value == pytest.approx((2 / 4 + 1 / 3 + 2 / 3) / 3)
    # Pooled: matched 1 + 0 + 1 over spans 4 + 2 + 3.
    assert measures[SPAN_F1_MICRO].value == pytest.approx(2 * 2 / 9)
    assert measures[SPAN_F1_MICRO].details["spans"] == 9
    assert all((m.n_items, m.n_submissions) == (3, 7) for m in measures.values())


def test_category_alpha_of_located_matches_equals_nltk_and_krippendorff():
    units = {
        "u1": {"a": "defect", "b": "defect"},
        "u2": {"a": "style", "b": "readability"},
        "u3": {"a": "defect", "b": "performance"},
    }
    measure = span_measures(REVIEWS)[SPAN_CATEGORY_ALPHA]
    assert measure.details["matched_spans"] == 3
    assert measure.value == pytest.approx(nltk_alpha(units, binary_distance))
    codes = {"defect": 0, "style": 1, "readability": 2, "performance": 3}
    matrix = np.array([[codes[units[u][r]] for u in units] for r in ("a", "b")], dtype=float)
    assert measure.value == pytest.approx(
        krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal")
    )


# --- cross-checks and labels -----------------------------------------------------------------


def test_cross_pass_rate_pools_checks_over_tasks_with_any():
    checks = {"t1": [True, True], "t2": [True, False], "t3": [], "t4": [False, False, True, True]}
    measure = cross_measure(checks, {"t1": 2, "t2": 2, "t3": 2, "t4": 3})
    assert measure.value == pytest.approx(5 / 8)
    assert (measure.n_items, measure.n_submissions) == (3, 7)
    assert measure.details == {"checks": 8, "passed": 5}
    assert cross_measure({"t1": []}, {"t1": 2}).value is None


def test_nominal_alpha_equals_nltk_and_krippendorff_with_a_missing_reviewer():
    measure = label_measure(CAUSES)
    assert (measure.n_items, measure.n_submissions) == (3, 7)
    assert measure.value == pytest.approx(nltk_alpha(CAUSES, binary_distance))
    codes = {"off_by_one": 0, "wrong_condition": 1, "api_misuse": 2}
    matrix = np.full((3, 3), NAN)
    for column, task in enumerate(("t1", "t2", "t3")):
        for row, rater in enumerate("abc"):
            if rater in CAUSES[task]:
                matrix[row, column] = codes[CAUSES[task][rater]]
    assert measure.value == pytest.approx(
        krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal")
    )


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ({"a", "b"}, {"a", "b"}),
        ({"a"}, {"a", "b"}),
        ({"a", "b"}, {"b", "c"}),
        ({"a"}, {"b"}),
        ({"a", "b", "c"}, {"a"}),
    ],
    ids=["equal", "subset", "overlap", "disjoint", "superset"],
)
def test_masi_distance_equals_nltk(first, second):
    assert masi_distance(frozenset(first), frozenset(second)) == pytest.approx(
        nltk_masi(set(first), set(second))
    )


def test_masi_alpha_of_moves_equals_nltk_annotation_task():
    measure = moves_measure(MOVES)
    assert (measure.n_items, measure.n_submissions) == (3, 7)
    assert measure.value == pytest.approx(nltk_alpha(MOVES, nltk_masi))
    assert masi_alpha(MOVES) == measure.value
    # MASI credits partial overlap: the same data scored nominally (sets equal or not) is lower.
    assert measure.value > nltk_alpha(MOVES, binary_distance)


def test_alpha_is_none_when_undefined():
    assert label_alpha({"t1": {"a": "x"}, "t2": {"b": "y"}}) is None  # nothing labelled twice
    # One label throughout: nltk says 1, but nothing could have been disagreed on.
    assert label_alpha({"t1": {"a": "x", "b": "x"}, "t2": {"a": "x", "b": "x"}}) is None
    assert label_alpha({}) is None


# --- from submissions ------------------------------------------------------------------------


def answer(kind, task, rater, payload, *, language="python", cross=None, sid=0):
    verification = {"cross": [{"passed": p} for p in cross]} if cross is not None else {}
    return WorkAnswer(
        sid, task, rater, kind, language, f"{kind}-1", payload, verification, 0.0, False
    )


def test_kind_measures_read_each_kind_from_payloads():
    rankings = [
        answer("ranking", t, r, {"ranks": ranks})
        for t, by in enumerate(RANKINGS.values())
        for r, ranks in by.items()
    ]
    figures = kind_measures("ranking", rankings)
    assert figures[RANKING_W].value == pytest.approx(concordance_measure(RANKINGS).value)
    assert figures[RANKING_ALPHA].value == pytest.approx(rank_alpha_measure(RANKINGS).value)
    reviews = [
        answer(
            "code_review",
            t,
            r,
            {"spans": [vars(s) for s in spans], "clean": not spans},
        )
        for t, by in enumerate(REVIEWS.values())
        for r, spans in by.items()
    ]
    review_figures = kind_measures("code_review", reviews)
    for metric, measure in span_measures(REVIEWS).items():
        assert review_figures[metric].value == pytest.approx(measure.value)
    fixes = [
        answer("bug_fix", t, r, {"cause_category": cause}, cross=[True] if r == "b" else [])
        for t, by in enumerate(CAUSES.values())
        for r, cause in by.items()
    ]
    fix_figures = kind_measures("bug_fix", fixes)
    assert fix_figures[CAUSE_ALPHA].value == pytest.approx(label_measure(CAUSES).value)
    assert fix_figures[CROSS_PASS_RATE].value == 1.0
    steps = [
        answer("refactoring", t, r, {"steps": [{"move": m} for m in sorted(moves)]})
        for t, by in enumerate(MOVES.values())
        for r, moves in by.items()
    ]
    assert kind_measures("refactoring", steps)[MOVES_ALPHA].value == pytest.approx(
        moves_measure(MOVES).value
    )
    approaches = [
        answer("reasoning", t, r, {"approach": cause})
        for t, by in enumerate(CAUSES.values())
        for r, cause in by.items()
    ]
    assert kind_measures("reasoning", approaches)[APPROACH_ALPHA].value == pytest.approx(
        label_measure(CAUSES).value
    )


@pytest.mark.parametrize(
    ("kind", "payload", "verification", "message"),
    [
        ("ranking", {}, {}, r"submission 7 \(ranking, task 1\): its payload has no 'ranks'"),
        ("code_review", {"spans": [{"start_line": 0, "end_line": 2, "category": "x"}]}, {},
         r"submission 7 \(code_review\): span 1 .* start_line must be at least 1"),
        ("refactoring", {"steps": [{"code": "x"}]}, {}, r"submission 7 .* its 'move'"),
        ("authoring", {}, {"cross": [{"passed": "yes"}]}, r"submission 7 .* true/false 'passed'"),
    ],
)  # fmt: skip
def test_bad_payloads_name_the_submission(kind, payload, verification, message):
    bad = WorkAnswer(7, 1, 1, kind, "python", "v", payload, verification, 0.0, False)
    good = WorkAnswer(8, 1, 2, kind, "python", "v", payload, {}, 0.0, False)
    with pytest.raises(ValueError, match=message):
        kind_measures(kind, [bad, good])


def _ranking_answers(language, tasks, *, agree):
    """`tasks` tasks ranked by two reviewers, in the same order or reversed."""
    rows = []
    for t in range(tasks):
        second = {"x": 1, "y": 2, "z": 3} if agree else {"x": 3, "y": 2, "z": 1}
        task = f"{language}-{agree}-{t}"
        rows += [
            answer("ranking", task, "a", {"ranks": {"x": 1, "y": 2, "z": 3}}, language=language),
            answer("ranking", task, "b", {"ranks": second}, language=language),
        ]
    return rows


def test_figures_per_language_are_na_and_ungated_below_the_minimum_items():
    settings = AgreementSettings(min_items_per_cell=3, bootstrap_samples=50)
    rows = _ranking_answers("python", 3, agree=True) + _ranking_answers("go", 1, agree=False)
    figures = {(f.metric, f.language): f for f in work_figures(rows, settings)}
    assert [key[1] for key in figures if key[0] == RANKING_W] == ["*", "go", "python"]
    everything = figures[(RANKING_W, "*")]
    assert (everything.n_items, everything.n_submissions) == (4, 8)
    assert everything.value == pytest.approx(3 / 4)  # W 1, 1, 1 and 0
    assert everything.gated and everything.judged_on == "value" and everything.passed
    assert everything.ci_low <= everything.value <= everything.ci_high
    go = figures[(RANKING_W, "go")]
    assert (go.n_items, go.value, go.gated, go.passed) == (1, None, False, True)
    alpha = figures[(RANKING_ALPHA, "python")]
    assert alpha.value is not None and alpha.threshold is None and not alpha.gated


def test_gated_figures_fail_under_threshold_and_on_the_lower_bound():
    rows = _ranking_answers("python", 4, agree=True) + _ranking_answers("python", 4, agree=False)
    point = AgreementSettings(min_items_per_cell=5, bootstrap_samples=200, min_ranking_w=0.4)
    (w,) = [f for f in work_figures(rows, point) if f.name == "ranking_w[python/ranking]"]
    assert w.value == pytest.approx(0.5) and w.passed  # four tasks W 1, four W 0
    bounded = point.model_copy(update={"gate_on": "lower_bound"})
    (w,) = [f for f in work_figures(rows, bounded) if f.name == "ranking_w[python/ranking]"]
    assert w.judged_on == "ci_low" and w.ci_low < 0.4 and not w.passed
    strict = point.model_copy(update={"min_ranking_w": 0.7})
    (w,) = [f for f in work_figures(rows, strict) if f.name == "ranking_w[python/ranking]"]
    assert w.gated and not w.passed


# --- the database ----------------------------------------------------------------------------

BATCH = "batch-work-agreement"


def _build(session: Session) -> dict[str, int]:
    """Every kind answered twice or more on the fixed data above, plus another batch."""
    add_batch(session, BATCH)
    people = {name: add_reviewer(session, name) for name in "abc"}

    def tasks(kind, data, payload, verification=lambda task, rater: {}):
        prompt = add_work_prompt(session, BATCH, kind, line_no=len(ids) + 1)
        for key, by_rater in data.items():
            task = add_work_task(session, prompt, kind, key, required_reviews=len(by_rater))
            for rater, value in by_rater.items():
                checked = verification(key, rater)
                add_submission(session, task, people[rater], payload(value), verification=checked)
        ids[kind] = prompt.id

    ids: dict[str, int] = {}
    tasks("ranking", RANKINGS, lambda ranks: {"ranks": ranks, "scores": {}, "rationale": "r"})
    tasks(
        "code_review",
        REVIEWS,
        lambda spans: {"spans": [vars(s) | {"severity": "low"} for s in spans], "clean": not spans},
    )
    tasks(
        "bug_fix",
        CAUSES,
        lambda cause: {"cause_category": cause},
        lambda task, rater: {"cross": [{"passed": task != "t2"}]} if rater != "a" else {},
    )
    tasks("refactoring", MOVES, lambda moves: {"steps": [{"move": m} for m in sorted(moves)]})
    tasks("reasoning", CAUSES, lambda cause: {"approach": cause})
    add_batch(session, "other")
    prompt = add_work_prompt(session, "other", "ranking")
    task = add_work_task(session, prompt, "ranking", "x")
    add_submission(session, task, people["a"], {"ranks": {"x": 2, "y": 1}})
    session.commit()
    return ids


SMALL = AgreementSettings(min_items_per_cell=3, bootstrap_samples=50, min_gold_items=2)


def test_loader_reads_the_batch_submissions_in_task_order(engine: Engine):
    with Session(engine, expire_on_commit=False) as session:
        _build(session)
        answers = load_work_answers(session, [BATCH])
    assert len(answers) == 5 * 8  # five kinds, eight submissions each
    assert [a.task_id for a in answers] == sorted(a.task_id for a in answers)
    assert {a.kind for a in answers} == {
        "ranking",
        "code_review",
        "bug_fix",
        "refactoring",
        "reasoning",
    }
    assert all(a.language == "python" for a in answers)
    assert {a.kind: a.rubric_version for a in answers}["code_review"] == "code-review-1"


def test_report_figures_equal_the_pure_measures_on_the_same_data(engine: Engine):
    with Session(engine, expire_on_commit=False) as session:
        _build(session)
        report = agreement_report(session, [BATCH], SMALL)
    figures = {(f.metric, f.language): f for f in report.work}
    expected = {
        RANKING_W: concordance_measure(RANKINGS).value,
        RANKING_ALPHA: rank_alpha_measure(RANKINGS).value,
        **{metric: m.value for metric, m in span_measures(REVIEWS).items()},
        CAUSE_ALPHA: label_measure(CAUSES).value,
        MOVES_ALPHA: moves_measure(MOVES).value,
        APPROACH_ALPHA: label_measure(CAUSES).value,
        CROSS_PASS_RATE: 3 / 5,  # b's and c's checks; those on t2 failed
    }
    for metric, value in expected.items():
        for language in ("*", "python"):
            assert figures[(metric, language)].value == pytest.approx(value), metric
    assert figures[(CROSS_PASS_RATE, "*")].n_items == 3
    # Gated: the mean W (0.46) is under 0.7, span F1 (0.44) under 0.5, cross rate under 0.7.
    failing = {f.name for f in report.failing_work}
    assert failing == {
        f"{metric}[{language}/{kind}]"
        for metric, kind in (
            (RANKING_W, "ranking"),
            (SPAN_F1_MICRO, "code_review"),
            (CROSS_PASS_RATE, "bug_fix"),
        )
        for language in ("*", "python")
    }
    assert not report.passed and report.cells == []


def test_gate_names_failing_work_figures_and_passes_relaxed_thresholds(engine: Engine):
    with Session(engine, expire_on_commit=False) as session:
        _build(session)
        strict = agreement_report(session, [BATCH], SMALL)
        relaxed_settings = SMALL.model_copy(
            update={"min_ranking_w": 0.4, "min_span_f1": 0.4, "min_cross_pass_rate": 0.5}
        )
        relaxed = agreement_report(session, [BATCH], relaxed_settings)
    result = run_suite(build_suite(FactoryConfig(agreement=SMALL)), strict.gate_frame())
    assert not result.success
    metadata = result.metadata()
    named = " ".join(metadata["expect_column_values_to_be_null(offending)"]["partial_unexpected"])
    assert "ranking_w[python/ranking] = 0.458 < 0.7 with n=3" in named
    assert "cross_pass_rate[*/bug_fix]" in named
    assert not metadata["expect_column_values_to_be_between(span_f1_micro)"]["success"]
    assert relaxed.passed and len(relaxed.gate_frame()) == 6
    relaxed_suite = build_suite(FactoryConfig(agreement=relaxed_settings))
    assert run_suite(relaxed_suite, relaxed.gate_frame()).success


def test_stage_metadata_shows_the_work_figures(engine: Engine):
    with Session(engine, expire_on_commit=False) as session:
        _build(session)
    stage = run_agreement(StageContext(FactoryConfig(agreement=SMALL), engine), BATCH)
    metadata = stage.metadata()
    assert not metadata["passed"]
    assert "ranking_w[python/ranking]" in metadata["failing_work_figures"]
    assert metadata["work_figures_gated"] == 6 and metadata["work_figures_total"] == 18
    table = metadata["work_agreement"].text
    assert "| ranking | ranking_w | python | 3 | 7 | 0.458 |" in table
    assert "| bug_fix | cause_alpha | python | 3 | 7 |" in table
    assert "failing work figure(s)" in stage.summary()
    assert metadata["report"]["work"][0]["name"] == "ranking_w[*/ranking]"
    assert not math.isnan(metadata["report"]["work"][0]["value"])
