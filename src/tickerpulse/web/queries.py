"""Read-only queries over the marts: every page reads through these and nothing else.

Each function takes the session explicitly and its filters as keyword
arguments, issues parametrised SQLAlchemy selects that hit the marts' window
indexes, and returns the plain rows of :mod:`tickerpulse.web.records`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Subquery, and_, case, distinct, func, literal, select
from sqlalchemy.orm import Session

from tickerpulse.db.models import (
    Asset,
    CycleRun,
    MartAssetWindow,
    MartDocument,
    MartDocumentAsset,
    MartPrediction,
    MartPriceWindow,
    MartRelation,
    NewsOutlet,
    UTCDateTime,
)
from tickerpulse.domain import WINDOW
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

SPARKLINE_WINDOWS = 28  # seven days of 6-hour closes
PUBLISH_STAGE = "publish"

_ALL = MartAssetWindow.source_class == "all", MartAssetWindow.source == "all"


def latest_window(session: Session, *, until: datetime | None = None) -> datetime | None:
    """The start of the newest window published to the marts (starting at or before ``until``).

    Args:
        session: An open database session.
        until: Latest window start to consider (a delayed view); None for the newest.

    Returns:
        The window start (aware UTC), or None before the first publish.
    """
    stmt = select(func.max(MartAssetWindow.window_start))
    if until is not None:
        stmt = stmt.where(MartAssetWindow.window_start <= until)
    return session.scalar(stmt)


def published_at(session: Session, *, window_start: datetime) -> datetime | None:
    """When the publish stage of a window finished, per the run ledger.

    Args:
        session: An open database session.
        window_start: The window's start.

    Returns:
        The finish time, or None if the ledger has no finished publish for it.
    """
    return session.scalar(
        select(CycleRun.finished_at).where(
            CycleRun.window_start == window_start, CycleRun.stage == PUBLISH_STAGE
        )
    )


def trending(
    session: Session,
    *,
    window_start: datetime,
    limit: int = 25,
    asset_class: str | None = None,
    windows: int = 1,
    source: str | None = None,
) -> list[TrendingRow]:
    """The most-mentioned assets of a period, with their change against the period before.

    A period is ``windows`` 6-hour windows ending with ``window_start`` (1 = 6 h,
    4 = 24 h, 28 = 7 days). Mentions add up over the period; sentiment and the
    bull/bear shares are mention-weighted means; the return runs from the close
    before the period to its last close. Ranks count all sources unless ``source``
    names one (``reddit``, ``news``, …); with a class filter they rank within it.

    Args:
        session: An open database session.
        window_start: The last window of the period.
        limit: How many assets to return at most.
        asset_class: Only assets of this class (stock, etf, crypto, fx), or all.
        windows: The period's length in windows.
        source: Only mentions from this source, or all sources.

    Returns:
        Rows ordered by rank (most mentions first; ties by asset id).
    """
    span = windows * WINDOW
    first, previous_first = window_start - span + WINDOW, window_start - 2 * span + WINDOW
    m = MartAssetWindow
    period = case((m.window_start >= first, "now"), else_="before").label("period")
    weight = m.mentions
    scope = (m.source == source,) if source else _ALL

    def weighted(column: Any) -> Any:
        """Mention-weighted mean of ``column`` over the rows that have a value."""
        known = func.sum(case((column.is_not(None), weight), else_=0))
        return func.sum(column * weight) / func.nullif(known, 0)

    per_period = (
        select(
            m.asset_id,
            period,
            func.sum(m.mentions).label("mentions"),
            weighted(m.sentiment_mean).label("sentiment_mean"),
            weighted(m.bull_share).label("bull_share"),
            weighted(m.bear_share).label("bear_share"),
        )
        .join(Asset, Asset.asset_id == m.asset_id)
        .where(m.window_start >= previous_first, m.window_start <= window_start, *scope)
        .group_by(m.asset_id, period)
    )
    if asset_class is not None:
        per_period = per_period.where(Asset.asset_class == asset_class)
    totals = per_period.subquery("totals")
    ranked = select(
        totals,
        func.row_number()
        .over(partition_by=totals.c.period, order_by=(totals.c.mentions.desc(), totals.c.asset_id))
        .label("rank"),
    ).cte("ranked")
    now, before = ranked.alias("now"), ranked.alias("before")
    last, start = MartPriceWindow.__table__.alias("last"), _period_start_close(first)
    end = window_start
    stmt = (
        select(
            now.c.asset_id, Asset.symbol, Asset.name, Asset.asset_class, now.c.rank,
            now.c.mentions, before.c.rank.label("previous_rank"),
            before.c.mentions.label("previous_mentions"), now.c.sentiment_mean,
            now.c.bull_share, now.c.bear_share, last.c.close,
            (last.c.close / func.nullif(start.c.prev_close, 0) - 1).label("return_pct"),
        )
        .join(Asset, Asset.asset_id == now.c.asset_id)
        .outerjoin(before, and_(before.c.asset_id == now.c.asset_id, before.c.period == "before"))
        .outerjoin(last, and_(last.c.asset_id == now.c.asset_id, last.c.window_start == end))
        .outerjoin(start, start.c.asset_id == now.c.asset_id)
        .where(now.c.period == "now")
        .order_by(now.c.rank)
        .limit(limit)
    )  # fmt: skip
    rows = [TrendingRow(**row) for row in session.execute(stmt).mappings()]
    closes = close_series(
        session, asset_ids=[r.asset_id for r in rows], until=window_start,
        windows=max(SPARKLINE_WINDOWS, windows),
    )  # fmt: skip
    return [replace(r, sparkline=tuple(closes[r.asset_id])) for r in rows]


def _period_start_close(first: datetime) -> Subquery:
    """Per asset, the close before the period: the first window's ``prev_close``."""
    p = MartPriceWindow
    return select(p.asset_id, p.prev_close).where(p.window_start == first).subquery("period_start")


