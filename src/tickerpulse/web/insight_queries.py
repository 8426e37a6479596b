"""Read-only queries of the insight pages over the precomputed marts.

Movers and the overview read one window of ``mart_attention`` (its primary
key starts with the window); an asset's authors read ``mart_author_call`` by
``(asset_id, window_start)``; the author ranking reads ``mart_author_record``
by ``(calls, ci_low)``. Nothing here aggregates history at request time
beyond one asset's last 30 days of calls.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import and_, case, func, nulls_last, select
from sqlalchemy.orm import Session

from tickerpulse.analytics.authors import ALL_ASSETS, MAX_FLAGGED_SHARE, MIN_CALLS
from tickerpulse.db.models import (
    Asset,
    MartAttention,
    MartAuthorCall,
    MartAuthorRecord,
    MartPriceWindow,
)
from tickerpulse.web.insight_records import (
    AssetAuthorRow,
    AuthorRecordRow,
    MoverRow,
    OverviewTile,
)

MoverSort = Literal["mention_z", "mention_change", "sentiment_change", "share_of_voice"]
MOVER_SORTS: dict[str, str] = {
    "mention_z": "mention z-score",
    "mention_change": "mention change",
    "sentiment_change": "sentiment change (either way)",
    "share_of_voice": "share of voice",
}
MIN_MOVER_MENTIONS = 5
"""Mentions an asset needs in the window to be a mover (a jump from 0 to 2 is noise)."""


def movers(
    session: Session,
    *,
    window_start: datetime,
    sort: MoverSort = "mention_z",
    asset_class: str | None = None,
    limit: int | None = None,
) -> list[MoverRow]:
    """Assets ranked by how unusual their attention is in one window.

    Args:
        session: An open database session.
        window_start: The window.
        sort: What to rank by (sentiment change by its size, either way).
        asset_class: Only this class; None for all.
        limit: Most rows; None for every mover.

    Returns:
        Rows, the most unusual first; assets without the figure last.
    """
    a, p = MartAttention, MartPriceWindow
    key = {
        "mention_z": a.mention_z,
        "mention_change": a.mention_change,
        "sentiment_change": func.abs(a.sentiment_change),
        "share_of_voice": a.share_of_voice,
    }[sort]
    statement = (
        select(
            a.asset_id, Asset.symbol, Asset.name, a.asset_class, a.mentions, a.mention_z,
            a.mention_change, a.sentiment, a.sentiment_change, a.sentiment_z,
            a.share_of_voice, p.return_pct.label("return_fraction"),
        )
        .join(Asset, Asset.asset_id == a.asset_id)
        .outerjoin(p, and_(p.asset_id == a.asset_id, p.window_start == a.window_start))
        .where(a.window_start == window_start, a.mentions >= MIN_MOVER_MENTIONS)
        .order_by(nulls_last(key.desc()), a.mentions.desc(), a.asset_id)
        .limit(limit)
    )  # fmt: skip
    if asset_class:
        statement = statement.where(a.asset_class == asset_class)
    return [MoverRow(**row._asdict()) for row in session.execute(statement)]


def overview_tiles(session: Session, *, window_start: datetime) -> list[OverviewTile]:
    """Every asset mentioned in a window with its class, mentions and sentiment, busiest first."""
    a = MartAttention
    statement = (
        select(a.asset_id, Asset.symbol, Asset.name, a.asset_class, a.mentions, a.sentiment)
        .join(Asset, Asset.asset_id == a.asset_id)
        .where(a.window_start == window_start)
        .order_by(a.mentions.desc(), a.asset_id)
    )
    return [OverviewTile(**row._asdict()) for row in session.execute(statement)]


def _record_row(record: MartAuthorRecord) -> AuthorRecordRow:
    enough = record.calls >= MIN_CALLS
    return AuthorRecordRow(
        author=record.author_hash, source=record.source, posts=record.posts,
        reach=record.reach, calls=record.calls, hits=record.hits,
        hit_rate=record.hit_rate if enough else None,
        ci_low=record.ci_low if enough else None,
        ci_high=record.ci_high if enough else None,
        last_window=record.last_window,
    )  # fmt: skip


def ranked_authors(session: Session, *, limit: int = 50) -> tuple[list[AuthorRecordRow], int]:
    """Authors with at least the minimum of judged calls, by the lower end of their interval.

    Ranking by the Wilson interval's lower bound rewards a record that is both
    good and long, not a lucky streak. Authors with more than
    :data:`MAX_FLAGGED_SHARE` of their posts flagged as spam or bot are left out.

    Returns:
        The top ``limit`` rows and how many authors qualify in all.
    """
    r = MartAuthorRecord
    qualified = (r.calls >= MIN_CALLS, r.flagged_posts <= MAX_FLAGGED_SHARE * r.posts)
    rows = session.scalars(
        select(r).where(*qualified).order_by(r.ci_low.desc(), r.calls.desc(), r.author_hash)
        .limit(limit)
    ).all()  # fmt: skip
    total = session.scalar(select(func.count()).select_from(r).where(*qualified)) or 0
    return [_record_row(x) for x in rows], total


def asset_authors(
    session: Session, *, asset_id: str, since: datetime, limit: int = 15
) -> list[AssetAuthorRow]:
    """The most active social authors on an asset since a window, with their reach and record.

    Args:
        session: An open database session.
        asset_id: The asset.
        since: The first window start counted.
        limit: Most authors.

    Returns:
        Rows by posts, most first; authors with more than :data:`MAX_FLAGGED_SHARE` of
        their posts flagged as spam or bot are left out.
    """
    c, r = MartAuthorCall, MartAuthorRecord
    posts = func.sum(c.posts)
    statement = (
        select(
            c.author_hash, func.max(c.source).label("source"), posts.label("posts"),
            func.sum(c.reach).label("reach"), func.avg(c.sentiment).label("sentiment"),
            func.sum(case((c.stance > 0, 1), else_=0)).label("bullish"),
            func.sum(case((c.stance < 0, 1), else_=0)).label("bearish"),
        )
        .outerjoin(r, r.author_hash == c.author_hash)
        .where(c.asset_id == asset_id, c.asset_id != ALL_ASSETS, c.window_start >= since)
        .where(func.coalesce(r.flagged_posts, 0) <= MAX_FLAGGED_SHARE * func.coalesce(r.posts, 0))
        .group_by(c.author_hash)
        .order_by(posts.desc(), c.author_hash)
        .limit(limit)
    )  # fmt: skip
    found = session.execute(statement).all()
    records = {
        x.author_hash: x
        for x in session.scalars(select(r).where(r.author_hash.in_([f.author_hash for f in found])))
    }
    rows = []
    for f in found:
        record = records.get(f.author_hash)
        rows.append(
            AssetAuthorRow(
                author=f.author_hash, source=f.source, posts=int(f.posts), reach=int(f.reach),
                sentiment=None if f.sentiment is None else float(f.sentiment),
                bullish_calls=int(f.bullish), bearish_calls=int(f.bearish),
                record=_record_row(record) if record and record.calls >= MIN_CALLS else None,
            )
        )  # fmt: skip
    return rows
