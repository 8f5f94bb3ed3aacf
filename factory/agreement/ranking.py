"""Agreement between reviewers who each rank the same candidates of an item (best = rank 1).

One item: Kendall's coefficient of concordance W over m raters x k candidates, corrected for tied
ranks, with Friedman's chi-square m(k-1)W on k-1 degrees of freedom as its significance test.

Many items: Krippendorff's alpha at the ORDINAL level, from the `krippendorff` package. Units are
(item, candidate), raters are reviewers, values are rank positions; a reviewer who did not rank an
item is a missing value for each of its candidates, so items need not share their reviewers.

A ranking of k candidates is a permutation of 1..k; tied candidates share the mean of the
positions they occupy (midranks: a tie for first of three is 1.5, 1.5, 3). Midranks keep every
ranking's rank sum at k(k+1)/2, which W's expected rank sum and its tie correction both assume.
"""

import math
import warnings
from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

import krippendorff
import numpy as np

# scipy ships no type information; it is installed with scikit-learn.
from scipy.stats import chi2, rankdata  # type: ignore[import-untyped]

ItemKey = TypeVar("ItemKey", bound=Hashable)
CandidateKey = TypeVar("CandidateKey", bound=Hashable)
RaterKey = TypeVar("RaterKey", bound=Hashable)


@dataclass(frozen=True)
class Concordance:
    """Kendall's W of one item and its chi-square test (H0: the raters rank at random)."""

    w: float
    chi_square: float
    degrees_of_freedom: int
    p_value: float
    raters: int
    candidates: int


def check_ranking(ranks: Sequence[float], what: str) -> np.ndarray:
    """The ranks as an array; ValueError unless they are a permutation of 1..k or its midranks."""
    values = np.asarray(ranks, dtype=float)
    if values.ndim != 1 or values.size < 2:
        raise ValueError(f"{what} must rank at least 2 candidates, got {list(ranks)!r}")
    # A valid ranking is exactly what average-ranking its own values gives back.
    if not np.all(np.isfinite(values)) or not np.array_equal(rankdata(values), values):
        raise ValueError(
            f"{what} {list(ranks)!r} is not a ranking of {values.size} candidates: expected a "
            f"permutation of 1..{values.size}, tied candidates sharing the mean of their "
            "positions (e.g. 1.5, 1.5, 3)"
        )
    return values


def tie_correction(ranks: np.ndarray) -> float:
    """Sum over groups of tied ranks of t^3 - t: what ties remove from the maximum rank spread."""
    return float(sum(t**3 - t for t in Counter(ranks.tolist()).values()))


def kendall_w(rankings: Sequence[Sequence[float]]) -> Concordance | None:
    """W = 12 S / (m^2 (k^3 - k) - m T) over rows = raters, columns = candidates.

    S is the squared deviation of the candidates' rank sums from their mean, T the tie correction
    summed over raters. W is 1 when every rater gives the same ranking and 0 when the rank sums
    are all equal (e.g. two reversed rankings). None when every rater tied all candidates: then
    no ordering was expressed and W is 0/0.
    """
    if len(rankings) < 2:
        raise ValueError(f"Kendall's W needs at least 2 raters, got {len(rankings)}")
    rows = [check_ranking(row, f"rater {i}'s ranking") for i, row in enumerate(rankings)]
    sizes = {row.size for row in rows}
    if len(sizes) != 1:
        raise ValueError(f"every rater must rank the same candidates; got sizes {sorted(sizes)}")
    matrix = np.vstack(rows)
    m, k = matrix.shape
    rank_sums = matrix.sum(axis=0)
    spread = float(np.sum((rank_sums - rank_sums.mean()) ** 2))
    ties = sum(tie_correction(row) for row in rows)
    denominator = m**2 * (k**3 - k) - m * ties
    if denominator == 0:
        return None
    w = 12 * spread / denominator
    chi_square = m * (k - 1) * w
    return Concordance(
        w=w,
        chi_square=chi_square,
        degrees_of_freedom=k - 1,
        p_value=float(chi2.sf(chi_square, k - 1)),
        raters=m,
        candidates=k,
    )


def ranking_reliability_matrix(
    rankings: Mapping[ItemKey, Mapping[RaterKey, Mapping[CandidateKey, float]]],
) -> tuple[np.ndarray, list[tuple[ItemKey, CandidateKey]], list[RaterKey]]:
    """Rows = raters, columns = (item, candidate) units, values = rank position, nan = not ranked.

    Every reviewer of an item must rank all of its candidates: a position among a subset of the
    candidates is not comparable with a position among all of them.
    """
    raters: dict[RaterKey, int] = {}
    units: list[tuple[ItemKey, CandidateKey]] = []
    cells: list[tuple[RaterKey, int, float]] = []
    for item, by_rater in rankings.items():
        candidates: list[CandidateKey] | None = None
        for rater, ranking in by_rater.items():
            if candidates is None:
                candidates = list(ranking)
            elif set(ranking) != set(candidates):
                raise ValueError(
                    f"item {item!r}: rater {rater!r} ranked candidates {sorted(map(str, ranking))}"
                    f" but another rater ranked {sorted(map(str, candidates))}"
                )
            ranks = check_ranking(
                [ranking[c] for c in candidates], f"item {item!r}: rater {rater!r}'s ranking"
            )
            raters.setdefault(rater, len(raters))
            cells.extend((rater, len(units) + i, float(r)) for i, r in enumerate(ranks))
        units.extend((item, candidate) for candidate in candidates or [])
    matrix = np.full((len(raters), len(units)), np.nan)
    for rater, column, value in cells:
        matrix[raters[rater], column] = value
    return matrix, units, list(raters)


def ranking_alpha(
    rankings: Mapping[ItemKey, Mapping[RaterKey, Mapping[CandidateKey, float]]],
) -> float | None:
    """Ordinal Krippendorff's alpha over (item, candidate) units; None when undefined.

    Undefined means no unit was ranked by two reviewers, or every pairable value is the same.
    """
    matrix, _, _ = ranking_reliability_matrix(rankings)
    if matrix.size == 0 or not np.any(np.sum(~np.isnan(matrix), axis=0) >= 2):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            value = krippendorff.alpha(reliability_data=matrix, level_of_measurement="ordinal")
    except ValueError:
        # krippendorff raises when there is only one distinct value: agreement is undefined.
        return None
    return None if math.isnan(value) else float(value)
