"""Plain-language verdicts that never claim more than the numbers support.

A verdict always shows the estimate, its 95 % interval and the sample size,
and calls a result significant only when the (multiple-testing corrected,
where available) p-value is below α *and* the interval excludes the null
value. Significant relations are described as associations in past data;
only a walk-forward AUC above chance earns the word "predictive", and even
then its size is stated.
"""

from __future__ import annotations

import math

import pandas as pd

from tickerpulse.analytics.stats import Estimate

ALPHA = 0.05
MIN_N = 30
SYMBOLS = {"pearson": "r", "spearman": "ρ", "auc": "AUC", "information_coefficient": "IC"}


def verdict(estimate: Estimate, alpha: float = ALPHA, min_n: int = MIN_N) -> str:
    """One sentence on ``estimate`` (a correlation, an AUC, a CAR or a trading return)."""
    numbers = _numbers(estimate)
    if estimate.n < min_n or not math.isfinite(estimate.value):
        return f"too little data to judge ({numbers})"
    null = 0.5 if estimate.method == "auc" else 0.0
    significant = _significant(estimate, null, alpha)
    if estimate.method == "auc":
        return _auc_sentence(estimate, significant, numbers)
    if estimate.method in ("mean_car", "mean_net_return"):
        return _mean_sentence(estimate, significant, numbers)
    if not significant:
        return f"no significant relation ({numbers})"
    direction = "positive" if estimate.value > 0 else "negative"
    return (
        f"{_strength(abs(estimate.value))} {direction} relation ({numbers}) — "
        "an association in past data, not by itself a forecast"
    )


def frame_verdicts(frame: pd.DataFrame, value: str = "r", method: str | None = None) -> pd.Series:
    """A verdict per row of a results table (``r``/``mean_car`` plus ``ci_*``, ``n``, p, q)."""
    out = []
    for row in frame.itertuples(index=False):
        data = row._asdict()
        q = data.get("q_value")
        estimate = Estimate(
            value=float(data[value]),
            ci_low=float(data["ci_low"]),
            ci_high=float(data["ci_high"]),
            n=int(data.get("n", data.get("n_events", 0))),
            p_value=float(data.get("p_value", math.nan)),
            q_value=None if q is None or not math.isfinite(q) else float(q),
            method=method or str(data.get("method", "")),
        )
        out.append(verdict(estimate))
    return pd.Series(out, index=frame.index, dtype="object")


def _significant(estimate: Estimate, null: float, alpha: float) -> bool:
    p = estimate.q_value if estimate.q_value is not None else estimate.p_value
    excludes = not (estimate.ci_low <= null <= estimate.ci_high)
    return math.isfinite(p) and p < alpha and excludes


def _numbers(estimate: Estimate) -> str:
    symbol = SYMBOLS.get(estimate.method, estimate.method or "value")
    low, high = _fmt(estimate.ci_low, estimate.method), _fmt(estimate.ci_high, estimate.method)
    parts = [
        f"{symbol} = {_fmt(estimate.value, estimate.method)}",
        f"95% CI {low}…{high}",
        f"n = {estimate.n:,}",
    ]
    if estimate.q_value is not None:
        parts.append(f"BH q = {_p(estimate.q_value)}")
    elif math.isfinite(estimate.p_value):
        parts.append(f"p = {_p(estimate.p_value)}")
    return ", ".join(parts)


def _auc_sentence(estimate: Estimate, significant: bool, numbers: str) -> str:
    if not significant:
        return f"no better than a coin flip out of sample ({numbers})"
    if estimate.value < 0.5:
        return f"worse than a coin flip out of sample ({numbers}) — do not use"
    size = (
        "slightly" if estimate.value < 0.55 else "modestly" if estimate.value < 0.6 else "clearly"
    )
    return (
        f"{size} better than a coin flip out of sample ({numbers}); past performance, "
        "before the costs of acting on it"
    )


def _mean_sentence(estimate: Estimate, significant: bool, numbers: str) -> str:
    if not significant:
        return f"no significant move ({numbers})"
    direction = "up" if estimate.value > 0 else "down"
    return f"significant average move {direction} ({numbers}) — in past data"


def _strength(r: float) -> str:
    if r < 0.1:
        return "very weak"
    if r < 0.3:
        return "weak"
    if r < 0.5:
        return "moderate"
    return "strong"


def _fmt(value: float, method: str) -> str:
    if not math.isfinite(value):
        return "n/a"
    if method in ("mean_car", "mean_net_return"):
        return f"{value * 100:+.2f}%".replace("-", "−")
    return f"{value:.2f}".replace("-", "−")


def _p(p: float) -> str:
    return "<0.001" if p < 0.001 else f"{p:.3f}"