def close_series(
    session: Session,
    *,
    asset_ids: Sequence[str],
    until: datetime,
    windows: int = SPARKLINE_WINDOWS,
) -> dict[str, list[float]]:
    """Window closes of several assets, oldest first, in one query.

    Args:
        session: An open database session.
        asset_ids: The assets wanted.
        until: The last window included.
        windows: How many windows back from ``until`` (inclusive) to read.

    Returns:
        Closes per asset id; assets without prices map to an empty list.
    """
    series: dict[str, list[float]] = {asset_id: [] for asset_id in asset_ids}
    if not series:
        return series
    p = MartPriceWindow
    stmt = (
        select(p.asset_id, p.close)
        .where(
            p.asset_id.in_(series),
            p.window_start > until - windows * WINDOW,
            p.window_start <= until,
        )
        .order_by(p.asset_id, p.window_start)
    )
    for asset_id, close in session.execute(stmt):
        series[asset_id].append(close)
    return series


def asset_overview(
    session: Session, *, asset_id: str, window: datetime | None = None
) -> AssetOverview | None:
    """An asset with its mentions, tone and price in the newest (or a given) published window.

    Args:
        session: An open database session.
        asset_id: The asset's id, such as ``stock:AAPL``.
        window: The window to show (a delayed view); None for the newest.

    Returns:
        The overview (window figures None where unpublished), or None for an unknown asset.
    """
    found = asset_overviews(session, asset_ids=[asset_id], window=window)
    return found[0] if found else None


def asset_overviews(
    session: Session, *, asset_ids: Sequence[str], window: datetime | None = None
) -> list[AssetOverview]:
    """Several assets' overviews (see :func:`asset_overview`) in one query, in the order asked.

    Args:
        session: An open database session.
        asset_ids: The assets' ids; unknown ids are left out.
        window: The window to show (a delayed view); None for the newest.

    Returns:
        One overview per known asset, in the order of ``asset_ids``.
    """
    if not asset_ids:
        return []
    latest: Any = (
        select(func.max(MartAssetWindow.window_start)).scalar_subquery()
        if window is None
        else literal(window, UTCDateTime)
    )
    m, p = MartAssetWindow, MartPriceWindow
    stmt = (
        select(
            Asset.asset_id,
            Asset.symbol,
            Asset.name,
            Asset.asset_class,
            latest.label("latest_window"),
            m.mentions,
            m.sentiment_mean,
            m.bull_share,
            m.bear_share,
            p.close,
            p.return_pct,
        )
        .outerjoin(m, and_(m.asset_id == Asset.asset_id, m.window_start == latest, *_ALL))
        .outerjoin(p, and_(p.asset_id == Asset.asset_id, p.window_start == latest))
        .where(Asset.asset_id.in_(asset_ids))
    )
    found = {row["asset_id"]: AssetOverview(**row) for row in session.execute(stmt).mappings()}
    return [found[a] for a in dict.fromkeys(asset_ids) if a in found]


