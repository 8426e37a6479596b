"""What each page shows: the queries a page needs, gathered into its template context.

Routes stay thin (HTTP concerns: redirects, status codes, templates); this
module decides which windows and rows a page reads, and builds the charts.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy.orm import Session

from tickerpulse.db.marts import asset_id_for_symbol
from tickerpulse.domain import TEXT_SOURCES, WINDOW
from tickerpulse.explore.ranges import DEFAULT_RANGE, HistoryRange
from tickerpulse.platform.tiers import FULL_ACCESS, Access, Feature, Gate
from tickerpulse.web import charts, queries, relation_queries
from tickerpulse.web.news_agreement import AgreementRow, provider_agreement
from tickerpulse.web.records import (
    AssetOverview,
    AssetWindowRow,
    DocumentRow,
    NewsCoverageRow,
    NewsGroupRow,
    PredictionListRow,
    PredictionRow,
    RelationRow,
    SourceRow,
    TrendingRow,
)
from tickerpulse.web.relation_charts import RelationCharts, relation_charts
from tickerpulse.web.tables import RangeSummary, range_summary

ASSET_CLASSES = ("stock", "etf", "crypto", "fx")
TRENDING_LIMIT = 25
TRENDING_ALL = 1000
"""Rows of "show every asset" (more than the universe holds)."""
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
    delayed: bool = False
    row_cap: int | None = None
    show_all: bool = False

    @property
    def more(self) -> bool:
        """Whether the page shows its first rows only and the reader may ask for every asset."""
        return self.row_cap is None and not self.show_all and len(self.rows) >= TRENDING_LIMIT

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
    daily: bool = False
    delayed: bool = False
    relation_gate: Gate | None = None
    prediction_gate: Gate | None = None
    relation_charts: RelationCharts | None = None
    """Lead-lag and event-study charts; None when the relation panel is gated."""
    history: HistoryRange = field(default_factory=lambda: HistoryRange(DEFAULT_RANGE))
    """The range charted (the Free plan's 7 days by day, whatever was asked)."""
    rows: list[AssetWindowRow] = field(default_factory=list)
    """The charted windows (or days), oldest first: the chart's data, for its CSV."""
    summary: RangeSummary | None = None

    @property
    def needs_plotly(self) -> bool:
        """Whether any chart on the page is drawn by Plotly.js."""
        extra = self.relation_charts
        return bool(self.figure_json or (extra and (extra.lead_lag_json or extra.events_json)))


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
    provider: list[AgreementRow] = field(default_factory=list)
    """Alpha Vantage's published sentiment beside ours: overall, then per outlet."""
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
        provider=provider_agreement(session, since=since),
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
    history: HistoryRange = field(default_factory=lambda: HistoryRange(DEFAULT_RANGE))
    series: list[tuple[str, list[AssetWindowRow]]] = field(default_factory=list)
    """Each asset's windows over the range: the chart's data, for its CSV."""
    summaries: list[RangeSummary] = field(default_factory=list)
    """Per asset (in the order of ``assets``), its return and attention over the range."""


def compare_view(
    session: Session, *, asked: str | None, history: HistoryRange | None = None
) -> CompareView:
    """Resolve up to five comma-separated symbols or ids and chart them over a range.

    Args:
        session: An open database session.
        asked: What the reader typed, e.g. ``"BTC, ETH, AAPL"``.
        history: The range charted (default: the last 30 days).

    Returns:
        The view; unknown names and names beyond five are listed so the page can say so.
    """
    names = [n.strip() for n in (asked or "").split(",") if n.strip()]
    assets: list[AssetOverview] = []
    unknown: list[str] = []
    for name in dict.fromkeys(names):
        asset_id = name if ":" in name else asset_id_for_symbol(session, symbol=name)
        found = queries.asset_overview(session, asset_id=asset_id) if asset_id else None
        if found is None:
            unknown.append(name)
        elif all(a.asset_id != found.asset_id for a in assets):
            assets.append(found)
    shown, dropped = assets[:COMPARE_MAX], [a.symbol for a in assets[COMPARE_MAX:]]
    chosen = history or HistoryRange(DEFAULT_RANGE)
    view = CompareView(
        asked=asked or "", assets=shown, unknown=unknown, dropped=dropped, history=chosen
    )
    latest = queries.latest_window(session)
    if len(shown) < 2 or latest is None:
        return view
    since, until = chosen.bounds(latest)
    series = [
        (a.symbol, queries.asset_windows(session, asset_id=a.asset_id, since=since, until=until))
        for a in shown
    ]
    if not any(rows for _, rows in series):
        return view
    figure = charts.compare_figure(series)
    return replace(
        view, figure_json=charts.figure_json(figure), series=series,
        summaries=[range_summary(rows) for _, rows in series],
    )  # fmt: skip


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
    access: Access = FULL_ACCESS,
    show_all: bool = False,
) -> TrendingView:
    """Gather the trending page for the period ending with the newest window the reader may see.

    Args:
        session: An open database session.
        asset_class: One of :data:`ASSET_CLASSES`; anything else means all classes.
        period: ``6h``, ``24h`` or ``7d``; anything else means 6h.
        source: One text source (``reddit``, ``news``, …); anything else means all.
        access: The reader's access (Free: top 20, a day behind).
        show_all: Every mentioned asset instead of the top 25 (not past a tier's row cap).

    Returns:
        The view; ``window`` is None when no cycle has been published.
    """
    chosen = asset_class if asset_class in ASSET_CLASSES else None
    span = period if period in TRENDING_PERIODS else "6h"
    picked = source if source in TEXT_SOURCES else None
    window = visible_window(session, access)
    cap = access.trending_rows
    every = show_all and cap is None
    base = TrendingView(
        window=window, asset_class=chosen, period=span, source=picked,
        delayed=bool(access.delay), row_cap=cap, show_all=every,
    )  # fmt: skip
    if window is None:
        return base
    return replace(
        base,
        published_at=queries.published_at(session, window_start=window),
        rows=queries.trending(
            session, window_start=window, limit=cap or (TRENDING_ALL if every else TRENDING_LIMIT),
            asset_class=chosen, windows=TRENDING_PERIODS[span][1], source=picked,
        ),
    )  # fmt: skip


