"""The edge that reads the marts into a panel (the only analytics module touching the database)."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from tickerpulse.analytics.panel import SOURCE_CLASSES, empty_panel, panel_from_frames
from tickerpulse.db.models import MartAssetWindow, MartPriceWindow
from tickerpulse.domain import as_utc


def panel_from_marts(
    session: Session, since: datetime, until: datetime | None = None
) -> pd.DataFrame:
    """The panel of every window starting in ``[since, until)`` (``until`` open if None)."""
    aw, pw = MartAssetWindow, MartPriceWindow
    text_query = select(
        aw.window_start,
        aw.asset_id,
        aw.source_class,
        aw.source,
        aw.mentions,
        aw.sentiment_mean,
        aw.bull_share,
        aw.bear_share,
    ).where(
        aw.window_start >= as_utc(since),
        aw.source == "all",
        aw.source_class.in_(SOURCE_CLASSES),
    )
    price_query = select(pw.window_start, pw.asset_id, pw.close, pw.return_pct).where(
        pw.window_start >= as_utc(since)
    )
    if until is not None:
        text_query = text_query.where(aw.window_start < as_utc(until))
        price_query = price_query.where(pw.window_start < as_utc(until))
    text = pd.DataFrame(session.execute(text_query).mappings().all())
    prices = pd.DataFrame(session.execute(price_query).mappings().all())
    if text.empty and prices.empty:
        return empty_panel()
    if text.empty:
        text = pd.DataFrame(columns=[c.name for c in text_query.selected_columns])
    if prices.empty:
        prices = pd.DataFrame(columns=["window_start", "asset_id", "close", "return_pct"])
    for frame in (text, prices):
        frame["window_start"] = pd.to_datetime(frame["window_start"], utc=True)
    return panel_from_frames(text, prices)
