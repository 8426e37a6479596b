"""The analytics panel loaded from real marts in embedded Postgres."""

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from tickerpulse.analytics.marts import panel_from_marts
from tickerpulse.analytics.panel import PANEL_COLUMNS, validate_panel
from tickerpulse.db.models import MartAssetWindow, MartPriceWindow

W = timedelta(hours=6)
T0 = datetime(2026, 3, 2, tzinfo=UTC)


def text_row(
    window: datetime, asset: str, source_class: str, source: str, mentions: int, sentiment: float
) -> MartAssetWindow:
    return MartAssetWindow(
        window_start=window,
        asset_id=asset,
        source_class=source_class,
        source=source,
        mentions=mentions,
        unique_authors=mentions,
        sentiment_mean=sentiment,
        bull_share=0.5,
        bear_share=0.25,
        dispersion=0.1,
    )


def price_row(window: datetime, asset: str, close: float, ret: float | None) -> MartPriceWindow:
    return MartPriceWindow(
        window_start=window,
        asset_id=asset,
        open=close,
        high=close,
        low=close,
        close=close,
        volume=1.0,
        bars=6,
        prev_close=None,
        return_pct=ret,
    )


def test_panel_from_marts_reads_the_all_source_rows_of_each_class_since_a_time(
    engine: Engine,
) -> None:
    with Session(engine) as session:
        session.add_all(
            [
                text_row(T0 - W, "crypto:BTC", "social", "all", 9, 0.9),  # before `since`
                text_row(T0, "crypto:BTC", "social", "all", 4, 0.5),
                text_row(T0, "crypto:BTC", "social", "reddit", 3, 0.1),
                text_row(T0, "crypto:BTC", "all", "all", 6, 0.4),
                text_row(T0, "crypto:BTC", "news", "all", 2, -0.2),
                text_row(T0 + 2 * W, "stock:TSLA", "social", "all", 1, 0.3),
                price_row(T0, "crypto:BTC", 60000.0, 0.01),
                price_row(T0 + W, "crypto:BTC", 60600.0, 0.01),
                price_row(T0 + 2 * W, "stock:TSLA", 250.0, None),
            ]
        )
        session.commit()
        panel = panel_from_marts(session, since=T0)
        until = panel_from_marts(session, since=T0, until=T0 + W)
    assert tuple(panel.columns) == PANEL_COLUMNS
    validate_panel(panel)
    assert len(panel) == 2 * 3 and panel.window_start.min() == T0
    btc = panel[panel.asset_id == "crypto:BTC"].set_index("window_start")
    assert btc.loc[T0, "mentions_social"] == 4 and btc.loc[T0, "sentiment_social"] == pytest.approx(
        0.5
    )
    assert btc.loc[T0, "sentiment_news"] == pytest.approx(-0.2)
    assert btc.loc[T0 + W, "mentions_social"] == 0 and np.isnan(btc.loc[T0 + W, "sentiment_social"])
    assert btc.loc[T0 + W, "return_pct"] == pytest.approx(0.01)
    assert set(until.window_start) == {T0} and set(until.asset_id) == {"crypto:BTC"}


def test_empty_marts_give_an_empty_panel_with_the_right_columns(engine: Engine) -> None:
    with Session(engine) as session:
        panel = panel_from_marts(session, since=T0)
    assert panel.empty and tuple(panel.columns) == PANEL_COLUMNS
