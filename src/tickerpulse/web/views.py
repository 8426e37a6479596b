"""What each page shows: the queries a page needs, gathered into its template context.

Routes stay thin (HTTP concerns: redirects, status codes, templates); this
module decides which windows and rows a page reads, and builds the charts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from tickerpulse.web import charts, queries
from tickerpulse.web.records import AssetOverview, DocumentRow, SourceRow, TrendingRow

ASSET_CLASSES = ("stock", "etf", "crypto", "fx")
TRENDING_LIMIT = 25
HISTORY = timedelta(days=30)


@dataclass(frozen=True)
class TrendingView:
    """The trending page: the latest window's ranking, possibly filtered by class."""

    window: datetime | None
    published_at: datetime | None = None
    asset_class: str | None = None
    rows: list[TrendingRow] = field(default_factory=list)
    classes: tuple[str, ...] = ASSET_CLASSES


@dataclass(frozen=True)
class AssetView:
    """The asset page: the overview, the three-row figure, sources and latest documents."""

    asset: AssetOverview
    figure_json: str | None = None
    breakdown: list[SourceRow] = field(default_factory=list)
    documents: list[DocumentRow] = field(default_factory=list)


def trending_view(session: Session, *, asset_class: str | None) -> TrendingView:
    """Gather the trending page for the newest window.

    Args:
        session: An open database session.
        asset_class: One of :data:`ASSET_CLASSES`; anything else means all classes.

    Returns:
        The view; ``window`` is None when no cycle has been published.
    """
    chosen = asset_class if asset_class in ASSET_CLASSES else None
    window = queries.latest_window(session)
    if window is None:
        return TrendingView(window=None, asset_class=chosen)
    return TrendingView(
        window=window,
        published_at=queries.published_at(session, window_start=window),
        asset_class=chosen,
        rows=queries.trending(
            session, window_start=window, limit=TRENDING_LIMIT, asset_class=chosen
        ),
    )


def asset_view(session: Session, *, asset_id: str) -> AssetView | None:
    """Gather the asset page: the last 30 days of windows up to the newest one.

    Args:
        session: An open database session.
        asset_id: The asset's id.

    Returns:
        The view, or None for an unknown asset.
    """
    asset = queries.asset_overview(session, asset_id=asset_id)
    if asset is None or asset.latest_window is None:
        return None if asset is None else AssetView(asset=asset)
    latest = asset.latest_window
    rows = queries.asset_windows(session, asset_id=asset_id, since=latest - HISTORY)
    unit = charts.price_unit(asset.asset_class, asset.symbol)
    figure = charts.asset_figure(asset.symbol, rows, unit=unit) if rows else None
    return AssetView(
        asset=asset,
        figure_json=None if figure is None else charts.figure_json(figure),
        breakdown=queries.source_breakdown(session, asset_id=asset_id, window_start=latest),
        documents=queries.latest_documents(session, asset_id=asset_id),
    )