def visible_window(session: Session, access: Access) -> datetime | None:
    """The newest window the reader may see: the newest, or the newest a day old (Free)."""
    latest = queries.latest_window(session)
    if latest is None or not access.delay:
        return latest
    return queries.latest_window(session, until=latest - access.delay)


def asset_view(
    session: Session,
    *,
    asset_id: str,
    access: Access = FULL_ACCESS,
    signed_in: bool = False,
    history: HistoryRange | None = None,
) -> AssetView | None:
    """Gather the asset page: a range of windows up to the newest one the reader may see.

    Free readers get whole days over the last week, a day behind, and upgrade
    prompts instead of the relation panel and the prediction.

    Args:
        session: An open database session.
        asset_id: The asset's id.
        access: The reader's access.
        signed_in: Whether the reader has an account (for the prompts' wording).
        history: The range charted, as the reader's plan allows it (default: 30 days,
            or the Free plan's 7).

    Returns:
        The view, or None for an unknown asset.
    """
    window = visible_window(session, access)
    asset = queries.asset_overview(session, asset_id=asset_id, window=window)
    if asset is None or asset.latest_window is None:
        return None if asset is None else AssetView(asset=asset)
    latest = asset.latest_window
    daily = access.daily_sentiment_only
    chosen = history or access.history_range(None, None, None)
    since, until = (latest - FREE_HISTORY, latest) if daily else chosen.bounds(latest)
    rows = queries.asset_windows(session, asset_id=asset_id, since=since, until=until)
    if daily:
        rows = daily_rows(rows)
    unit = charts.price_unit(asset.asset_class, asset.symbol)
    figure = charts.asset_figure(asset.symbol, rows, unit=unit, daily=daily) if rows else None
    relation_gate = access.gate(Feature.RELATION, signed_in=signed_in)
    prediction_gate = access.gate(Feature.PREDICTIONS, signed_in=signed_in)
    return AssetView(
        asset=asset,
        figure_json=None if figure is None else charts.figure_json(figure),
        breakdown=queries.source_breakdown(session, asset_id=asset_id, window_start=latest),
        documents=queries.latest_documents(
            session, asset_id=asset_id, until=latest + WINDOW if access.delay else None
        ),
        relation=[] if relation_gate else queries.asset_relation(session, asset_id=asset_id),
        relation_charts=None if relation_gate else _relation_charts(session, asset),
        prediction=None
        if prediction_gate
        else queries.asset_prediction(session, asset_id=asset_id),
        daily=daily,
        delayed=bool(access.delay),
        relation_gate=relation_gate,
        prediction_gate=prediction_gate,
        history=chosen,
        rows=rows,
        summary=range_summary(rows) if rows else None,
    )


FREE_HISTORY = timedelta(days=7) - WINDOW


def _relation_charts(session: Session, asset: AssetOverview) -> RelationCharts:
    """The relation panel's lead-lag and event-study charts from their marts."""
    return relation_charts(
        asset.symbol,
        relation_queries.asset_lead_lag(session, asset_id=asset.asset_id),
        relation_queries.asset_event_study(session, asset_id=asset.asset_id),
    )


def daily_rows(rows: list[AssetWindowRow]) -> list[AssetWindowRow]:
    """Whole UTC days from 6-hour windows: OHLC across the day, summed mentions, weighted tone.

    Args:
        rows: Windows oldest first.

    Returns:
        One row per day (``window_start`` at midnight UTC), oldest first.
    """
    days: dict[datetime, list[AssetWindowRow]] = {}
    for row in rows:
        day = row.window_start.replace(hour=0, minute=0, second=0, microsecond=0)
        days.setdefault(day, []).append(row)
    return [_merge_day(day, part) for day, part in days.items()]


def _merge_day(day: datetime, part: list[AssetWindowRow]) -> AssetWindowRow:
    priced = [r for r in part if r.close is not None]
    first_open = next((r.open for r in priced if r.open is not None), None)
    highs = [r.high for r in priced if r.high is not None]
    lows = [r.low for r in priced if r.low is not None]
    close = priced[-1].close if priced else None
    return AssetWindowRow(
        window_start=day,
        open=first_open,
        high=max(highs) if highs else None,
        low=min(lows) if lows else None,
        close=close,
        return_pct=None if first_open in (None, 0) or close is None else close / first_open - 1,
        social_sentiment=_weighted(part, social=True),
        social_mentions=sum(r.social_mentions for r in part),
        news_sentiment=_weighted(part, social=False),
        news_mentions=sum(r.news_mentions for r in part),
        sentiment_model=_one_model(part),
    )


def _one_model(part: list[AssetWindowRow]) -> str | None:
    models = {r.sentiment_model for r in part if r.sentiment_model is not None}
    return models.pop() if len(models) == 1 else ("mixed" if models else None)


def _weighted(part: list[AssetWindowRow], *, social: bool) -> float | None:
    pairs = [
        (r.social_sentiment, r.social_mentions) if social else (r.news_sentiment, r.news_mentions)
        for r in part
    ]
    total = sum(n for s, n in pairs if s is not None)
    return None if total == 0 else sum(s * n for s, n in pairs if s is not None) / total
