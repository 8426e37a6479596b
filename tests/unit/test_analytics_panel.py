from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from tickerpulse.analytics.panel import (
    PANEL_COLUMNS,
    as_arrays,
    panel_from_frames,
    validate_panel,
)

T0 = datetime(2026, 3, 2, tzinfo=UTC)
H6 = timedelta(hours=6)


def mart_rows() -> tuple[pd.DataFrame, pd.DataFrame]:
    text = pd.DataFrame(
        [
            (T0, "a", "social", "all", 5, 0.4, 0.6, 0.2),
            (T0, "a", "social", "reddit", 3, 0.9, 1.0, 0.0),
            (T0, "a", "news", "all", 1, -0.5, 0.0, 1.0),
            (T0, "a", "all", "all", 6, 0.25, 0.5, 0.33),
            (T0 + 2 * H6, "b", "social", "all", 2, -0.1, 0.0, 0.5),
        ],
        columns=[
            "window_start",
            "asset_id",
            "source_class",
            "source",
            "mentions",
            "sentiment_mean",
            "bull_share",
            "bear_share",
        ],
    )
    prices = pd.DataFrame(
        [(T0, "a", 10.0, 0.01), (T0 + H6, "a", 10.5, 0.05), (T0 + H6, "b", 3.0, None)],
        columns=["window_start", "asset_id", "close", "return_pct"],
    )
    return text, prices


def test_panel_is_a_complete_grid_with_zero_mentions_and_nan_sentiment_where_silent() -> None:
    panel = panel_from_frames(*mart_rows())
    assert tuple(panel.columns) == PANEL_COLUMNS
    assert len(panel) == 2 * 3  # two assets × three windows, gaps filled
    validate_panel(panel)
    a0 = panel.iloc[0]
    assert a0.mentions_social == 5 and a0.sentiment_social == pytest.approx(0.4)  # "all" row only
    assert a0.sentiment_news == pytest.approx(-0.5) and a0.return_pct == pytest.approx(0.01)
    b0 = panel[(panel.asset_id == "b")].iloc[0]
    assert b0.mentions_social == 0 and np.isnan(b0.sentiment_social) and np.isnan(b0.close)


def test_arrays_are_asset_by_window_matrices() -> None:
    arrays = as_arrays(panel_from_frames(*mart_rows()))
    assert arrays.assets == ("a", "b") and arrays.shape == (2, 3)
    assert arrays["close"][0, 1] == 10.5
    assert arrays["mentions_social"][1, 2] == 2


def test_incomplete_grid_is_refused_with_a_hint() -> None:
    panel = panel_from_frames(*mart_rows()).drop(index=1)
    with pytest.raises(ValueError, match="complete_grid"):
        validate_panel(panel)
