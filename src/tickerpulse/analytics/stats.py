"""Statistical building blocks: correlations with confidence intervals, FDR control.

Everything here works row-wise on asset × window matrices (one correlation per
row, pairs with a NaN on either side left out), so hundreds of assets cost one
vectorised pass. Every estimate carries its sample size, a confidence interval
and a p-value — a number without its uncertainty is never returned.

:func:`clustered_auc` is the AUC interval for pooled predictions whose rows
are not independent: it measures the spread across whole assets, so whatever
persists within an asset (its volatility, the model's lasting view of it)
widens the interval as it should — it reflects how many assets there are, not
only how many rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

CONFIDENCE = 0.95
MIN_PAIRS = 10
"""Below this many pairs a correlation is reported as NaN (too little data)."""


@dataclass(frozen=True)
class Estimate:
    """One statistic with its uncertainty: value, CI, sample size and p-value."""

    value: float
    ci_low: float
    ci_high: float
    n: int
    p_value: float
    q_value: float | None = None
    method: str = ""


@dataclass(frozen=True)
class RowCorrelation:
    """Correlations of matching rows of two matrices, with Fisher-z intervals."""

    r: np.ndarray
    n: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    p_value: np.ndarray


def pearson_rows(x: np.ndarray, y: np.ndarray, confidence: float = CONFIDENCE) -> RowCorrelation:
    """Pearson r of each row of ``x`` with the same row of ``y`` (pairwise-complete).

    The interval is Fisher's z ± z_(α/2)/√(n − 3); the p-value is the two-sided
    t-test of r = 0 with n − 2 degrees of freedom.
    """
    r, n = _row_r(x, y)
    low, high = fisher_interval(r, n, 1.0 / np.sqrt(np.maximum(n - 3, 1)), confidence)
    return RowCorrelation(r, n, low, high, _t_p_value(r, n))


def spearman_rows(x: np.ndarray, y: np.ndarray, confidence: float = CONFIDENCE) -> RowCorrelation:
    """Spearman ρ of each row pair: Pearson on within-row ranks of the complete pairs.

    The interval uses Fisher's z with the Bonett–Wright standard error
    √((1 + ρ²/2)/(n − 3)), which keeps coverage close to nominal for ranks.
    """
    return rank_correlation(*paired_ranks(x, y), confidence)


def paired_ranks(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Average ranks within each row over the pairs where both values exist (NaN elsewhere)."""
    both = np.isfinite(x) & np.isfinite(y)
    rx = stats.rankdata(np.where(both, x, np.nan), axis=-1, nan_policy="omit")
    ry = stats.rankdata(np.where(both, y, np.nan), axis=-1, nan_policy="omit")
    return rx, ry


def rank_correlation(
    rx: np.ndarray, ry: np.ndarray, confidence: float = CONFIDENCE
) -> RowCorrelation:
    """Spearman ρ from ranks already taken (see :func:`paired_ranks`), with its interval."""
    rho, n = _row_r(rx, ry)
    se = np.sqrt((1.0 + rho**2 / 2.0) / np.maximum(n - 3, 1))
    low, high = fisher_interval(rho, n, se, confidence)
    return RowCorrelation(rho, n, low, high, _t_p_value(rho, n))


