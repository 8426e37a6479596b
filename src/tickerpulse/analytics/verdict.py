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
AUC_NEGLIGIBLE = 0.01
"""An AUC this close to 0.5 is no usable edge, however many rows make it "significant"."""
PERCENT_METHODS = ("mean_car", "mean_net_return")
SYMBOLS = {
    "pearson": "r",
    "spearman": "ρ",
    "auc": "AUC",
    "information_coefficient": "IC",
    "mean_car": "mean CAR",
    "mean_net_return": "mean per window",
}


def verdict(estimate: Estimate, alpha: float = ALPHA, min_n: int = MIN_N) -> str:
    """One sentence on ``estimate`` (a correlation, an AUC, a CAR or a trading return)."""
    numbers = _numbers(estimate)
    if estimate.n < min_n or not math.isfinite(estimate.value):
        return f"too little data to judge ({numbers})"
    null = 0.5 if estimate.method == "auc" else 0.0
    significant = _significant(estimate, null, alpha)
    if estimate.method == "auc":
        return _auc_sentence(estimate, significant, numbers)
    if estimate.method == "mean_car":
        return _car_sentence(estimate, significant, numbers)
    if estimate.method == "mean_net_return":
        return _trading_sentence(estimate, significant, numbers)
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
    scale = 100.0 if estimate.method in PERCENT_METHODS else 1.0
    digits = 3 if abs(estimate.ci_high - estimate.ci_low) * scale < 0.02 else 2
    value, low, high = (
        _fmt(v, estimate.method, digits)
        for v in (estimate.value, estimate.ci_low, estimate.ci_high)
    )
    parts = [f"{symbol} = {value}", f"95% CI {low}…{high}", f"n = {estimate.n:,}"]
    if estimate.q_value is not None:
        parts.append(f"BH q = {_p(estimate.q_value)}")
    elif math.isfinite(estimate.p_value):
        parts.append(f"p = {_p(estimate.p_value)}")
    return ", ".join(parts)


def _auc_sentence(estimate: Estimate, significant: bool, numbers: str) -> str:
    if not significant:
        return f"no better than a coin flip out of sample ({numbers})"
    if abs(estimate.value - 0.5) < AUC_NEGLIGIBLE:
        return (
            f"no useful edge over a coin flip out of sample ({numbers}); the difference is "
            "measurable only because n is large"
        )
    if estimate.value < 0.5:
        return f"worse than a coin flip out of sample ({numbers}) — do not use"
    size = (
        "slightly" if estimate.value < 0.55 else "modestly" if estimate.value < 0.6 else "clearly"
    )
    return (
        f"{size} better than a coin flip out of sample ({numbers}); past performance, "
        "before the costs of acting on it"
    )


def _car_sentence(estimate: Estimate, significant: bool, numbers: str) -> str:
    if not significant:
        return f"no significant move after such events ({numbers})"
    direction = "with" if estimate.value > 0 else "against"
    return f"prices moved on average {direction} the crowd's tone ({numbers}) — in past data"


def _trading_sentence(estimate: Estimate, significant: bool, numbers: str) -> str:
    if not significant:
        return f"no significant profit or loss after costs ({numbers})"
    if estimate.value < 0:
        return f"lost money on average after costs ({numbers})"
    return (
        f"made money on average after costs in this replay ({numbers}) — simulated past "
        "trading, not a promise"
    )


def _strength(r: float) -> str:
    if r < 0.1:
        return "very weak"
    if r < 0.3:
        return "weak"
    if r < 0.5:
        return "moderate"
    return "strong"


def _fmt(value: float, method: str, digits: int) -> str:
    if not math.isfinite(value):
        return "n/a"
    if method in PERCENT_METHODS:
        return f"{value * 100:+.{digits}f}%".replace("-", "−")
    return f"{value:.{digits}f}".replace("-", "−")


def _p(p: float) -> str:
    return "<0.001" if p < 0.001 else f"{p:.3f}"
