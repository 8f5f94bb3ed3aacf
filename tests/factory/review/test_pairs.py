"""Pair building: which candidates are paired under each strategy, in which order, and never
two identical solutions; plus loading verdicts and signals from the database."""

from collections import Counter

import pytest
from review_builders import build_batch
from sqlmodel import Session

from factory.errors import ConfigError
from factory.review.pairs import (
    CandidateView,
    choose_pairs,
    load_candidate_views,
    normalised_code_key,
    signal_distance,
)


def view(cid: int, verdict: str = "passed", code: str | None = None, **issues: int):
    return CandidateView(
        id=cid, prompt_id=1, code=code or f"return {cid}", verdict=verdict, issues=Counter(issues)
    )


CLEAN, MESSY, BROKEN, CRASH = (
    view(1),
    view(2, **{"ruff:E501": 2}),
    view(3, "failed"),
    view(4, "timeout"),
)


@pytest.mark.parametrize(
    ("strategy", "pool", "expected"),
    [
        ("passing_differ", [CLEAN, MESSY, BROKEN], [(1, 2, "passing_differ")]),
        ("pass_vs_fail", [CLEAN, MESSY, BROKEN], [(2, 3, "pass_vs_fail"), (1, 3, "pass_vs_fail")]),
        (
            "mixed",
            [CLEAN, MESSY, BROKEN],
            [(1, 2, "passing_differ"), (2, 3, "pass_vs_fail"), (1, 3, "pass_vs_fail")],
        ),
        ("pass_vs_fail", [CLEAN, CRASH], [(1, 4, "pass_vs_fail")]),
        # Both pass with the same signals: nothing to learn from the comparison.
        ("passing_differ", [CLEAN, view(5)], []),
        ("passing_differ", [BROKEN, CRASH], []),
    ],
)
def test_strategies_choose_expected_pairs(strategy, pool, expected):
    pairs = choose_pairs(pool, strategy=strategy, max_pairs=10)
    assert [(p.candidate_a_id, p.candidate_b_id, p.strategy) for p in pairs] == expected


def test_identical_solutions_up_to_whitespace_are_never_paired():
    a = view(1, code="def f(x):\n    return x")
    b = view(2, "failed", code="def f(x):\n\n        return x   ")
    assert normalised_code_key(a.code) == normalised_code_key(b.code)
    assert choose_pairs([a, b], strategy="mixed", max_pairs=5) == []


def test_pass_vs_fail_known_answer_favours_the_passing_candidate():
    (a_passes,) = choose_pairs([view(1), view(2, "failed")], strategy="pass_vs_fail", max_pairs=1)
    (b_passes,) = choose_pairs([view(1, "failed"), view(2)], strategy="pass_vs_fail", max_pairs=1)
    assert a_passes.known_preference < 0 < b_passes.known_preference


def test_max_pairs_keeps_the_most_different_first():
    pool = [view(1), view(2, **{"ruff:E1": 1}), view(3, **{"bandit:B602": 3})]
    pairs = choose_pairs(pool, strategy="passing_differ", max_pairs=2)
    # distances: (2,3) = 1 + 3, (1,3) = 3, (1,2) = 1
    assert [(p.candidate_a_id, p.candidate_b_id) for p in pairs] == [(2, 3), (1, 3)]


def test_unknown_strategy_is_a_config_error():
    with pytest.raises(ConfigError, match="pair_strategy 'best'"):
        choose_pairs([CLEAN, MESSY], strategy="best", max_pairs=1)


def test_signal_distance_counts_issue_and_metric_differences():
    a = CandidateView(1, 1, "a", "passed", Counter({"ruff:E1": 1}), {"radon:cc": 2.0})
    b = CandidateView(2, 1, "b", "passed", Counter({"ruff:E1": 3}), {"radon:cc": 4.0})
    assert signal_distance(a, b) == pytest.approx(2 + 0.5)
    assert signal_distance(a, a) == 0


def test_views_leave_out_references_and_carry_verdicts_and_findings(engine):
    batch = build_batch(engine, prompts=2)
    with Session(engine) as session:
        views = load_candidate_views(session, batch.batch_id)
    assert sorted(views) == sorted(p.id for p in batch.prompts)
    for prompt_id, candidates in views.items():
        expected = {c.id for c in batch.candidates[prompt_id]}
        assert {v.id for v in candidates} == expected  # the reference is not among them
        by_id = {v.id: v for v in candidates}
        clean, messy, broken = batch.candidates[prompt_id]
        assert by_id[broken.id].verdict == "failed"
        assert by_id[messy.id].issues == Counter({"ruff:E225": 1, "bandit:B404": 1})
        assert not by_id[clean.id].issues
