"""Unusual attention: how an asset's mentions and sentiment in one window compare with its past.

Each figure compares the window with the :data:`~tickerpulse.analytics.signals.Z_LOOKBACK`
windows before it (7 days), the asset's *own* history, so a quiet stock whose
mentions triple stands out beside a crypto that is always loud:

* ``mention_z`` — the z-score of ``log1p(mentions)``, exactly the analytics'
  ``mention_z`` signal and the mention-spike alert;
* ``mention_change`` — mentions against the mean of the history, as a fraction
  (2.0: three times the usual);
* ``sentiment_change`` — mean sentiment minus the history's mean sentiment
  (on the −1…+1 scale), and ``sentiment_z`` the same in standard deviations.

A history with fewer than :data:`MIN_HISTORY` known windows, or with no spread
(every window the same), gives None rather than a number that would be noise
or an overflow. Pure: numbers in, numbers out.

Because each window's figures rest on the windows before it, a window
published again with other counts (a backfill) changes the figures of up to
:data:`~tickerpulse.analytics.signals.Z_LOOKBACK` windows after it:
:func:`changed_histories` says whose, :func:`panel_attention` recomputes them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from tickerpulse.analytics.signals import MIN_STD, Z_CAP, Z_LOOKBACK, trailing_zscore

MIN_HISTORY = 5
"""Known windows of history below which no figure is given (as ``trailing_zscore``)."""
FIGURES = ("mention_z", "mention_change", "sentiment_change", "sentiment_z")
"""The figures computed against the history, in the order the marts list them."""


@dataclass(frozen=True)
class Attention:
    """One asset's attention in one window against its own trailing windows."""

    mention_z: float | None
    mention_change: float | None
    sentiment_change: float | None
    sentiment_z: float | None


