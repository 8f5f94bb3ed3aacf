"""Ranking agreement: Kendall's W equals a published example, a from-the-definition computation and
scipy's Friedman test; ordinal alpha equals a direct krippendorff call on a matrix built by hand."""

import krippendorff
import numpy as np
import pytest
from scipy.stats import chi2, friedmanchisquare

from factory.agreement.ranking import kendall_w, ranking_alpha, ranking_reliability_matrix


def reference_w(rankings: list[list[float]]) -> float:
    """W from its definition; T sums t^3 - t over every rater's groups of t tied ranks."""
    m, n = len(rankings), len(rankings[0])
    rank_sums = [sum(row[j] for row in rankings) for j in range(n)]
    mean = sum(rank_sums) / n
    s = sum((r - mean) ** 2 for r in rank_sums)
    t = sum(row.count(v) ** 3 - row.count(v) for row in rankings for v in set(row))
    return 12 * s / (m**2 * (n**3 - n) - m * t)


def test_published_example_four_judges_three_competitors():
    # ProofWiki, "Kendall's Coefficient of Concordance/Examples/Arbitrary Example 1": W = 1/16.
    # Rows are judges A..D, columns the competitors X, Y, Z.
    rankings = [[1, 3, 2], [1, 2, 3], [2, 3, 1], [3, 1, 2]]
    result = kendall_w(rankings)
    assert result is not None
    assert result.w == pytest.approx(1 / 16)
    assert (result.raters, result.candidates, result.degrees_of_freedom) == (4, 3, 2)


def test_hand_worked_three_raters_three_candidates():
    # Rank sums 4, 6, 8 around a mean of 6: S = 8, W = 12 * 8 / (9 * 24) = 4/9.
    result = kendall_w([[1, 2, 3], [1, 3, 2], [2, 1, 3]])
    assert result is not None
    assert result.w == pytest.approx(4 / 9)
    assert result.chi_square == pytest.approx(3 * 2 * 4 / 9)


CASES = {
    "no_ties_m3_n6": [[1, 2, 3, 4, 5, 6], [2, 1, 3, 5, 4, 6], [1, 3, 2, 4, 6, 5]],
    "ties_m3_n6": [
        [1, 2, 3, 4, 5, 6],
        [1.5, 1.5, 3, 4, 5.5, 5.5],
        [2, 1, 4, 4, 4, 6],
    ],
    "ties_m4_n5": [
        [1, 2, 3, 4, 5],
        [2, 2, 2, 4.5, 4.5],
        [5, 4, 3, 2, 1],
        [1, 3, 2, 5, 4],
    ],
}


@pytest.mark.parametrize("rankings", list(CASES.values()), ids=list(CASES))
def test_w_matches_definition_and_friedman_test(rankings):
    result = kendall_w(rankings)
    assert result is not None
    assert result.w == pytest.approx(reference_w(rankings))
    # Friedman's tie-corrected chi-square is m(k-1)W; scipy's takes one sample per candidate.
    friedman = friedmanchisquare(*np.asarray(rankings).T)
    assert result.chi_square == pytest.approx(friedman.statistic)
    assert result.p_value == pytest.approx(friedman.pvalue)
    assert result.p_value == pytest.approx(chi2.sf(result.chi_square, result.candidates - 1))


def test_tie_correction_raises_w_above_the_uncorrected_value():
    rankings = CASES["ties_m3_n6"]
    m, n = 3, 6
    rank_sums = np.asarray(rankings).sum(axis=0)
    uncorrected = 12 * np.sum((rank_sums - rank_sums.mean()) ** 2) / (m**2 * (n**3 - n))
    result = kendall_w(rankings)
    assert result is not None
    assert result.w > uncorrected


@pytest.mark.parametrize("ranking", [[1, 2, 3, 4], [2.5, 2.5, 1, 4], [1.5, 1.5, 3.5, 3.5]], ids=str)
def test_identical_rankings_give_w_one_even_with_ties(ranking):
    result = kendall_w([ranking] * 4)
    assert result is not None
    assert result.w == pytest.approx(1.0)


@pytest.mark.parametrize(
    "rankings",
    [[[1, 2, 3, 4], [4, 3, 2, 1]], [[1, 2, 3], [2, 3, 1], [3, 1, 2]]],
    ids=["reversed_pair", "latin_square"],
)
def test_complete_disagreement_gives_w_zero_and_p_one(rankings):
    result = kendall_w(rankings)
    assert result is not None
    assert result.w == pytest.approx(0.0)
    assert result.p_value == pytest.approx(1.0)


def test_w_is_undefined_when_every_rater_ties_everything():
    assert kendall_w([[2, 2, 2], [2, 2, 2]]) is None


