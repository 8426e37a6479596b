"""Read-only queries over the marts; every page reads through these and nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from tickerpulse.db.models import Asset, CycleRun, MartAssetWindow
from tickerpulse.domain import WINDOW


@dataclass(frozen=True)
class TrendingRow:
    """One asset on the trending page."""

    asset_id: str
    symbol: str
    name: str
    asset_class: str
    rank: int
    mentions: int
    previous_rank: int | None
    previous_mentions: int | None
    sentiment_mean: float | None
    bull_share: float | None
    bear_share: float | None
    return_pct: float | None
    close: float | None

    @property
    def rank_change(self) -> int | None:
        """Places gained since the previous window (positive = climbed); None if new."""
        return None if self.previous_rank is None else self.previous_rank - self.rank


@dataclass(frozen=True)
class AssetWindowRow:
    """One 6-hour window of an asset: price and sentiment side by side."""

    window_start: datetime
    open: float | None
    high: float | None
    low: float | None
    close: float | None
    return_pct: float | None
    social_sentiment: float | None
    social_mentions: int
    news_sentiment: float | None
    news_mentions: int


def latest_window(session: Session) -> datetime | None:
    """The newest published window."""
    return session.scalar(select(func.max(MartAssetWindow.window_start)))


def published_at(session: Session, *, window_start: datetime) -> datetime | None:
    """When the window's marts were published."""
    return session.scalar(
        select(CycleRun.finished_at).where(
            CycleRun.window_start == window_start, CycleRun.stage == "publish"
        )
    )


_TRENDING = text(
    """
    WITH ranked AS (
        SELECT m.window_start, m.asset_id, m.mentions, m.sentiment_mean, m.bull_share,
               m.bear_share,
               rank() OVER (PARTITION BY m.window_start ORDER BY m.mentions DESC, m.asset_id)
                   AS rank
        FROM mart_asset_window m JOIN asset a ON a.asset_id = m.asset_id
        WHERE m.window_start IN (:window, :previous) AND m.source_class = 'all'
          AND m.source = 'all' AND (CAST(:asset_class AS text) IS NULL
                                    OR a.asset_class = CAST(:asset_class AS text))
    )
    SELECT c.asset_id, a.symbol, a.name, a.asset_class, c.rank, c.mentions,
           p.rank AS previous_rank, p.mentions AS previous_mentions, c.sentiment_mean,
           c.bull_share, c.bear_share, pw.return_pct, pw.close
    FROM ranked c
    JOIN asset a ON a.asset_id = c.asset_id
    LEFT JOIN ranked p ON p.asset_id = c.asset_id AND p.window_start = :previous
    LEFT JOIN mart_price_window pw ON pw.asset_id = c.asset_id AND pw.window_start = :window
    WHERE c.window_start = :window
    ORDER BY c.rank
    LIMIT :limit
    """
)


def trending(
    session: Session, *, window_start: datetime, limit: int = 25, asset_class: str | None = None
) -> list[TrendingRow]:
    """Most-mentioned assets of a window, with rank change against the window before."""
    rows = session.execute(
        _TRENDING,
        {
            "window": window_start,
            "previous": window_start - WINDOW,
            "asset_class": asset_class,
            "limit": limit,
        },
    ).mappings()
    return [TrendingRow(**row) for row in rows]


def close_series(
    session: Session, *, asset_ids: list[str], until: datetime, windows: int = 28
) -> dict[str, list[float]]:
    """Window closes of several assets (oldest first), in one query, for sparklines."""
    if not asset_ids:
        return {}
    rows = session.execute(
        text(
            "SELECT asset_id, close FROM mart_price_window WHERE asset_id = ANY(:ids)"
            " AND window_start > :since AND window_start <= :until"
            " ORDER BY asset_id, window_start"
        ),
        {"ids": asset_ids, "since": until - windows * WINDOW, "until": until},
    )
    series: dict[str, list[float]] = {a: [] for a in asset_ids}
    for asset_id, close in rows:
        series[asset_id].append(close)
    return series


def find_asset(session: Session, *, asset_id: str) -> Asset | None:
    """The asset with this id, or None."""
    return session.get(Asset, asset_id)


def find_asset_by_symbol(session: Session, *, symbol: str) -> Asset | None:
    """The first asset whose symbol matches (case-insensitive), or None."""
    return session.scalars(
        select(Asset).where(func.upper(Asset.symbol) == symbol.upper()).order_by(Asset.asset_id)
    ).first()


_ASSET_WINDOWS = text(
    """
    WITH windows AS (
        SELECT window_start FROM mart_price_window
        WHERE asset_id = :asset AND window_start >= :since
        UNION
        SELECT window_start FROM mart_asset_window
        WHERE asset_id = :asset AND window_start >= :since
    )
    SELECT w.window_start, p.open, p.high, p.low, p.close, p.return_pct,
        max(s.sentiment_mean) FILTER (WHERE s.source_class = 'social') AS social_sentiment,
        coalesce(max(s.mentions) FILTER (WHERE s.source_class = 'social'), 0) AS social_mentions,
        max(s.sentiment_mean) FILTER (WHERE s.source_class = 'news') AS news_sentiment,
        coalesce(max(s.mentions) FILTER (WHERE s.source_class = 'news'), 0) AS news_mentions
    FROM windows w
    LEFT JOIN mart_price_window p ON p.asset_id = :asset AND p.window_start = w.window_start
    LEFT JOIN mart_asset_window s ON s.asset_id = :asset AND s.window_start = w.window_start
        AND s.source = 'all'
    GROUP BY w.window_start, p.open, p.high, p.low, p.close, p.return_pct
    ORDER BY w.window_start
    """
)


def asset_windows(session: Session, *, asset_id: str, since: datetime) -> list[AssetWindowRow]:
    """Price and social/news sentiment of an asset per window since ``since``."""
    rows = session.execute(_ASSET_WINDOWS, {"asset": asset_id, "since": since}).mappings()
    return [AssetWindowRow(**row) for row in rows]


def source_breakdown(
    session: Session, *, asset_id: str, window_start: datetime
) -> list[MartAssetWindow]:
    """Per-source mentions and sentiment of an asset in one window, busiest first."""
    return list(
        session.scalars(
            select(MartAssetWindow)
            .where(
                MartAssetWindow.asset_id == asset_id,
                MartAssetWindow.window_start == window_start,
                MartAssetWindow.source != "all",
            )
            .order_by(MartAssetWindow.mentions.desc(), MartAssetWindow.source)
        )
    )


def latest_documents(
    session: Session, *, asset_id: str, limit: int = 20
) -> list[dict[str, object]]:
    """The newest posts and articles that mention an asset."""
    rows = session.execute(
        text(
            "SELECT d.doc_id, d.kind, d.source, d.channel, d.created_at, d.title, d.text, d.url,"
            " d.sentiment_score, d.sentiment_label, a.method, a.relevance"
            " FROM mart_document_asset a JOIN mart_document d ON d.doc_id = a.doc_id"
            " WHERE a.asset_id = :asset"
            " ORDER BY a.window_start DESC, d.created_at DESC, d.doc_id LIMIT :limit"
        ),
        {"asset": asset_id, "limit": limit},
    ).mappings()
    return [dict(row) for row in rows]


def history_start(latest: datetime, days: int = 30) -> datetime:
    """Where the asset chart starts: ``days`` before the latest window."""
    return latest - timedelta(days=days)