def attention_arrays(
    mentions: np.ndarray,
    mention_history: np.ndarray,
    sentiment: np.ndarray,
    sentiment_history: np.ndarray,
) -> dict[str, np.ndarray]:
    """Every attention figure for many assets at once (rows: assets), NaN where None.

    Args:
        mentions: The window's mentions, shape ``(n,)``.
        mention_history: Mentions of the windows before, shape ``(n, k)``, oldest
            first, NaN for windows never published.
        sentiment: The window's mean sentiment, NaN without mentions.
        sentiment_history: Mean sentiment of the windows before, NaN without mentions.

    Returns:
        ``mention_z``, ``mention_change``, ``sentiment_change``, ``sentiment_z``, each ``(n,)``.
    """
    history = mention_history[:, -Z_LOOKBACK:].astype("float64")
    series = np.log1p(np.hstack([history, mentions.astype("float64")[:, None]]))
    mention_z = trailing_zscore(series)[:, -1]
    count, mean, _ = _count_mean_std(history)
    with np.errstate(invalid="ignore", divide="ignore"):
        change = np.where((count >= MIN_HISTORY) & (mean > 0), mentions / mean - 1.0, np.nan)
    tones = sentiment_history[:, -Z_LOOKBACK:].astype("float64")
    s_count, s_mean, s_std = _count_mean_std(tones)
    shift = np.where((s_count >= MIN_HISTORY) & np.isfinite(sentiment), sentiment - s_mean, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        s_z = np.where(s_std > MIN_STD, np.clip(shift / s_std, -Z_CAP, Z_CAP), np.nan)
    return {
        "mention_z": mention_z,
        "mention_change": change,
        "sentiment_change": shift,
        "sentiment_z": s_z,
    }


def panel_attention(
    mentions: np.ndarray, sentiment: np.ndarray, scored: np.ndarray
) -> dict[str, np.ndarray]:
    """The attention figures of some cells of an asset × window panel.

    Each scored cell is compared with the :data:`Z_LOOKBACK` windows before it in
    its row, exactly as :func:`attention_arrays` compares one window with its history.

    Args:
        mentions: Mentions, shape ``(n, k)``, consecutive windows oldest first; 0 for a
            window published without the asset, NaN for one never published.
        sentiment: Mean sentiment, same shape, NaN without mentions.
        scored: Which cells to score, same shape (bool).

    Returns:
        ``mention_z``, ``mention_change``, ``sentiment_change``, ``sentiment_z``, each
        ``(n, k)``, NaN outside the scored cells.
    """
    out = {name: np.full(mentions.shape, np.nan) for name in FIGURES}
    for t in np.flatnonzero(scored.any(axis=0)):
        rows = np.flatnonzero(scored[:, t])
        past = slice(max(0, t - Z_LOOKBACK), t)
        figures = attention_arrays(
            mentions[rows, t], mentions[rows, past], sentiment[rows, t], sentiment[rows, past]
        )
        for name, values in figures.items():
            out[name][rows, t] = values
    return out


def changed_histories(
    before: Mapping[str, tuple[int, float | None]], after: Mapping[str, tuple[int, float | None]]
) -> set[str] | None:
    """The assets whose history a window published again changes.

    Args:
        before: ``(mentions, sentiment)`` per asset as the window was published before
            (empty: it was not, or without any mention).
        after: The same as it is published now.

    Returns:
        The asset ids whose mentions or sentiment in the window changed, or None when
        every asset's history changes: the window turns from unknown into known (absent
        assets now count as 0 mentions) or back.
    """
    if bool(before) != bool(after):
        return None
    assets = before.keys() | after.keys()
    return {asset for asset in assets if before.get(asset) != after.get(asset)}


def _count_mean_std(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row: known values, their mean and sample standard deviation (NaN when undefined)."""
    finite = np.isfinite(values)
    count = finite.sum(axis=1)
    filled = np.where(finite, values, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = filled.sum(axis=1) / count
        square = np.where(finite, (values - mean[:, None]) ** 2, 0.0).sum(axis=1)
        std = np.sqrt(square / (count - 1))
    return count, mean, np.where(count >= 2, std, np.nan)


def _none(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def _row(values: Sequence[float | None]) -> np.ndarray:
    return np.array([[math.nan if v is None else v for v in values]], dtype="float64")


def attention(
    mentions: float,
    mention_history: Sequence[float],
    sentiment: float | None,
    sentiment_history: Sequence[float | None],
) -> Attention:
    """Every attention figure of one asset in one window (:func:`attention_arrays` for one row).

    Args:
        mentions: The window's mentions.
        mention_history: Mentions of the windows before, oldest first (NaN: not published,
            so a young history is not mistaken for silence).
        sentiment: The window's mean sentiment, or None.
        sentiment_history: Mean sentiment of the windows before, oldest first (None: no
            mention to score).

    Returns:
        The figures; each is None where the history cannot support it.
    """
    figures = attention_arrays(
        np.array([float(mentions)]),
        _row(mention_history) if mention_history else np.empty((1, 0)),
        np.array([math.nan if sentiment is None else sentiment], dtype="float64"),
        _row(sentiment_history) if sentiment_history else np.empty((1, 0)),
    )
    return Attention(**{name: _none(float(values[0])) for name, values in figures.items()})


def share_of_voice(mentions: dict[str, int], classes: dict[str, str]) -> dict[str, float]:
    """Each asset's share of its class's mentions in a window (0…1).

    Args:
        mentions: Mentions per asset id.
        classes: Asset class per asset id (assets missing here form a class of their own).

    Returns:
        The share per asset id; an asset of a class without mentions gets 0.
    """
    totals: dict[str, int] = {}
    for asset_id, count in mentions.items():
        key = classes.get(asset_id, asset_id)
        totals[key] = totals.get(key, 0) + count
    return {
        asset_id: (count / totals[classes.get(asset_id, asset_id)])
        if totals[classes.get(asset_id, asset_id)]
        else 0.0
        for asset_id, count in mentions.items()
    }
