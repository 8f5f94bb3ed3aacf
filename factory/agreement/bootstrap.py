"""Percentile bootstrap over items: resample the units a figure was computed from."""

from collections.abc import Callable

import numpy as np

from factory.agreement.resampling import BatchStatistic, batched_values

CONFIDENCE = 0.95


def bootstrap_ci(
    n_items: int,
    statistic: Callable[[np.ndarray], float | None],
    *,
    samples: int,
    seed: int,
) -> tuple[float | None, float | None]:
    """95% percentile interval of `statistic(indices)` over `samples` resamples of the items.

    Resamples on which the statistic is undefined (e.g. every item got the same label) are
    skipped; with fewer than half of them defined the interval is reported as unknown.
    """
    if n_items < 2 or samples <= 0:
        return None, None
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(samples):
        value = statistic(rng.integers(0, n_items, size=n_items))
        if value is not None:
            values.append(value)
    return _percentile_interval(np.asarray(values, dtype=float), samples)


def bootstrap_ci_batched(
    n_items: int, statistic: BatchStatistic, *, samples: int, seed: int
) -> tuple[float | None, float | None]:
    """The same interval, with a statistic that evaluates all resamples at once (resampling.py)."""
    if n_items < 2 or samples <= 0:
        return None, None
    values = batched_values(n_items, statistic, samples=samples, seed=seed)
    return _percentile_interval(values[np.isfinite(values)], samples)


def _percentile_interval(values: np.ndarray, samples: int) -> tuple[float | None, float | None]:
    if len(values) < samples / 2:
        return None, None
    tail = (1 - CONFIDENCE) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)
