"""The two agreement statistics over many bootstrap resamples at once.

The point estimates call scikit-learn and krippendorff directly (metrics.py). A bootstrap calls
them a thousand times per cell, though, and each call costs milliseconds of input checking, which
made a single batch's report take minutes. Both statistics are functions of a count table that is
a sum over items (kappa: the confusion matrix; alpha: the coincidence matrix), so a resample is a
weighted sum of per-item tables and all resamples are one matrix product. The formulas are the
libraries' own (sklearn's `cohen_kappa_score`, krippendorff's `alpha`), and the tests check the
results equal theirs on every resample.
"""

from collections.abc import Callable

import numpy as np

from factory.agreement.metrics import PREFERENCE_LABELS, SCORE_DOMAIN

CHUNK_BYTES = 64 * 2**20  # bounds the (resamples x items) count matrix of one chunk

BatchStatistic = Callable[[np.ndarray], np.ndarray]
"""Counts (resamples x items: how often each item was drawn) -> one value per resample, NaN
where the statistic is undefined on that resample."""


def resample_counts(n_items: int, samples: int, rng: np.random.Generator) -> np.ndarray:
    """How often each item is drawn in each of `samples` resamples of size `n_items`."""
    draws = rng.integers(0, n_items, size=(samples, n_items))
    offsets = np.arange(samples)[:, None] * n_items
    return np.bincount((draws + offsets).ravel(), minlength=samples * n_items).reshape(
        samples, n_items
    )


def batched_values(
    n_items: int, statistic: BatchStatistic, *, samples: int, seed: int
) -> np.ndarray:
    """`statistic` on `samples` resamples, drawn in chunks that keep memory bounded."""
    rng = np.random.default_rng(seed)
    per_chunk = max(1, CHUNK_BYTES // (8 * max(n_items, 1)))
    values = []
    for start in range(0, samples, per_chunk):
        values.append(statistic(resample_counts(n_items, min(per_chunk, samples - start), rng)))
    return np.concatenate(values) if values else np.empty(0)


def _one_hot_pairs(pairs: np.ndarray) -> np.ndarray:
    """(items x labels²): each item's cell of the confusion matrix."""
    k = len(PREFERENCE_LABELS)
    first = pairs[:, 0] - PREFERENCE_LABELS[0]
    second = pairs[:, 1] - PREFERENCE_LABELS[0]
    table = np.zeros((len(pairs), k * k))
    table[np.arange(len(pairs)), first * k + second] = 1.0
    return table


def kappa_statistic(pairs: np.ndarray) -> BatchStatistic:
    """Quadratically weighted Cohen's kappa of the two rater columns of `pairs` (items x 2)."""
    k = len(PREFERENCE_LABELS)
    per_item = _one_hot_pairs(np.asarray(pairs, dtype=np.int64))
    labels = np.arange(k)
    weights = (labels[:, None] - labels[None, :]) ** 2.0

    def statistic(counts: np.ndarray) -> np.ndarray:
        confusion = (counts @ per_item).reshape(-1, k, k)
        total = confusion.sum(axis=(1, 2))
        rows, columns = confusion.sum(axis=2), confusion.sum(axis=1)
        expected = rows[:, :, None] * columns[:, None, :] / total[:, None, None]
        observed_cost = (weights * confusion).sum(axis=(1, 2))
        expected_cost = (weights * expected).sum(axis=(1, 2))
        with np.errstate(divide="ignore", invalid="ignore"):
            return 1.0 - observed_cost / expected_cost

    return statistic


def _unit_coincidences(matrix: np.ndarray) -> np.ndarray:
    """(units x values²): each unit's share of the coincidence matrix, as krippendorff counts it."""
    domain = np.asarray(SCORE_DOMAIN, dtype=float)
    value_counts = (matrix.T[:, :, None] == domain[None, None, :]).sum(axis=1).astype(float)
    v = len(domain)
    pairable = np.maximum(value_counts.sum(axis=1), 2)
    pairs = value_counts[:, :, None] * value_counts[:, None, :]
    pairs -= value_counts[:, None, :] * np.eye(v)[None, :, :]
    return (pairs / (pairable - 1)[:, None, None]).reshape(len(value_counts), v * v)


def _ordinal_distances(n_v: np.ndarray) -> np.ndarray:
    """krippendorff's ordinal metric for every pair of values, per resample (resamples x V x V)."""
    v = n_v.shape[1]
    cumulative = np.concatenate([np.zeros((len(n_v), 1)), np.cumsum(n_v, axis=1)], axis=1)
    low = np.minimum(np.arange(v)[:, None], np.arange(v)[None, :])
    high = np.maximum(np.arange(v)[:, None], np.arange(v)[None, :])
    between = cumulative[:, high + 1] - cumulative[:, low]
    return (between - (n_v[:, low] + n_v[:, high]) / 2) ** 2


def alpha_statistic(matrix: np.ndarray) -> BatchStatistic:
    """Krippendorff's ordinal alpha of a reliability matrix (raters x units, NaN = missing)."""
    per_unit = _unit_coincidences(np.asarray(matrix, dtype=float))
    v = len(SCORE_DOMAIN)

    def statistic(counts: np.ndarray) -> np.ndarray:
        observed = (counts @ per_unit).reshape(-1, v, v)
        n_v = observed.sum(axis=1)
        n = n_v.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            expected = (n_v[:, :, None] * n_v[:, None, :] - n_v[:, None, :] * np.eye(v)) / (n - 1)[
                :, None, None
            ]
            distances = _ordinal_distances(n_v)
            return 1.0 - (observed * distances).sum(axis=(1, 2)) / (expected * distances).sum(
                axis=(1, 2)
            )

    return statistic