def asset_windows(
    session: Session, *, asset_id: str, since: datetime | None, until: datetime | None = None
) -> list[AssetWindowRow]:
    """Price and social/news sentiment of an asset per window, outer-joined on the window.

    Args:
        session: An open database session.
        asset_id: The asset's id.
        since: The first window start included (None: from the first window).
        until: The last window start included (None: up to the newest).

    Returns:
        One row per window that has a price or mentions, oldest first; missing
        prices and sentiments are None, missing mentions 0.
    """
    m, p = MartAssetWindow, MartPriceWindow

    tone = (
        select(
            m.window_start,
            func.max(m.sentiment_mean).filter(m.source_class == "social").label("social_sentiment"),
            func.max(m.mentions).filter(m.source_class == "social").label("social_mentions"),
            func.max(m.sentiment_mean).filter(m.source_class == "news").label("news_sentiment"),
            func.max(m.mentions).filter(m.source_class == "news").label("news_mentions"),
            case(
                (func.count(distinct(m.sentiment_model)) > 1, "mixed"),
                else_=func.max(m.sentiment_model),
            ).label("sentiment_model"),
        )
        .where(
            m.asset_id == asset_id,
            *_between(m.window_start, since, until),
            m.source == "all",
            m.source_class.in_(("social", "news")),
        )
        .group_by(m.window_start)
        .subquery("tone")
    )
    prices = (
        select(p.window_start, p.open, p.high, p.low, p.close, p.return_pct)
        .where(p.asset_id == asset_id, *_between(p.window_start, since, until))
        .subquery("prices")
    )
    window = func.coalesce(prices.c.window_start, tone.c.window_start)
    stmt = (
        select(
            window.label("window_start"),
            prices.c.open,
            prices.c.high,
            prices.c.low,
            prices.c.close,
            prices.c.return_pct,
            tone.c.social_sentiment,
            func.coalesce(tone.c.social_mentions, 0).label("social_mentions"),
            tone.c.news_sentiment,
            func.coalesce(tone.c.news_mentions, 0).label("news_mentions"),
            tone.c.sentiment_model,
        )
        .select_from(prices.join(tone, prices.c.window_start == tone.c.window_start, full=True))
        .order_by(window)
    )
    return [AssetWindowRow(**row) for row in session.execute(stmt).mappings()]


def _between(column: Any, since: datetime | None, until: datetime | None) -> list[Any]:
    """Conditions keeping ``column`` within ``[since, until]`` (either end open when None)."""
    kept = [] if since is None else [column >= since]
    return kept if until is None else [*kept, column <= until]


def source_breakdown(session: Session, *, asset_id: str, window_start: datetime) -> list[SourceRow]:
    """Mentions and sentiment of an asset per provider in one window, busiest first.

    Args:
        session: An open database session.
        asset_id: The asset's id.
        window_start: The window's start.

    Returns:
        One row per provider that mentioned the asset.
    """
    m = MartAssetWindow
    stmt = (
        select(
            m.source,
            m.source_class,
            m.mentions,
            m.unique_authors,
            m.sentiment_mean,
            m.bull_share,
            m.bear_share,
            m.spam_mentions,
        )
        .where(
            m.asset_id == asset_id,
            m.window_start == window_start,
            m.source_class != "all",
            m.source != "all",
        )
        .order_by(m.mentions.desc(), m.source)
    )
    return [SourceRow(**row) for row in session.execute(stmt).mappings()]


def latest_documents(
    session: Session, *, asset_id: str, limit: int = 20, until: datetime | None = None
) -> list[DocumentRow]:
    """The newest published posts and articles that mention an asset.

    Args:
        session: An open database session.
        asset_id: The asset's id.
        limit: How many documents at most.
        until: Only documents created before this time (a delayed view); None for all.

    Returns:
        Documents newest first (by creation time; ties by id).
    """
    d, a = MartDocument, MartDocumentAsset
    stmt = (
        select(
            d.doc_id,
            d.kind,
            d.source,
            d.channel,
            d.created_at,
            d.title,
            d.text,
            d.url,
            d.sentiment_score,
            d.sentiment_label,
            a.relevance,
        )
        .join(a, a.doc_id == d.doc_id)
        .where(a.asset_id == asset_id)
        .order_by(d.created_at.desc(), d.doc_id)
        .limit(limit)
    )
    if until is not None:
        stmt = stmt.where(d.created_at < until)
    return [DocumentRow(**row) for row in session.execute(stmt).mappings()]


NewsGrouping = Literal["outlet", "region", "asset_class"]


def news_groups(session: Session, *, by: NewsGrouping, since: datetime) -> list[NewsGroupRow]:
    """News volume and tone since ``since``, per outlet, per outlet region or per asset class.

    Outlets come from the ``news_outlet`` catalog (unknown outlets group as
    "unknown" region); by asset class an article counts once per class it mentions.

    Args:
        session: An open database session.
        by: What to group by.
        since: Earliest window start included.

    Returns:
        Groups with the most articles first (ties by name).
    """
    d = MartDocument
    column = {
        "outlet": d.channel,
        "region": func.coalesce(NewsOutlet.region, "unknown"),
        "asset_class": Asset.asset_class,
    }[by]
    articles = func.count(func.distinct(d.doc_id))
    stmt = select(
        column.label("group"), articles.label("articles"), func.avg(d.sentiment_score)
    ).where(d.kind == "news", d.window_start >= since)
    if by == "region":
        stmt = stmt.outerjoin(NewsOutlet, NewsOutlet.outlet == d.channel)
    if by == "asset_class":
        stmt = stmt.join(MartDocumentAsset, MartDocumentAsset.doc_id == d.doc_id).join(
            Asset, Asset.asset_id == MartDocumentAsset.asset_id
        )
    stmt = stmt.group_by(column).order_by(articles.desc(), column)
    return [
        NewsGroupRow(group=group, articles=count, sentiment_mean=tone)
        for group, count, tone in session.execute(stmt)
    ]


