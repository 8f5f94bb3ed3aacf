"""The batched bootstrap statistics equal scikit-learn's and krippendorff's on every resample."""

import numpy as np
import pytest

from factory.agreement.bootstrap import bootstrap_ci_batched
from factory.agreement.metrics import ordinal_alpha, preference_kappa
from factory.agreement.resampling import (
    alpha_statistic,
    batched_values,
    kappa_statistic,
    resample_counts,
)


def _expand(counts: np.ndarray) -> np.ndarray:
    """The item indices a row of counts stands for."""
    return np.repeat(np.arange(len(counts)), counts)


def _library(value: float | None) -> float:
    return np.nan if value is None else value


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_kappa_on_each_resample_equals_scikit_learn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    first = rng.integers(-3, 4, size=25)
    second = np.clip(first + rng.integers(-2, 3, size=25), -3, 3)
    pairs = np.column_stack([first, second])
    counts = resample_counts(len(pairs), 40, np.random.default_rng(seed))
    batched = kappa_statistic(pairs)(counts)
    for row, value in zip(counts, batched, strict=True):
        idx = _expand(row)
        expected = _library(preference_kappa(pairs[idx, 0], pairs[idx, 1]))
        np.testing.assert_allclose(value, expected, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_alpha_on_each_resample_equals_krippendorff(seed: int) -> None:
    rng = np.random.default_rng(seed)
    truth = rng.integers(1, 6, size=30)
    matrix = np.clip(truth + rng.integers(-1, 2, size=(3, 30)), 1, 5).astype(float)
    matrix[rng.random((3, 30)) < 0.3] = np.nan  # missing reviews
    matrix = matrix[:, np.sum(~np.isnan(matrix), axis=0) >= 2]
    counts = resample_counts(matrix.shape[1], 40, np.random.default_rng(seed))
    batched = alpha_statistic(matrix)(counts)
    for row, value in zip(counts, batched, strict=True):
        expected = _library(ordinal_alpha(matrix[:, _expand(row)]))
        np.testing.assert_allclose(value, expected, rtol=1e-9, atol=1e-12)


def test_undefined_resamples_are_nan_and_left_out_of_the_interval() -> None:
    # Every item labelled the same way by both raters: kappa and alpha are undefined.
    same = np.array([[1, 1]] * 6)
    draws = resample_counts(6, 5, np.random.default_rng(0))
    assert np.isnan(kappa_statistic(same)(draws)).all()
    assert bootstrap_ci_batched(6, kappa_statistic(same), samples=50, seed=0) == (None, None)
    assert np.isnan(alpha_statistic(np.full((2, 6), 4.0))(draws)).all()


def test_resample_counts_draw_each_resample_at_full_size() -> None:
    counts = resample_counts(9, 20, np.random.default_rng(0))
    assert counts.shape == (20, 9)
    assert (counts.sum(axis=1) == 9).all()


def test_chunks_bound_memory_without_changing_the_draws(monkeypatch: pytest.MonkeyPatch) -> None:
    pairs = np.column_stack([np.arange(-3, 4), np.arange(-3, 4)[::-1]])
    whole = batched_values(7, kappa_statistic(pairs), samples=30, seed=3)
    monkeypatch.setattr("factory.agreement.resampling.CHUNK_BYTES", 8 * 7 * 4)  # 4 per chunk
    chunked = batched_values(7, kappa_statistic(pairs), samples=30, seed=3)
    np.testing.assert_array_equal(chunked, whole)
