"""How sentiment and attention relate to price moves, per asset, separately for social and news.

- :func:`correlations`: Pearson and Spearman between a signal (sentiment,
  log mention volume, mention z-score) in window ``t`` and the return of the
  same window (``horizon = 0``) or of the next one (``horizon = 1``), with
  Fisher-z intervals, n, p and Benjamini–Hochberg q across assets.
- :func:`lead_lag`: the same correlation for every shift ``-k … +k``.
- :func:`rolling_correlation`: the correlation over a trailing span of windows,
  to show whether a relation is stable or a passing episode.
- :func:`relation_report`: all of the above plus Granger tests and the event
  study, as one set of DataFrames.

A correlation says two series move together in this sample; it is not proof
that one can be traded on — that is what the walk-forward test in
:mod:`tickerpulse.analytics.predict` measures.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from tickerpulse.analytics import events, granger
from tickerpulse.analytics.panel import POOLED, SOURCE_CLASSES, PanelArrays, as_arrays
from tickerpulse.analytics.signals import SIGNALS, class_signals, shift, trailing_sum
from tickerpulse.analytics.stats import (
    CONFIDENCE,
    MIN_PAIRS,
    RowCorrelation,
    benjamini_hochberg,
    fisher_interval,
    paired_ranks,
    pearson_rows,
    rank_correlation,
)


def correlations(
    panel: pd.DataFrame | PanelArrays,
    horizons: tuple[int, ...] = (0, 1),
    methods: tuple[str, ...] = ("pearson", "spearman"),
    signals: tuple[str, ...] = SIGNALS,
    confidence: float = CONFIDENCE,
) -> pd.DataFrame:
    """Signal-vs-return correlations per asset, source class, signal, horizon and method.

    Returns:
        One row per combination plus a pooled row (``asset_id == "*"``) with
        columns ``r, ci_low, ci_high, n, p_value, q_value``. ``q_value`` is the
        Benjamini–Hochberg adjusted p-value over the assets of the same
        (source class, signal, horizon, method) family.
    """
    arrays = panel if isinstance(panel, PanelArrays) else as_arrays(panel)
    returns = arrays["return_pct"]
    frames = []
    for source_class in SOURCE_CLASSES:
        by_signal = class_signals(arrays, source_class)
        for signal in signals:
            x = by_signal[signal]
            for horizon in horizons:
                y = shift(returns, horizon)
                for method in methods:
                    per_asset, pooled = _both_scopes(method, x, y, confidence)
                    frames.append(
                        _family_frame(
                            arrays.assets,
                            per_asset,
                            pooled,
                            source_class=source_class,
                            signal=signal,
                            horizon=horizon,
                            method=method,
                        )
                    )
    return pd.concat(frames, ignore_index=True)


def lead_lag(
    panel: pd.DataFrame | PanelArrays,
    max_lag: int = 4,
    signal: str = "sentiment",
    confidence: float = CONFIDENCE,
) -> pd.DataFrame:
    """Cross-correlation of ``signal`` at ``t`` with the return at ``t + lag``, lag ∈ −k…+k.

    Positive lags mean the signal comes first (sentiment leads price); negative
    lags mean price comes first (people talk about what already moved).
    """
    arrays = panel if isinstance(panel, PanelArrays) else as_arrays(panel)
    frames = []
    for source_class in SOURCE_CLASSES:
        x = class_signals(arrays, source_class)[signal]
        for lag in range(-max_lag, max_lag + 1):
            y = shift(arrays["return_pct"], lag)
            frames.append(
                _family_frame(
                    arrays.assets,
                    pearson_rows(x, y, confidence),
                    pearson_rows(*_pooled(x, y), confidence),
                    source_class=source_class,
                    signal=signal,
                    lag=lag,
                    method="pearson",
                )
            )
    return pd.concat(frames, ignore_index=True)


def rolling_correlation(
    panel: pd.DataFrame | PanelArrays,
    source_class: str = "social",
    signal: str = "sentiment",
    horizon: int = 1,
    span: int = 120,
    confidence: float = CONFIDENCE,
) -> pd.DataFrame:
    """Pearson r over the trailing ``span`` windows ending at each window, per asset.

    The pair at window ``t`` is (signal at ``t − horizon``, return at ``t``), so
    every value uses only data known at the end of window ``t``.
    """
    arrays = panel if isinstance(panel, PanelArrays) else as_arrays(panel)
    x = shift(class_signals(arrays, source_class)[signal], -horizon)
    y = arrays["return_pct"]
    both = np.isfinite(x) & np.isfinite(y)
    x, y = np.where(both, x, np.nan), np.where(both, y, np.nan)
    sx, n = trailing_sum(x, span)
    sy, _ = trailing_sum(y, span)
    sxx, _ = trailing_sum(x * x, span)
    syy, _ = trailing_sum(y * y, span)
    sxy, _ = trailing_sum(x * y, span)
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = sxy - sx * sy / n
        r = cov / np.sqrt((sxx - sx**2 / n) * (syy - sy**2 / n))
    r = np.where(n >= MIN_PAIRS, np.clip(r, -1.0, 1.0), np.nan)
    low, high = fisher_interval(r, n, 1.0 / np.sqrt(np.maximum(n - 3, 1)), confidence)
    n_assets, n_windows = arrays.shape
    return pd.DataFrame(
        {
            "asset_id": np.repeat(arrays.assets, n_windows),
            "window_start": np.tile(arrays.windows, n_assets),
            "r": r.ravel(),
            "ci_low": low.ravel(),
            "ci_high": high.ravel(),
            "n": n.ravel().astype("int64"),
        }
    )


@dataclass(frozen=True)
class RelationReport:
    """Everything :func:`relation_report` computes, one DataFrame per statistic."""

    correlations: pd.DataFrame
    lead_lag: pd.DataFrame
    granger: pd.DataFrame
    events: pd.DataFrame


def relation_report(
    panel: pd.DataFrame, max_lag: int = 4, granger_lags: int = 2, event_span: int = 4
) -> RelationReport:
    """Correlations, lead-lag, Granger tests and the event study for one panel."""
    arrays = as_arrays(panel)
    return RelationReport(
        correlations=correlations(arrays),
        lead_lag=lead_lag(arrays, max_lag=max_lag),
        granger=granger.granger_table(arrays, lags=granger_lags),
        events=events.event_study(arrays, span=event_span),
    )


def _both_scopes(
    method: str, x: np.ndarray, y: np.ndarray, confidence: float
) -> tuple[RowCorrelation, RowCorrelation]:
    """Per-asset and pooled correlations; pooled Spearman pools the within-asset ranks."""
    if method == "pearson":
        return pearson_rows(x, y, confidence), pearson_rows(*_pooled(x, y), confidence)
    if method == "spearman":
        rx, ry = paired_ranks(x, y)
        return rank_correlation(rx, ry, confidence), rank_correlation(*_pooled(rx, ry), confidence)
    raise ValueError(f"unknown method {method!r}; choose pearson or spearman")


def _pooled(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every asset's series standardised and laid end to end as one row."""
    return _standardise(x).reshape(1, -1), _standardise(y).reshape(1, -1)


def _standardise(matrix: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nanmean(matrix, axis=1, keepdims=True)
        std = np.nanstd(matrix, axis=1, keepdims=True)
        out: np.ndarray = (matrix - mean) / np.where(std > 0, std, np.nan)
    return out


def _family_frame(
    assets: tuple[str, ...],
    per_asset: RowCorrelation,
    pooled: RowCorrelation,
    **labels: object,
) -> pd.DataFrame:
    rows = []
    for ids, result in ((assets, per_asset), ((POOLED,), pooled)):
        frame = pd.DataFrame(
            {
                "asset_id": list(ids),
                "r": result.r,
                "ci_low": result.ci_low,
                "ci_high": result.ci_high,
                "n": result.n.astype("int64"),
                "p_value": result.p_value,
            }
        )
        rows.append(frame)
    per, pool = rows
    per["q_value"] = benjamini_hochberg(per["p_value"].to_numpy())
    pool["q_value"] = pool["p_value"]
    out = pd.concat([per, pool], ignore_index=True)
    for position, (key, value) in enumerate(labels.items(), start=1):
        out.insert(position, key, value)
    return out
