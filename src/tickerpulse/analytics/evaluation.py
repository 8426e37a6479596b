"""Scoring out-of-sample predictions: AUC, hit rate, Brier score, and a paper-trading curve.

Every score comes with its sample size and a 95 % interval. The AUC's is
clustered by asset (:func:`~tickerpulse.analytics.stats.clustered_auc`): a
pooled model's view of an asset persists from window to window, so its rows
are not independent and an iid interval would be too narrow; with fewer than
ten assets it falls back to the Hanley–McNeil (iid) interval. The hit rate
has the Wilson interval, the Brier score and the mean trading return
t-intervals; those treat rows as independent and are too narrow when rows move
together (real markets), one more reason to read them as a ceiling on
confidence.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.metrics import roc_auc_score

from tickerpulse.analytics.panel import WINDOWS_PER_YEAR
from tickerpulse.analytics.stats import (
    CONFIDENCE,
    MIN_CLUSTERS,
    Estimate,
    clustered_auc,
    wilson_interval,
)


@dataclass(frozen=True)
class Scores:
    """Out-of-sample quality of one model's direction probabilities."""

    model: str
    auc: Estimate
    hit_rate: Estimate
    brier: Estimate

    def as_dict(self) -> dict[str, float]:
        """Flat numbers for an artifact record or a table."""
        out: dict[str, float] = {}
        for name in ("auc", "hit_rate", "brier"):
            est: Estimate = getattr(self, name)
            out |= {
                name: est.value,
                f"{name}_ci_low": est.ci_low,
                f"{name}_ci_high": est.ci_high,
                f"{name}_p_value": est.p_value,
            }
        out["n"] = float(self.auc.n)
        return out


def score(
    model: str, prob_up: np.ndarray, up: np.ndarray, clusters: np.ndarray | None = None
) -> Scores:
    """AUC, hit rate (direction = prob > 0.5) and Brier score, with intervals.

    Args:
        model: The model's name.
        prob_up: Predicted probabilities of "up".
        up: Outcomes (1 up, 0 down; NaN rows are left out).
        clusters: The asset of each row: the AUC interval is then clustered by
            asset when there are at least ten assets.
    """
    ok = np.isfinite(prob_up) & np.isfinite(up)
    p, y = prob_up[ok], up[ok].astype(int)
    if clusters is not None and len(np.unique(clusters[ok])) >= MIN_CLUSTERS:
        auc = clustered_auc(p, y, clusters[ok])
    else:
        auc = auc_estimate(p, y)
    return Scores(model, auc, hit_rate_estimate(p, y), brier_estimate(p, y))


def auc_estimate(prob: np.ndarray, y: np.ndarray, confidence: float = CONFIDENCE) -> Estimate:
    """ROC AUC with the Hanley–McNeil (1982) interval; p-value tests AUC = 0.5."""
    n_pos, n_neg = int(y.sum()), int(len(y) - y.sum())
    if n_pos == 0 or n_neg == 0:
        return Estimate(float("nan"), float("nan"), float("nan"), len(y), float("nan"), None, "auc")
    auc = float(roc_auc_score(y, prob))
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    var = (auc * (1 - auc) + (n_pos - 1) * (q1 - auc**2) + (n_neg - 1) * (q2 - auc**2)) / (
        n_pos * n_neg
    )
    se = float(np.sqrt(max(var, 1e-12)))
    # under AUC = 0.5 the variance is (n_pos + n_neg + 1) / (12 n_pos n_neg)
    se0 = float(np.sqrt((n_pos + n_neg + 1) / (12 * n_pos * n_neg)))
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    p_value = float(2 * stats.norm.sf(abs(auc - 0.5) / se0))
    return Estimate(auc, auc - z * se, auc + z * se, len(y), p_value, None, "auc")


