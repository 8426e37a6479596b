"""Publishing the insight marts of one window: attention (movers) and authors' calls and records.

:func:`publish_window_with_insights` runs :func:`publish_insights` inside the
transaction of :func:`tickerpulse.db.marts.publish_window`, after the window's
``mart_asset_window`` and ``mart_price_window`` rows are in, so a window's
insights appear together with its marts and a re-run replaces them. (It
lives here, not in ``db``, because it uses the analytics core.) The work is
incremental: one window's attention from its 28 predecessors, the window's author calls, the
calls of the window before judged by this window's returns (and this
window's calls, when a backfill already published the next one), and the
records of the authors those calls belong to.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import numpy as np
import pyarrow as pa
from sqlalchemy import Connection, Engine, and_, bindparam, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert

from tickerpulse.analytics import authors
from tickerpulse.analytics.attention import attention_arrays, share_of_voice
from tickerpulse.analytics.signals import Z_LOOKBACK
from tickerpulse.db.marts import publish_window
from tickerpulse.db.models import (
    Asset,
    MartAssetWindow,
    MartAttention,
    MartAuthorCall,
    MartAuthorRecord,
    MartPriceWindow,
)
from tickerpulse.domain import WINDOW
from tickerpulse.lake.window_data import WindowAggregates


def publish_window_with_insights(
    engine: Engine, window_start: datetime, aggregates: WindowAggregates
) -> dict[str, int | str | None]:
    """Publish a window's marts and its insight marts in one transaction (the publish stage)."""
    return publish_window(
        engine,
        window_start,
        aggregates,
        extra=lambda conn: publish_insights(
            conn, window_start, aggregates.window_documents, aggregates.document_assets
        ),
    )


def publish_insights(
    conn: Connection,
    window_start: datetime,
    window_documents: pa.Table,
    document_assets: pa.Table,
) -> dict[str, int]:
    """Replace one window's attention and author calls; judge calls and refresh records.

    Args:
        conn: The publishing transaction's connection.
        window_start: The window being published.
        window_documents: Its documents (with ``author_hash``; ``engagement`` if known).
        document_assets: Its non-spam mentions with their sentiment.

    Returns:
        Counts for the run ledger.
    """
    attention = publish_attention(conn, window_start)
    calls = authors.author_calls(window_documents.to_pylist(), document_assets.to_pylist())
    conn.execute(delete(MartAuthorCall).where(MartAuthorCall.window_start == window_start))
    if calls:
        conn.execute(
            insert(MartAuthorCall), [{**row, "window_start": window_start} for row in calls]
        )
    judged = judge_calls(conn, [window_start - WINDOW, window_start])
    records = refresh_records(conn, {row["author_hash"] for row in calls} | judged)
    return {"attention": attention, "author_calls": len(calls), "author_records": records}


def publish_attention(conn: Connection, window_start: datetime) -> int:
    """Replace the window's ``mart_attention`` rows from the asset-window marts."""
    m = MartAssetWindow
    first = window_start - Z_LOOKBACK * WINDOW
    every_source = (m.source_class == "all", m.source == "all")
    rows = conn.execute(
        select(m.asset_id, m.window_start, m.mentions, m.sentiment_mean)
        .where(m.window_start >= first, m.window_start <= window_start, *every_source)
    ).all()  # fmt: skip
    conn.execute(delete(MartAttention).where(MartAttention.window_start == window_start))
    current = {r.asset_id: r for r in rows if r.window_start == window_start}
    if not current:
        return 0
    published = sorted({r.window_start for r in rows if r.window_start < window_start})
    windows = [first + i * WINDOW for i in range(Z_LOOKBACK)]
    column = {w: i for i, w in enumerate(windows)}
    ids = sorted(current)
    row_of = {asset_id: i for i, asset_id in enumerate(ids)}
    mentions_hist = np.full((len(ids), Z_LOOKBACK), np.nan)
    tone_hist = np.full((len(ids), Z_LOOKBACK), np.nan)
    for w in published:  # published without the asset: no mentions, no tone
        mentions_hist[:, column[w]] = 0.0
    for r in rows:
        if r.window_start < window_start and r.asset_id in row_of:
            mentions_hist[row_of[r.asset_id], column[r.window_start]] = r.mentions
            if r.sentiment_mean is not None:
                tone_hist[row_of[r.asset_id], column[r.window_start]] = r.sentiment_mean
    mentions = np.array([current[a].mentions for a in ids], dtype="float64")
    tones = np.array([_nan(current[a].sentiment_mean) for a in ids], dtype="float64")
    figures = attention_arrays(mentions, mentions_hist, tones, tone_hist)
    found = conn.execute(select(Asset.asset_id, Asset.asset_class).where(Asset.asset_id.in_(ids)))
    classes: dict[str, str] = {row.asset_id: row.asset_class for row in found}
    shares = share_of_voice({a: current[a].mentions for a in ids}, classes)
    out = [
        {
            "window_start": window_start,
            "asset_id": a,
            "asset_class": classes.get(a, "unknown"),
            "mentions": current[a].mentions,
            "sentiment": current[a].sentiment_mean,
            "share_of_voice": shares[a],
            **{name: _none(values[i]) for name, values in figures.items()},
        }
        for i, a in enumerate(ids)
    ]
    conn.execute(insert(MartAttention), out)
    return len(out)