def block_bootstrap_correlation(
    x: np.ndarray,
    y: np.ndarray,
    block: int = 8,
    reps: int = 2000,
    confidence: float = CONFIDENCE,
    seed: int = 0,
) -> Estimate:
    """Pearson r of one series pair with a moving-block bootstrap percentile interval.

    Resampling blocks of ``block`` consecutive windows keeps the persistence of
    sentiment inside each block, so the interval stays honest when both series
    are autocorrelated (where Fisher's interval is too narrow). The p-value is
    the t-test's, as in :func:`pearson_rows`.
    """
    ok = np.isfinite(x) & np.isfinite(y)
    xs, ys = x[ok], y[ok]
    n = len(xs)
    point = pearson_rows(xs.reshape(1, -1), ys.reshape(1, -1), confidence)
    if n < max(MIN_PAIRS, 2 * block):
        nan = float("nan")
        return Estimate(float(point.r[0]), nan, nan, n, float(point.p_value[0]), None, "pearson")
    rng = np.random.default_rng(seed)
    starts = rng.integers(0, n - block + 1, size=(reps, -(-n // block)))
    index = (starts[:, :, None] + np.arange(block)).reshape(reps, -1)[:, :n]
    draws = pearson_rows(xs[index], ys[index], confidence).r
    tail = (1.0 - confidence) / 2.0
    low, high = np.nanquantile(draws, [tail, 1.0 - tail])
    return Estimate(
        float(point.r[0]), float(low), float(high), n, float(point.p_value[0]), None, "pearson"
    )


MIN_CLUSTERS = 10
"""Below this many clusters a clustered interval is reported as NaN (too few to estimate spread)."""


def clustered_auc(
    prob: np.ndarray, y: np.ndarray, clusters: np.ndarray, confidence: float = CONFIDENCE
) -> Estimate:
    """ROC AUC with Obuchowski's (1997) cluster-robust interval (clusters: e.g. assets).

    The AUC is the mean over up rows of their *placement* — the share of down
    rows ranked below them (ties count half) — and equally the mean over down
    rows of the share of up rows ranked above. Summing the placements'
    deviations per cluster and taking their spread *across clusters* gives a
    variance that stays honest when rows of one cluster move together (an
    asset's lasting volatility, a model's lasting view of the asset); with one
    row per cluster it is DeLong's iid variance. One sort, no resampling, so it
    costs the same as the AUC itself. The p-value tests AUC = 0.5.

    Args:
        prob: Scores (higher means "up" is more likely).
        y: Outcomes, 1 for up and 0 for down.
        clusters: The cluster (asset) of each row.
        confidence: Interval coverage.

    Returns:
        The AUC; interval and p-value are NaN with fewer than
        :data:`MIN_CLUSTERS` clusters, and everything is NaN without both outcomes.
    """
    nan = float("nan")
    prob, up = np.asarray(prob, dtype="float64"), np.asarray(y) == 1
    codes = np.unique(np.asarray(clusters), return_inverse=True)[1].ravel()
    pos, neg = np.sort(prob[up]), np.sort(prob[~up])
    m, n = len(pos), len(neg)
    if m == 0 or n == 0:
        return Estimate(nan, nan, nan, len(up), nan, None, "auc")
    v10 = (np.searchsorted(neg, prob[up], "left") + np.searchsorted(neg, prob[up], "right")) / (
        2.0 * n
    )
    v01 = 1.0 - (
        np.searchsorted(pos, prob[~up], "left") + np.searchsorted(pos, prob[~up], "right")
    ) / (2.0 * m)
    auc = float(v10.mean())
    k = int(codes.max()) + 1
    present = np.bincount(codes, minlength=k) > 0
    if int(present.sum()) < MIN_CLUSTERS:
        return Estimate(auc, nan, nan, len(up), nan, None, "auc")
    d10 = np.bincount(codes[up], v10 - auc, minlength=k)[present]
    d01 = np.bincount(codes[~up], v01 - auc, minlength=k)[present]
    scale = d10.size / (d10.size - 1)
    var = float(d10 @ d10 / m**2 + d01 @ d01 / n**2 + 2.0 * float(d10 @ d01) / (m * n))
    se = float(np.sqrt(max(scale * var, 1e-12)))
    z = float(stats.norm.ppf(0.5 + confidence / 2.0))
    p_value = float(2 * stats.norm.sf(abs(auc - 0.5) / se))
    low, high = max(auc - z * se, 0.0), min(auc + z * se, 1.0)
    return Estimate(auc, low, high, len(up), p_value, None, "auc")


def fisher_interval(
    r: np.ndarray, n: np.ndarray, se: np.ndarray, confidence: float = CONFIDENCE
) -> tuple[np.ndarray, np.ndarray]:
    """Back-transformed Fisher-z interval around ``r`` with z-scale standard error ``se``."""
    z = np.arctanh(np.clip(r, -0.999999, 0.999999))
    half = stats.norm.ppf(0.5 + confidence / 2.0) * se
    low, high = np.tanh(z - half), np.tanh(z + half)
    bad = ~np.isfinite(r) | (n < MIN_PAIRS)
    return np.where(bad, np.nan, low), np.where(bad, np.nan, high)


def benjamini_hochberg(p_values: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (q-values) controlling the false discovery rate.

    NaN p-values stay NaN and do not count as tests. Reject at FDR level α
    wherever q ≤ α.
    """
    p = np.asarray(p_values, dtype="float64")
    q = np.full_like(p, np.nan)
    ok = np.isfinite(p)
    m = int(ok.sum())
    if m == 0:
        return q
    order = np.argsort(p[ok])
    ranked = p[ok][order] * m / np.arange(1, m + 1)
    adjusted = np.minimum(1.0, np.minimum.accumulate(ranked[::-1])[::-1])
    out = np.empty(m)
    out[order] = adjusted
    q[ok] = out
    return q


def mean_interval(
    values: np.ndarray, confidence: float = CONFIDENCE, axis: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Mean, t-interval low/high and count along ``axis``, ignoring NaN."""
    n = np.sum(np.isfinite(values), axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nanmean(values, axis=axis) if values.size else np.full(n.shape, np.nan)
        sd = np.nanstd(values, axis=axis, ddof=1) if values.size else np.full(n.shape, np.nan)
        t = stats.t.ppf(0.5 + confidence / 2.0, np.maximum(n - 1, 1))
        half = t * sd / np.sqrt(n)
    half = np.where(n >= 2, half, np.nan)
    return mean, mean - half, mean + half, n


def wilson_interval(
    successes: int, n: int, confidence: float = CONFIDENCE
) -> tuple[float, float, float]:
    """Proportion with its Wilson score interval (good near 0 and 1 and for small n)."""
    if n == 0:
        return float("nan"), float("nan"), float("nan")
    z = float(stats.norm.ppf(0.5 + confidence / 2.0))
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return p, float(centre - half), float(centre + half)


def _row_r(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    both = np.isfinite(x) & np.isfinite(y)
    n = both.sum(axis=-1)
    xm = np.where(both, x, 0.0)
    ym = np.where(both, y, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mx = xm.sum(axis=-1) / n
        my = ym.sum(axis=-1) / n
        dx = np.where(both, x - mx[..., None], 0.0)
        dy = np.where(both, y - my[..., None], 0.0)
        r = (dx * dy).sum(axis=-1) / np.sqrt((dx**2).sum(axis=-1) * (dy**2).sum(axis=-1))
    r = np.where(n >= MIN_PAIRS, r, np.nan)
    return r, n


def _t_p_value(r: np.ndarray, n: np.ndarray) -> np.ndarray:
    df = np.maximum(n - 2, 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = r * np.sqrt(df / np.maximum(1.0 - r**2, 1e-300))
    p = 2.0 * stats.t.sf(np.abs(t), df)
    return np.where(np.isfinite(r), p, np.nan)
