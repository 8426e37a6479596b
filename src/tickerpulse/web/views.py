"""What each page shows: the queries a page needs, gathered into its template context.

Routes stay thin (HTTP concerns: redirects, status codes, templates); this
module decides which windows and rows a page reads, and builds the charts.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy.orm import Session

from tickerpulse.domain import TEXT_SOURCES, WINDOW
from tickerpulse.web import charts, queries
from tickerpulse.web.records import (
    AssetOverview,
    DocumentRow,
    NewsCoverageRow,
    NewsGroupRow,
    PredictionListRow,
    PredictionRow,
    RelationRow,
    SourceRow,
    TrendingRow,
)

ASSET_CLASSES = ("stock", "etf", "crypto", "fx")
TRENDING_LIMIT = 25
HISTORY = timedelta(days=30)


TRENDING_PERIODS = {"6h": ("6 h", 1), "24h": ("24 h", 4), "7d": ("7 days", 28)}


@dataclass(frozen=True)
class TrendingView:
    """The trending page: the ranking over a period, possibly by class and by source."""

    window: datetime | None
    published_at: datetime | None = None
    asset_class: str | None = None
    period: str = "6h"
    source: str | None = None
    rows: list[TrendingRow] = field(default_factory=list)
    classes: tuple[str, ...] = ASSET_CLASSES
    periods: dict[str, tuple[str, int]] = field(default_factory=lambda: TRENDING_PERIODS)
    sources: tuple[str, ...] = TEXT_SOURCES

    @property
    def period_label(self) -> str:
        """The period in words ("24 h")."""
        return self.periods[self.period][0]


@dataclass(frozen=True)
class AssetView:
    """The asset page: the overview, the three-row figure, sources and latest documents."""

    asset: AssetOverview
    figure_json: str | None = None
    breakdown: list[SourceRow] = field(default_factory=list)
    documents: list[DocumentRow] = field(default_factory=list)
    relation: list[RelationRow] = field(default_factory=list)
    prediction: PredictionRow | None = None


NEWS_PERIODS = {"6h": ("the latest window", 1), "24h": ("last 24 h", 4), "7d": ("last 7 days", 28)}
NEWS_GROUPINGS = {"outlet": "outlet", "region": "region", "asset_class": "asset class"}


@dataclass(frozen=True)
class NewsView:
    """The news analytics page: volume and tone by outlet, region or class; most covered assets."""

    window: datetime | None
    by: str = "outlet"
    period: str = "24h"
    groups: list[NewsGroupRow] = field(default_factory=list)
    coverage: list[NewsCoverageRow] = field(default_factory=list)
    figure_json: str | None = None
    since: datetime | None = None
    periods: dict[str, tuple[str, int]] = field(default_factory=lambda: NEWS_PERIODS)
    groupings: dict[str, str] = field(default_factory=lambda: NEWS_GROUPINGS)


def news_view(session: Session, *, by: str | None, period: str | None) -> NewsView:
    """Gather the news page for a grouping and a period ending with the newest window.

    Args:
        session: An open database session.
        by: ``outlet``, ``region`` or ``asset_class`` (anything else: outlet).
        period: ``6h``, ``24h`` or ``7d`` (anything else: 24h).

    Returns:
        The view; ``window`` is None when no cycle has been published.
    """
    grouping = by if by in NEWS_GROUPINGS else "outlet"
    chosen = period if period in NEWS_PERIODS else "24h"
    window = queries.latest_window(session)
    if window is None:
        return NewsView(window=None, by=grouping, period=chosen)
    label, windows = NEWS_PERIODS[chosen]
    since = window - WINDOW * (windows - 1)
    groups = queries.news_groups(session, by=cast(queries.NewsGrouping, grouping), since=since)
    figure = (
        charts.news_groups_figure(groups, by_label=NEWS_GROUPINGS[grouping], period_label=label)
        if groups
        else None
    )
    return NewsView(
        window=window,
        by=grouping,
        period=chosen,
        groups=groups,
        coverage=queries.news_coverage(session, since=since),
        figure_json=None if figure is None else charts.figure_json(figure),
        since=since,
    )


COMPARE_MAX = 5


@dataclass(frozen=True)
class CompareView:
    """The compare page: two to five assets' prices and sentiment on one chart."""

    asked: str
    assets: list[AssetOverview] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    figure_json: str | None = None


def compare_view(session: Session, *, asked: str | None) -> CompareView:
    """Resolve up to five comma-separated symbols or ids and chart their last 30 days.

    Args:
        session: An open database session.
        asked: What the reader typed, e.g. ``"BTC, ETH, AAPL"``.

    Returns:
        The view; unknown names and names beyond five are listed so the page can say so.
    """
    names = [n.strip() for n in (asked or "").split(",") if n.strip()]
    assets: list[AssetOverview] = []
    unknown: list[str] = []
    for name in dict.fromkeys(names):
        asset_id = name if ":" in name else queries.asset_id_for_symbol(session, symbol=name)
        found = queries.asset_overview(session, asset_id=asset_id) if asset_id else None
        if found is None:
            unknown.append(name)
        elif all(a.asset_id != found.asset_id for a in assets):
            assets.append(found)
    shown, dropped = assets[:COMPARE_MAX], [a.symbol for a in assets[COMPARE_MAX:]]
    view = CompareView(asked=asked or "", assets=shown, unknown=unknown, dropped=dropped)
    latest = queries.latest_window(session)
    if len(shown) < 2 or latest is None:
        return view
    series = [
        (a.symbol, queries.asset_windows(session, asset_id=a.asset_id, since=latest - HISTORY))
        for a in shown
    ]
    if not any(rows for _, rows in series):
        return view
    figure = charts.compare_figure(series)
    return replace(view, figure_json=charts.figure_json(figure))


@dataclass(frozen=True)
class PredictionsView:
    """The predictions page: every asset's call for the next window and the model's record."""

    model: PredictionRow | None
    calls: list[PredictionListRow] = field(default_factory=list)


def predictions_view(session: Session) -> PredictionsView:
    """Gather the newest predicted window's calls."""
    model, calls = queries.latest_predictions(session)
    return PredictionsView(model=model, calls=calls)


def trending_view(
    session: Session,
    *,
    asset_class: str | None,
    period: str | None = None,
    source: str | None = None,
) -> TrendingView:
    """Gather the trending page for the period ending with the newest window.

    Args:
        session: An open database session.
        asset_class: One of :data:`ASSET_CLASSES`; anything else means all classes.
        period: ``6h``, ``24h`` or ``7d``; anything else means 6h.
        source: One text source (``reddit``, ``news``, …); anything else means all.

    Returns:
        The view; ``window`` is None when no cycle has been published.
    """
    chosen = asset_class if asset_class in ASSET_CLASSES else None
    span = period if period in TRENDING_PERIODS else "6h"
    picked = source if source in TEXT_SOURCES else None
    window = queries.latest_window(session)
    base = TrendingView(window=window, asset_class=chosen, period=span, source=picked)
    if window is None:
        return base
    return replace(
        base,
        published_at=queries.published_at(session, window_start=window),
        rows=queries.trending(
            session, window_start=window, limit=TRENDING_LIMIT, asset_class=chosen,
            windows=TRENDING_PERIODS[span][1], source=picked,
        ),
    )  # fmt: skip


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
        relation=queries.asset_relation(session, asset_id=asset_id),
        prediction=queries.asset_prediction(session, asset_id=asset_id),
    )