@pytest.mark.parametrize(
    ("rankings", "message"),
    [
        ([[1, 1, 3], [1, 2, 3]], r"rater 0's ranking \[1, 1, 3\] is not a ranking of 3"),
        ([[1, 2, 3], [0, 1, 2]], r"rater 1's ranking .* permutation of 1\.\.3"),
        ([[1, 2, 4], [1, 2, 3]], "not a ranking"),
        ([[1, 2, float("nan")], [1, 2, 3]], "not a ranking"),
        ([[1, 2, 3], [1, 2]], "same candidates"),
        ([[1, 2, 3]], "at least 2 raters"),
        ([[1], [1]], "at least 2 candidates"),
    ],
)
def test_invalid_rankings_are_rejected_with_a_reason(rankings, message):
    with pytest.raises(ValueError, match=message):
        kendall_w(rankings)


# item -> reviewer -> candidate -> rank position; reviewer "c" did not rank item "t2".
RANKINGS = {
    "t1": {
        "a": {"x": 1, "y": 2, "z": 3},
        "b": {"x": 1, "y": 3, "z": 2},
        "c": {"x": 2, "y": 1, "z": 3},
    },
    "t2": {
        "a": {"p": 2, "q": 1, "r": 4, "s": 3},
        "b": {"p": 1.5, "q": 1.5, "r": 4, "s": 3},
    },
    "t3": {"b": {"u": 1, "v": 2}, "c": {"v": 1, "u": 2}},
}

NAN = np.nan
# Rows a, b, c; columns t1.x t1.y t1.z t2.p t2.q t2.r t2.s t3.u t3.v.
HAND_MATRIX = np.array(
    [
        [1, 2, 3, 2, 1, 4, 3, NAN, NAN],
        [1, 3, 2, 1.5, 1.5, 4, 3, 1, 2],
        [2, 1, 3, NAN, NAN, NAN, NAN, 2, 1],
    ]
)


def test_reliability_matrix_puts_missing_rankings_as_nan():
    matrix, units, raters = ranking_reliability_matrix(RANKINGS)
    assert raters == ["a", "b", "c"]
    assert units == [
        ("t1", "x"),
        ("t1", "y"),
        ("t1", "z"),
        ("t2", "p"),
        ("t2", "q"),
        ("t2", "r"),
        ("t2", "s"),
        ("t3", "u"),
        ("t3", "v"),
    ]
    np.testing.assert_array_equal(matrix, HAND_MATRIX)


def test_ranking_alpha_is_krippendorff_ordinal_on_the_hand_built_matrix():
    expected = krippendorff.alpha(reliability_data=HAND_MATRIX, level_of_measurement="ordinal")
    assert ranking_alpha(RANKINGS) == pytest.approx(expected)


def test_missing_reviewer_changes_only_the_units_they_skipped():
    # Dropping reviewer c from t1 equals blanking c's t1 cells by hand.
    without_c = {**RANKINGS, "t1": {k: v for k, v in RANKINGS["t1"].items() if k != "c"}}
    blanked = HAND_MATRIX.copy()
    blanked[2, 0:3] = NAN
    expected = krippendorff.alpha(reliability_data=blanked, level_of_measurement="ordinal")
    assert ranking_alpha(without_c) == pytest.approx(expected)
    assert ranking_alpha(without_c) != pytest.approx(ranking_alpha(RANKINGS))


def test_perfect_agreement_gives_alpha_one():
    same = {
        "t1": {"a": {"x": 1, "y": 2, "z": 3}, "b": {"x": 1, "y": 2, "z": 3}},
        "t2": {
            "a": {"p": 3, "q": 1, "r": 2},
            "b": {"p": 3, "q": 1, "r": 2},
            "c": {"p": 3, "q": 1, "r": 2},
        },
        "t3": {"c": {"u": 2, "v": 1}},
    }
    assert ranking_alpha(same) == pytest.approx(1.0)


def test_reversed_rankings_give_negative_alpha():
    reversed_pairs = {
        "t1": {"a": {"x": 1, "y": 2, "z": 3}, "b": {"x": 3, "y": 2, "z": 1}},
        "t2": {"a": {"p": 1, "q": 2}, "b": {"p": 2, "q": 1}},
    }
    alpha = ranking_alpha(reversed_pairs)
    assert alpha is not None and alpha < 0


def test_alpha_is_none_without_any_unit_ranked_twice():
    assert ranking_alpha({"t1": {"a": {"x": 1, "y": 2}}, "t2": {"b": {"p": 2, "q": 1}}}) is None
    assert ranking_alpha({}) is None


@pytest.mark.parametrize(
    ("rankings", "message"),
    [
        ({"t1": {"a": {"x": 1, "y": 1}}}, r"item 't1': rater 'a'.s ranking .* not a ranking"),
        ({"t1": {"a": {"x": 1, "y": 3}}}, "not a ranking of 2 candidates"),
        (
            {"t1": {"a": {"x": 1, "y": 2}, "b": {"x": 1, "z": 2}}},
            r"item 't1': rater 'b' ranked candidates \['x', 'z'\]",
        ),
    ],
)
def test_invalid_item_rankings_are_rejected_with_a_reason(rankings, message):
    with pytest.raises(ValueError, match=message):
        ranking_alpha(rankings)
