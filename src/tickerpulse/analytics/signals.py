"""Signals derived from the panel: per-class sentiment, mention volume and its z-score.

All transforms are causal — the value at window ``t`` uses windows ``≤ t``
only — because the same signals feed the predictors, where a peek at the
future would be a leak. Matrices are asset × window.
"""

from __future__ import annotations

import numpy as np

from tickerpulse.analytics.panel import PanelArrays

SIGNALS: tuple[str, ...] = ("sentiment", "mentions", "mention_z")
Z_LOOKBACK = 28
"""Windows (7 days) of history a mention z-score compares against."""
Z_CAP = 10.0
MIN_STD = 1e-6
"""Spreads below this are rounding noise of the running sums (signals are O(1))."""


def shift(matrix: np.ndarray, k: int) -> np.ndarray:
    """Value of window ``t + k`` at column ``t`` (``k > 0`` looks ahead), NaN-padded."""
    out = np.full(matrix.shape, np.nan)
    if k == 0:
        return matrix.astype("float64", copy=True)
    if abs(k) >= matrix.shape[1]:
        return out
    if k > 0:
        out[:, :-k] = matrix[:, k:]
    else:
        out[:, -k:] = matrix[:, :k]
    return out


def trailing_sum(matrix: np.ndarray, length: int) -> tuple[np.ndarray, np.ndarray]:
    """Sum and count of finite values over windows ``t - length + 1 … t`` (inclusive)."""
    finite = np.isfinite(matrix)
    values = np.where(finite, matrix, 0.0)
    csum = np.cumsum(values, axis=1)
    ccount = np.cumsum(finite, axis=1)
    total, count = csum.copy(), ccount.astype("float64")
    total[:, length:] -= csum[:, :-length]
    count[:, length:] -= ccount[:, :-length]
    return total, count


def trailing_std(matrix: np.ndarray, length: int, min_count: int = 5) -> np.ndarray:
    """Standard deviation over windows ``t - length + 1 … t`` (``t`` included)."""
    s1, n = trailing_sum(matrix, length)
    s2, _ = trailing_sum(matrix**2, length)
    with np.errstate(invalid="ignore", divide="ignore"):
        var = (s2 - s1**2 / n) / (n - 1)
    out: np.ndarray = np.where(n >= min_count, np.sqrt(np.maximum(var, 0.0)), np.nan)
    return out


def trailing_mean_std(
    matrix: np.ndarray, length: int, min_count: int = 5
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation over the ``length`` windows *before* ``t`` (``t`` excluded)."""
    past = shift(matrix, -1)
    s1, n = trailing_sum(past, length)
    s2, _ = trailing_sum(past**2, length)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = s1 / n
        var = (s2 - n * mean**2) / (n - 1)
    ok = n >= min_count
    return np.where(ok, mean, np.nan), np.where(ok, np.sqrt(np.maximum(var, 0.0)), np.nan)


def trailing_zscore(matrix: np.ndarray, length: int = Z_LOOKBACK) -> np.ndarray:
    """How unusual window ``t`` is against the ``length`` windows before it.

    A flat history (all the same value, e.g. never mentioned) has no spread to
    compare against, so its z-score is NaN rather than an overflow of rounding
    noise; scores are capped at ±:data:`Z_CAP`.
    """
    mean, std = trailing_mean_std(matrix, length)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.clip((matrix - mean) / std, -Z_CAP, Z_CAP)
    return np.where(std > MIN_STD, z, np.nan)


def class_signals(arrays: PanelArrays, source_class: str) -> dict[str, np.ndarray]:
    """Sentiment, log mention volume and mention z-score of one source class."""
    mentions = np.log1p(arrays[f"mentions_{source_class}"])
    return {
        "sentiment": arrays[f"sentiment_{source_class}"],
        "mentions": mentions,
        "mention_z": trailing_zscore(mentions),
    }
