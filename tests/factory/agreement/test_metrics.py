"""Agreement statistics: kappa and alpha equal direct scikit-learn / krippendorff calls, undefined
cases come back as None, and the bootstrap interval brackets the point estimate."""

import krippendorff
import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from factory.agreement.bootstrap import bootstrap_ci
from factory.agreement.gold import same_direction
from factory.agreement.metrics import (
    ordinal_alpha,
    pairable_units,
    preference_kappa,
    reliability_matrix,
)

KAPPA_CASES = [
    ([-3, -2, 0, 1, 3, 2], [-3, -1, 0, 2, 3, 1]),
    ([-2, -2, 2, 2, 1, -1, 0], [2, 2, -2, -2, -1, 1, 0]),
    ([1, 2, 3, -1], [1, 2, 3, -1]),
]


@pytest.mark.parametrize(("first", "second"), KAPPA_CASES)
def test_preference_kappa_is_sklearn_quadratic_weighted_kappa(first, second):
    expected = cohen_kappa_score(first, second, labels=list(range(-3, 4)), weights="quadratic")
    assert preference_kappa(first, second) == pytest.approx(expected)


def test_reversed_preferences_give_negative_kappa_and_identical_give_one():
    assert preference_kappa([1, 2, 3, -1], [1, 2, 3, -1]) == pytest.approx(1.0)
    assert preference_kappa([-2, -2, 2, 2], [2, 2, -2, -2]) < 0


@pytest.mark.parametrize(
    ("first", "second"), [([], []), ([2, 2, 2], [2, 2, 2])], ids=["empty", "constant"]
)
def test_undefined_kappa_is_none(first, second):
    assert preference_kappa(first, second) is None


ALPHA_CASES = [
    {("t1", 1): {1: 5, 2: 4}, ("t1", 2): {1: 2, 2: 2}, ("t2", 3): {1: 3, 2: 4, 3: 3}},
    {("t1", 1): {1: 1, 2: 5}, ("t1", 2): {1: 5, 2: 1}, ("t2", 3): {2: 3, 3: 2}, ("t3", 4): {1: 4}},
]


@pytest.mark.parametrize("units", ALPHA_CASES)
def test_ordinal_alpha_is_krippendorff_with_missing_values(units):
    matrix, keys = reliability_matrix(units)
    assert matrix.shape == (len({r for u in units.values() for r in u}), len(units))
    expected = krippendorff.alpha(
        reliability_data=matrix, level_of_measurement="ordinal", value_domain=[1, 2, 3, 4, 5]
    )
    assert ordinal_alpha(matrix) == pytest.approx(expected)
    assert np.isnan(matrix).any() == any(len(u) < matrix.shape[0] for u in units.values())


def test_alpha_counts_only_units_scored_twice_and_is_none_without_them():
    matrix, _ = reliability_matrix({"a": {1: 3}, "b": {1: 4, 2: 4}, "c": {2: 1}})
    assert pairable_units(matrix) == 1
    single, _ = reliability_matrix({"a": {1: 3}, "b": {2: 4}})
    assert pairable_units(single) == 0
    assert ordinal_alpha(single) is None


def test_bootstrap_interval_brackets_the_estimate_and_is_reproducible():
    first = np.array([-3, -2, 0, 1, 3, 2, -1, 2, 1, -2] * 3)
    second = np.array([-3, -1, 0, 2, 3, 1, -1, 2, 0, -2] * 3)

    def statistic(indices):
        return preference_kappa(first[indices], second[indices])

    low, high = bootstrap_ci(len(first), statistic, samples=200, seed=1)
    assert low < preference_kappa(first, second) < high
    assert (low, high) == bootstrap_ci(len(first), statistic, samples=200, seed=1)
    assert bootstrap_ci(1, statistic, samples=200, seed=1) == (None, None)


@pytest.mark.parametrize(
    ("answer", "gold", "correct"),
    [(-3, -2, True), (-1, -2, True), (2, 3, True), (0, 0, True), (1, -2, False), (0, 2, False)],
)
def test_gold_answer_is_correct_when_it_points_the_same_way(answer, gold, correct):
    assert same_direction(answer, gold) is correct