def judge_calls(conn: Connection, windows: Iterable[datetime]) -> set[str]:
    """Judge the calls of ``windows`` against their next window's return; the authors touched."""
    c, p = MartAuthorCall, MartPriceWindow
    rows = conn.execute(
        select(c.window_start, c.author_hash, c.asset_id, c.stance, p.return_pct)
        .join(
            p,
            and_(p.asset_id == c.asset_id, p.window_start == c.window_start + WINDOW),
            isouter=True,
        )
        .where(c.window_start.in_(list(windows)), c.stance != 0)
    ).all()
    if not rows:
        return set()
    updates = [
        {"w": r.window_start, "a": r.author_hash, "s": r.asset_id,
         "hit": authors.judge(r.stance, r.return_pct)}
        for r in rows
    ]  # fmt: skip
    statement = (
        update(c)
        .where(
            c.window_start == bindparam("w"),
            c.author_hash == bindparam("a"),
            c.asset_id == bindparam("s"),
        )
        .values(hit=bindparam("hit"))
    )
    conn.execute(statement, updates)
    return {r.author_hash for r in rows}


def refresh_records(conn: Connection, author_hashes: set[str]) -> int:
    """Recompute ``mart_author_record`` of some authors from all their calls."""
    if not author_hashes:
        return 0
    c = MartAuthorCall
    whole = c.asset_id == authors.ALL_ASSETS
    names = sorted(author_hashes)
    stats: list[Any] = []
    for start in range(0, len(names), 1000):
        stats += conn.execute(
            select(
                c.author_hash,
                func.max(c.source).label("source"),
                func.coalesce(func.sum(c.posts).filter(whole), 0).label("posts"),
                func.coalesce(func.sum(c.reach).filter(whole), 0).label("reach"),
                func.coalesce(func.sum(c.flagged_posts).filter(whole), 0).label("flagged"),
                func.count(c.hit).label("calls"),
                func.count().filter(c.hit.is_(True)).label("hits"),
                func.max(c.window_start).label("last_window"),
            )
            .where(c.author_hash.in_(names[start : start + 1000]))
            .group_by(c.author_hash)
        ).all()
    rows = []
    for s in stats:
        judged = authors.record(s.calls, s.hits)
        rows.append(
            {
                "author_hash": s.author_hash, "source": s.source, "posts": s.posts,
                "reach": s.reach, "flagged_posts": s.flagged, "calls": judged.calls,
                "hits": judged.hits, "hit_rate": judged.hit_rate, "ci_low": judged.ci_low,
                "ci_high": judged.ci_high, "last_window": s.last_window,
            }
        )  # fmt: skip
    gone = author_hashes - {r["author_hash"] for r in rows}
    if gone:
        conn.execute(delete(MartAuthorRecord).where(MartAuthorRecord.author_hash.in_(gone)))
    if rows:
        statement = insert(MartAuthorRecord)
        keep = {k: statement.excluded[k] for k in rows[0] if k != "author_hash"}
        conn.execute(
            statement.on_conflict_do_update(index_elements=["author_hash"], set_=keep), rows
        )
    return len(rows)


def _nan(value: float | None) -> float:
    return math.nan if value is None else value


def _none(value: float) -> float | None:
    return None if math.isnan(value) else float(value)
