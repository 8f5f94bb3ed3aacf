"""The two agreement statistics, each a direct call to its library on data shaped for it.

Preference: Cohen's kappa with QUADRATIC weights over the seven-point scale -3..+3, on tasks with
at least two reviews (the first two submitted reviews of each task form the two rater columns).
Quadratic weights make a one-step disagreement (+1 vs +2) cost far less than a reversal (-2 vs +2).

Dimensions: Krippendorff's alpha at the ORDINAL level over the 1-5 scores; units are
(task, candidate), raters are reviewers, and a reviewer who did not score a unit is a missing
value, so any number of reviewers per unit works.
"""

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import TypeVar

import krippendorff
import numpy as np
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import cohen_kappa_score

from factory.vocab import PREFERENCE_MAX, PREFERENCE_MIN, SCORE_MAX, SCORE_MIN

PREFERENCE_LABELS = list(range(PREFERENCE_MIN, PREFERENCE_MAX + 1))
SCORE_DOMAIN = list(range(SCORE_MIN, SCORE_MAX + 1))
KAPPA_WEIGHTS = "quadratic"

UnitKey = TypeVar("UnitKey")


def preference_kappa(
    first: Sequence[int] | np.ndarray, second: Sequence[int] | np.ndarray
) -> float | None:
    """Weighted kappa of two aligned rater columns; None when undefined (no items, no variance)."""
    if len(first) == 0:
        return None
    with warnings.catch_warnings():
        # A constant column makes kappa 0/0; scikit-learn warns and returns nan, reported as None.
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        value = cohen_kappa_score(first, second, labels=PREFERENCE_LABELS, weights=KAPPA_WEIGHTS)
    return None if math.isnan(value) else float(value)


def reliability_matrix(
    units: Mapping[UnitKey, Mapping[int, int]],
) -> tuple[np.ndarray, list[UnitKey]]:
    """Rows = raters, columns = units, nan where a rater did not score the unit."""
    raters = sorted({rater for ratings in units.values() for rater in ratings})
    keys = list(units)
    matrix = np.full((len(raters), len(keys)), np.nan)
    row_of = {rater: i for i, rater in enumerate(raters)}
    for column, key in enumerate(keys):
        for rater, value in units[key].items():
            matrix[row_of[rater], column] = value
    return matrix, keys


def ordinal_alpha(matrix: np.ndarray) -> float | None:
    """Krippendorff's ordinal alpha; None when undefined (fewer than two values to compare)."""
    if matrix.size == 0 or (np.sum(~np.isnan(matrix), axis=0) >= 2).sum() == 0:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            value = krippendorff.alpha(
                reliability_data=matrix,
                level_of_measurement="ordinal",
                value_domain=SCORE_DOMAIN,
            )
    except ValueError:
        # krippendorff raises when every pairable value is the same: agreement is undefined.
        return None
    return None if math.isnan(value) else float(value)


def pairable_units(matrix: np.ndarray) -> int:
    """Units scored by at least two raters: the only ones alpha learns from."""
    if matrix.size == 0:
        return 0
    return int((np.sum(~np.isnan(matrix), axis=0) >= 2).sum())
