"""Event study: what prices did around spikes in attention or sentiment.

An *event* is a window where an asset's mention volume (log scale) or its
sentiment is unusually high against its own previous week — a trailing
z-score beyond ``threshold``. For each event we take the abnormal return (the
window's return minus the asset's trailing mean return, so slow drifts do not
count as reactions) in windows ``−k … +k`` around it, signed by the direction
of the crowd (the spike window's sentiment sign), and cumulate it from ``−k``.
The mean cumulative abnormal return (CAR) with a t-interval across events
then reads: "after bullish/bearish spikes, prices moved on average this much
in the crowd's direction". Events closer than ``k`` windows to either end of
the history are left out; overlapping events are kept (note: this makes the
interval somewhat too narrow when spikes cluster).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from tickerpulse.analytics.panel import POOLED, SOURCE_CLASSES, PanelArrays, filled_returns
from tickerpulse.analytics.signals import class_signals, trailing_mean_std, trailing_zscore

EVENT_TYPES: tuple[str, ...] = ("mention_spike", "sentiment_spike")
ABNORMAL_LOOKBACK = 120
"""Windows (30 days) whose mean return is the "normal" return an event is measured against."""


def abnormal_returns(arrays: PanelArrays, lookback: int = ABNORMAL_LOOKBACK) -> np.ndarray:
    """Return minus the asset's mean return over the ``lookback`` windows before."""
    returns = filled_returns(arrays)
    mean, _ = trailing_mean_std(returns, lookback)
    out: np.ndarray = returns - np.nan_to_num(mean)
    return out


def event_mask(
    arrays: PanelArrays, source_class: str, event_type: str, threshold: float = 2.0
) -> tuple[np.ndarray, np.ndarray]:
    """Where events happen and their direction (+1 bullish, −1 bearish, 0 none)."""
    signals = class_signals(arrays, source_class)
    sentiment = signals["sentiment"]
    if event_type == "mention_spike":
        hit = signals["mention_z"] > threshold
        direction = np.sign(np.nan_to_num(sentiment))
    elif event_type == "sentiment_spike":
        z = trailing_zscore(sentiment)
        hit = np.abs(z) > threshold
        direction = np.sign(np.nan_to_num(z))
    else:
        raise ValueError(f"unknown event type {event_type!r}; choose from {EVENT_TYPES}")
    hit &= direction != 0
    return hit, np.where(hit, direction, 0.0)


def event_study(
    arrays: PanelArrays, span: int = 4, threshold: float = 2.0, confidence: float = 0.95
) -> pd.DataFrame:
    """Mean signed CAR over ``−span … +span`` per asset and pooled, per class and event type.

    Returns:
        Rows of ``asset_id, source_class, event_type, tau, mean_car, ci_low,
        ci_high, n_events, p_value``; ``tau = 0`` is the spike window itself
        (its return is already partly known when the spike is seen).
    """
    abnormal = abnormal_returns(arrays)
    n_windows = arrays.shape[1]
    taus = np.arange(-span, span + 1)
    frames = []
    for source_class in SOURCE_CLASSES:
        for event_type in EVENT_TYPES:
            hit, direction = event_mask(arrays, source_class, event_type, threshold)
            hit[:, :span] = False
            hit[:, n_windows - span :] = False
            rows, cols = np.nonzero(hit)
            paths = abnormal[rows[:, None], cols[:, None] + taus[None, :]]
            car = np.cumsum(paths * direction[rows, cols][:, None], axis=1)
            frames.append(
                _car_by_asset(car, rows, arrays.assets, taus, confidence).assign(
                    source_class=source_class, event_type=event_type
                )
            )
    columns = ["asset_id", "source_class", "event_type", "tau", "mean_car", "ci_low", "ci_high"]
    return pd.concat(frames, ignore_index=True)[[*columns, "n_events", "p_value"]]


def _car_by_asset(
    car: np.ndarray, rows: np.ndarray, assets: tuple[str, ...], taus: np.ndarray, confidence: float
) -> pd.DataFrame:
    """Mean CAR per τ with a t-interval, per asset (by bincount) and pooled over all events."""
    groups = np.concatenate([rows, np.full(len(rows), len(assets))])
    stacked = np.concatenate([car, car]) if len(rows) else np.zeros((0, len(taus)))
    size = len(assets) + 1
    n = np.bincount(groups, minlength=size).astype("float64")[:, None]
    s1 = np.stack([np.bincount(groups, stacked[:, j], size) for j in range(len(taus))], axis=1)
    s2 = np.stack([np.bincount(groups, stacked[:, j] ** 2, size) for j in range(len(taus))], axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = s1 / n
        sd = np.sqrt(np.maximum(s2 - n * mean**2, 0.0) / (n - 1))
        se = sd / np.sqrt(n)
        t_crit = stats.t.ppf(0.5 + confidence / 2.0, np.maximum(n - 1, 1))
        p = 2 * stats.t.sf(np.abs(mean / se), np.maximum(n - 1, 1))
    enough = n >= 2
    n_all = np.broadcast_to(n, mean.shape)
    return pd.DataFrame(
        {
            "asset_id": np.repeat([*assets, POOLED], len(taus)),
            "tau": np.tile(taus, size),
            "mean_car": mean.ravel(),
            "ci_low": np.where(enough, mean - t_crit * se, np.nan).ravel(),
            "ci_high": np.where(enough, mean + t_crit * se, np.nan).ravel(),
            "n_events": n_all.ravel().astype("int64"),
            "p_value": np.where(enough, p, np.nan).ravel(),
        }
    )
