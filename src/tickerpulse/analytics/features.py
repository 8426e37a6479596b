"""Features for next-window prediction, built only from what is known when a window ends.

The row of window ``t`` holds features computed from windows ``≤ t`` and the
target "did the asset go up in window ``t + 1``". Every feature is a causal
transform of the panel (trailing windows only, no full-sample scaling), and
:func:`check_no_lookahead` proves it: it rebuilds the features from the panel
cut off at a window's end and demands the same values at that window. A
feature that peeks at the future — say one shifted a window ahead, or one
normalised with the whole history's mean — changes when the future is taken
away, and the check names it.

Features are scale-free (returns divided by the asset's own volatility), so a
single pooled model can serve assets from FX to crypto.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from tickerpulse.analytics.panel import PanelArrays, as_arrays, filled_returns
from tickerpulse.analytics.signals import class_signals, shift, trailing_std, trailing_sum

FEATURES: tuple[str, ...] = (
    "sentiment_social",
    "sentiment_social_change",
    "bull_minus_bear_social",
    "log_mentions_social",
    "mention_z_social",
    "sentiment_news",
    "log_mentions_news",
    "mention_z_news",
    "news_share",
    "momentum_1",
    "momentum_4",
    "volatility",
    "volatility_ratio",
)
FEATURE_VERSION = "features-v1"
VOL_SHORT, VOL_LONG = 20, 120

FeatureBuilder = Callable[[pd.DataFrame], pd.DataFrame]


class LookaheadError(AssertionError):
    """A feature changed when the future was removed: it uses data not yet known."""


def feature_matrices(arrays: PanelArrays) -> dict[str, np.ndarray]:
    """Every feature as an asset × window matrix (NaN where it cannot be known)."""
    social, news = class_signals(arrays, "social"), class_signals(arrays, "news")
    sentiment_social = np.nan_to_num(social["sentiment"])
    returns = filled_returns(arrays)
    vol_short = trailing_std(returns, VOL_SHORT)
    vol_long = trailing_std(returns, VOL_LONG)
    vol = np.where(vol_short > 0, vol_short, np.nan)
    mentions_social, mentions_news = arrays["mentions_social"], arrays["mentions_news"]
    total = mentions_social + mentions_news
    with np.errstate(invalid="ignore", divide="ignore"):
        return {
            "sentiment_social": sentiment_social,
            "sentiment_social_change": sentiment_social - shift(sentiment_social, -1),
            "bull_minus_bear_social": np.nan_to_num(
                arrays["bull_share_social"] - arrays["bear_share_social"]
            ),
            "log_mentions_social": social["mentions"],
            "mention_z_social": np.nan_to_num(social["mention_z"]),
            "sentiment_news": np.nan_to_num(news["sentiment"]),
            "log_mentions_news": news["mentions"],
            "mention_z_news": np.nan_to_num(news["mention_z"]),
            "news_share": np.where(total > 0, mentions_news / total, 0.0),
            "momentum_1": returns / vol,
            "momentum_4": trailing_sum(returns, 4)[0] / (vol * 2.0),
            "volatility": np.log(vol),
            "volatility_ratio": np.log(vol / vol_long),
        }


def build_features(panel: pd.DataFrame) -> pd.DataFrame:
    """The feature rows (``asset_id``, ``window_start``, :data:`FEATURES`) of a panel."""
    arrays = as_arrays(panel)
    return _long_frame(arrays, feature_matrices(arrays))


def build_targets(panel: pd.DataFrame) -> pd.DataFrame:
    """Per row: ``next_return`` (window ``t + 1``, NaN if nothing traded) and ``up`` (0/1)."""
    arrays = as_arrays(panel)
    next_return = shift(arrays["return_pct"], 1)
    up = np.where(np.isfinite(next_return), (next_return > 0).astype("float64"), np.nan)
    return _long_frame(arrays, {"next_return": next_return, "up": up})


def check_no_lookahead(
    panel: pd.DataFrame,
    builder: FeatureBuilder = build_features,
    cuts: int = 3,
    features: pd.DataFrame | None = None,
) -> None:
    """Raise :class:`LookaheadError` if any feature at a window depends on later windows.

    For ``cuts`` windows spread over the history, the features are rebuilt
    from the panel truncated at that window and compared with ``features``
    (built from the full panel when not given) at that window.
    """
    full = builder(panel) if features is None else features
    windows = pd.Index(panel["window_start"].unique()).sort_values()
    if len(windows) < 3:
        return
    picks = np.unique(np.linspace(len(windows) * 0.4, len(windows) - 2, cuts).astype(int))
    columns = [c for c in full.columns if c not in ("asset_id", "window_start")]
    leaking: set[str] = set()
    for index in picks:
        cut = windows[index]
        truncated = builder(panel[panel["window_start"] <= cut])
        at_cut = truncated[truncated["window_start"] == cut].set_index("asset_id")[columns]
        expected = full[full["window_start"] == cut].set_index("asset_id")[columns]
        expected = expected.loc[at_cut.index]
        for column in columns:
            a = at_cut[column].to_numpy(dtype="float64")
            b = expected[column].to_numpy(dtype="float64")
            if not np.allclose(a, b, rtol=1e-9, atol=1e-12, equal_nan=True):
                leaking.add(column)
    if leaking:
        raise LookaheadError(
            f"features {sorted(leaking)} change when later windows are removed: they use data "
            "not known at the window's end"
        )


def _long_frame(arrays: PanelArrays, matrices: dict[str, np.ndarray]) -> pd.DataFrame:
    n_assets, n_windows = arrays.shape
    frame = pd.DataFrame(
        {
            "asset_id": np.repeat(np.array(arrays.assets, dtype=object), n_windows),
            "window_start": np.tile(arrays.windows, n_assets),
            **{name: matrix.ravel() for name, matrix in matrices.items()},
        }
    )
    return frame