def news_coverage(session: Session, *, since: datetime, limit: int = 15) -> list[NewsCoverageRow]:
    """The assets the news covered most since ``since``, with outlet count and agreement.

    Args:
        session: An open database session.
        since: Earliest window start included.
        limit: How many assets.

    Returns:
        Assets by articles, most first (ties by symbol).
    """
    d, da = MartDocument, MartDocumentAsset
    per_outlet = (
        select(
            da.asset_id.label("asset_id"),
            d.channel.label("outlet"),
            func.count(func.distinct(d.doc_id)).label("articles"),
            func.avg(d.sentiment_score).label("tone"),
        )
        .join(da, da.doc_id == d.doc_id)
        .where(d.kind == "news", d.window_start >= since)
        .group_by(da.asset_id, d.channel)
        .subquery("per_outlet")
    )
    articles = func.sum(per_outlet.c.articles)
    tone = func.sum(per_outlet.c.tone * per_outlet.c.articles) / articles
    stmt = (
        select(
            per_outlet.c.asset_id, Asset.symbol, Asset.name, articles, func.count(),
            tone, func.stddev_pop(per_outlet.c.tone),
        )
        .join(Asset, Asset.asset_id == per_outlet.c.asset_id)
        .group_by(per_outlet.c.asset_id, Asset.symbol, Asset.name)
        .order_by(articles.desc(), Asset.symbol)
        .limit(limit)
    )  # fmt: skip
    return [
        NewsCoverageRow(asset_id=a, symbol=sym, name=name, articles=int(n), outlets=int(o),
                        tone=t, tone_spread=spread if o > 1 else None)
        for a, sym, name, n, o, t, spread in session.execute(stmt)
    ]  # fmt: skip


def asset_relation(session: Session, *, asset_id: str) -> list[RelationRow]:
    """The asset's published sentiment↔return statistics, social first, same window first."""
    r = MartRelation
    stmt = (
        select(r.source_class, r.signal, r.horizon, r.r, r.ci_low, r.ci_high, r.n, r.q_value,
               r.granger_q, r.verdict)
        .where(r.asset_id == asset_id, r.signal == "sentiment")
        .order_by(r.source_class.desc(), r.horizon)
    )  # fmt: skip
    return [RelationRow(**row) for row in session.execute(stmt).mappings()]


def asset_prediction(session: Session, *, asset_id: str) -> PredictionRow | None:
    """The newest published prediction for the asset, if any."""
    p = MartPrediction
    stmt = (
        select(p.window_start, p.model, p.prob_up, p.auc, p.auc_ci_low, p.auc_ci_high,
               p.hit_rate, p.n, p.verdict, p.market_open, p.asset_auc, p.asset_hit_rate,
               p.asset_n)
        .where(p.asset_id == asset_id)
        .order_by(p.window_start.desc())
        .limit(1)
    )  # fmt: skip
    row = session.execute(stmt).mappings().first()
    return None if row is None else PredictionRow(**row)


def latest_predictions(session: Session) -> tuple[PredictionRow | None, list[PredictionListRow]]:
    """The newest predicted window's calls, most confident first, and the model's record.

    Assets whose market is closed for the whole window come last (the page shows no call).

    Returns:
        A representative row (the model and its out-of-sample scores, which every
        call of one run shares) and the calls; ``(None, [])`` before any prediction.
    """
    p = MartPrediction
    newest: datetime | None = session.execute(select(func.max(p.window_start))).scalar()
    if newest is None:
        return None, []
    stmt = (
        select(p.asset_id, Asset.symbol, Asset.name, Asset.asset_class, p.prob_up, p.market_open)
        .join(Asset, Asset.asset_id == p.asset_id)
        .where(p.window_start == newest)
        .order_by(p.market_open.desc(), func.abs(p.prob_up - 0.5).desc(), Asset.symbol)
    )
    calls = [PredictionListRow(**row) for row in session.execute(stmt).mappings()]
    first = calls[0].asset_id if calls else None
    return (asset_prediction(session, asset_id=first) if first else None), calls
