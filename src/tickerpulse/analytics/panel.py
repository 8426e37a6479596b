"""The panel: the one table every analysis reads.

One row per ``asset_id`` × ``window_start`` (6-hour windows, UTC) on a complete
grid — every asset has a row for every window between the first and the last,
so "the next window" is always the next row of that asset, never a gap skipped
silently. Columns (:data:`PANEL_COLUMNS`):

- ``mentions_social`` / ``mentions_news``: documents mentioning the asset in
  the window (0 when nobody spoke of it);
- ``sentiment_social`` / ``sentiment_news``: relevance-weighted mean score in
  [-1, 1] (NaN when there were no mentions);
- ``bull_share_*`` / ``bear_share_*``: share of bullish / bearish documents;
- ``close``: the window's last close (NaN when the market was closed);
- ``return_pct``: close-to-close return as a fraction (0.01 = +1 %), against
  the last close before the window, so gaps count; NaN when nothing traded.

:func:`panel_from_frames` builds it from mart-shaped rows; :func:`as_arrays`
turns it into asset × window matrices for the vectorised statistics.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from tickerpulse.domain import WINDOW

SOURCE_CLASSES: tuple[str, ...] = ("social", "news")
TEXT_MEASURES: tuple[str, ...] = ("mentions", "sentiment", "bull_share", "bear_share")
PANEL_COLUMNS: tuple[str, ...] = (
    "asset_id",
    "window_start",
    *(f"{m}_{c}" for c in SOURCE_CLASSES for m in TEXT_MEASURES),
    "close",
    "return_pct",
)
VALUE_COLUMNS: tuple[str, ...] = PANEL_COLUMNS[2:]
WINDOWS_PER_YEAR = 4 * 365
POOLED = "*"
"""``asset_id`` of result rows that pool every asset rather than describe one."""


def empty_panel() -> pd.DataFrame:
    """A panel with no rows and the right columns."""
    frame = pd.DataFrame({c: pd.Series(dtype="float64") for c in VALUE_COLUMNS})
    frame.insert(0, "window_start", pd.Series(dtype="datetime64[us, UTC]"))
    frame.insert(0, "asset_id", pd.Series(dtype="object"))
    return frame


def panel_from_frames(asset_window: pd.DataFrame, price_window: pd.DataFrame) -> pd.DataFrame:
    """Build the panel from mart-shaped rows.

    Args:
        asset_window: rows shaped like ``mart_asset_window`` (``window_start``,
            ``asset_id``, ``source_class``, ``source``, ``mentions``,
            ``sentiment_mean``, ``bull_share``, ``bear_share``); only the
            ``source == "all"`` rows of the social and news classes are used.
        price_window: rows shaped like ``mart_price_window`` (``window_start``,
            ``asset_id``, ``close``, ``return_pct``).

    Returns:
        The complete-grid panel, sorted by asset then window.
    """
    text = asset_window[
        (asset_window["source"] == "all") & asset_window["source_class"].isin(SOURCE_CLASSES)
    ].rename(columns={"sentiment_mean": "sentiment"})
    wide = text.pivot_table(
        index=["asset_id", "window_start"],
        columns="source_class",
        values=list(TEXT_MEASURES),
        aggfunc="first",
        dropna=False,
    )
    wide.columns = [f"{m}_{c}" for m, c in wide.columns]
    prices = price_window.set_index(["asset_id", "window_start"])[["close", "return_pct"]]
    joined = wide.join(prices, how="outer")
    return complete_grid(joined.reset_index())


def complete_grid(frame: pd.DataFrame) -> pd.DataFrame:
    """Reindex ``frame`` onto every asset × every window from its first to its last window.

    Missing mention counts become 0; every other missing value stays NaN.
    """
    if frame.empty:
        return empty_panel()
    starts = pd.to_datetime(frame["window_start"], utc=True)
    windows = pd.date_range(starts.min(), starts.max(), freq=WINDOW, name="window_start")
    assets = pd.Index(sorted(frame["asset_id"].unique()), name="asset_id")
    grid = pd.MultiIndex.from_product([assets, windows])
    indexed = frame.assign(window_start=starts).set_index(["asset_id", "window_start"])
    indexed = indexed[~indexed.index.duplicated(keep="last")]
    out = indexed.reindex(grid)
    for column in VALUE_COLUMNS:
        if column not in out:
            out[column] = np.nan
        out[column] = out[column].astype("float64")
    for source_class in SOURCE_CLASSES:
        out[f"mentions_{source_class}"] = out[f"mentions_{source_class}"].fillna(0.0)
    out = out.reset_index()[list(PANEL_COLUMNS)]
    out["window_start"] = out["window_start"].astype("datetime64[us, UTC]")
    return out


def validate_panel(panel: pd.DataFrame) -> None:
    """Raise ``ValueError`` unless ``panel`` is a complete, sorted, duplicate-free grid."""
    missing = [c for c in PANEL_COLUMNS if c not in panel.columns]
    if missing:
        raise ValueError(f"panel lacks columns {missing}; build it with panel_from_frames")
    n_assets = panel["asset_id"].nunique()
    n_windows = panel["window_start"].nunique()
    if len(panel) != n_assets * n_windows:
        raise ValueError(
            f"panel is not a complete grid ({len(panel)} rows for {n_assets} assets × "
            f"{n_windows} windows); pass it through complete_grid"
        )
    keys = panel[["asset_id", "window_start"]]
    if not keys.equals(keys.sort_values(["asset_id", "window_start"])):
        raise ValueError("panel must be sorted by asset_id, window_start")


@dataclass(frozen=True)
class PanelArrays:
    """The panel as asset × window matrices (row ``i`` = ``assets[i]``)."""

    assets: tuple[str, ...]
    windows: pd.DatetimeIndex
    values: dict[str, np.ndarray]

    def __getitem__(self, name: str) -> np.ndarray:
        return self.values[name]

    @property
    def shape(self) -> tuple[int, int]:
        """(assets, windows)."""
        return len(self.assets), len(self.windows)


def as_arrays(panel: pd.DataFrame) -> PanelArrays:
    """Reshape a validated panel into asset × window float matrices."""
    validate_panel(panel)
    assets = tuple(str(a) for a in panel["asset_id"].unique())
    windows = pd.DatetimeIndex(panel["window_start"].unique())
    shape = (len(assets), len(windows))
    values = {c: panel[c].to_numpy(dtype="float64").reshape(shape) for c in VALUE_COLUMNS}
    return PanelArrays(assets, windows, values)


def filled_returns(arrays: PanelArrays) -> np.ndarray:
    """Returns with closed-market windows as 0: nothing traded, so nothing moved yet.

    The move over a closed stretch shows up in the next traded window (its
    return is measured against the last close before it), so the sum of these
    returns still adds up to the whole move.
    """
    filled: np.ndarray = np.nan_to_num(arrays["return_pct"], nan=0.0)
    return filled