def hit_rate_estimate(prob: np.ndarray, y: np.ndarray) -> Estimate:
    """Share of rows whose called direction (up if prob > 0.5) was right, Wilson interval.

    The p-value tests against the better of the two constant calls (always up
    or always down), not against 50 %: in a rising market "always up" already
    beats a coin.
    """
    hits = int(np.sum((prob > 0.5) == (y == 1)))
    rate, low, high = wilson_interval(hits, len(y))
    base = max(float(np.mean(y)), 1 - float(np.mean(y))) if len(y) else 0.5
    p_value = float(stats.binomtest(hits, len(y), base).pvalue) if len(y) else float("nan")
    return Estimate(rate, low, high, len(y), p_value, None, "hit_rate")


def brier_estimate(prob: np.ndarray, y: np.ndarray, confidence: float = CONFIDENCE) -> Estimate:
    """Mean squared error of the probabilities (lower is better; 0.25 is a coin)."""
    errors = (prob - y) ** 2
    n = len(errors)
    if n < 2:
        return Estimate(float("nan"), float("nan"), float("nan"), n, float("nan"), None, "brier")
    mean, se = float(errors.mean()), float(errors.std(ddof=1) / np.sqrt(n))
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * se
    p_value = float(2 * stats.t.sf(abs(mean - 0.25) / se, n - 1)) if se > 0 else float("nan")
    return Estimate(mean, mean - half, mean + half, n, p_value, None, "brier")


@dataclass(frozen=True)
class TradingResult:
    """A long/short paper portfolio following one model, after costs."""

    model: str
    curve: pd.DataFrame
    mean_return: Estimate
    total_return: float
    sharpe: float
    cost_bps: float


def paper_trade(
    predictions: pd.DataFrame, model: str, cost_bps: float = 5.0, band: float = 0.0
) -> TradingResult:
    """Equal-weight long/short portfolio: long where prob_up > 0.5 + band, short below 0.5 − band.

    Args:
        predictions: rows with ``asset_id``, ``window_start``, ``prob_up`` and
            ``next_return`` (the realised return of the window after).
        model: the name to report.
        cost_bps: cost per unit of position changed, in basis points.
        band: a no-trade zone around 0.5.

    Returns:
        The curve per window (``gross``, ``cost``, ``net``, ``equity``) and the
        mean net return per window with its t-interval.
    """
    frame = predictions.sort_values(["asset_id", "window_start"])
    prob = frame["prob_up"].to_numpy()
    tradable = np.isfinite(frame["next_return"].to_numpy())
    position = np.where(prob > 0.5 + band, 1.0, np.where(prob < 0.5 - band, -1.0, 0.0))
    position = np.where(tradable, position, 0.0)
    previous = frame.assign(position=position).groupby("asset_id")["position"].shift(1)
    turnover = np.abs(position - previous.fillna(0.0).to_numpy())
    frame = frame.assign(
        pnl=position * np.nan_to_num(frame["next_return"].to_numpy()),
        turnover=turnover,
        active=tradable.astype(float),
    )
    per_window = frame.groupby("window_start")[["pnl", "turnover", "active"]].sum()
    width = per_window["active"].where(per_window["active"] > 0)
    gross = (per_window["pnl"] / width).fillna(0.0)
    cost = (per_window["turnover"] / width).fillna(0.0) * cost_bps / 1e4
    net = gross - cost
    curve = pd.DataFrame(
        {"gross": gross, "cost": cost, "net": net, "equity": (1.0 + net).cumprod()}
    ).reset_index()
    values = net.to_numpy()
    n = len(values)
    mean = float(values.mean()) if n else float("nan")
    sd = float(values.std(ddof=1)) if n > 1 else float("nan")
    se = sd / np.sqrt(n) if n > 1 else float("nan")
    half = float(stats.t.ppf(0.5 + CONFIDENCE / 2, max(n - 1, 1))) * se
    p_value = float(2 * stats.t.sf(abs(mean / se), n - 1)) if se > 0 else float("nan")
    sharpe = mean / sd * np.sqrt(WINDOWS_PER_YEAR) if sd > 0 else float("nan")
    total = float(curve["equity"].iloc[-1] - 1.0) if n else float("nan")
    estimate = Estimate(mean, mean - half, mean + half, n, p_value, None, "mean_net_return")
    return TradingResult(model, curve, estimate, total, float(sharpe), cost_bps)
