"""Publishing the insight marts of one window: attention (movers) and authors' calls and records.

:func:`publish_window_with_insights` runs :func:`publish_insights` inside the
transaction of :func:`tickerpulse.db.marts.publish_window`, after the window's
``mart_asset_window`` and ``mart_price_window`` rows are in, so a window's
insights appear together with its marts and a re-run replaces them. (It
lives here, not in ``db``, because it uses the analytics core.) The work is
incremental: one window's attention from its 28 predecessors (and, when a
backfill already published later windows, the attention of the up to 28 after
it for the assets whose counts changed), the window's author calls, the
calls of the window before judged by this window's returns (and this
window's calls, when a backfill already published the next one), and the
records of the authors those calls belong to.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pyarrow as pa
from sqlalchemy import Connection, Engine, and_, bindparam, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert

from tickerpulse.analytics import authors
from tickerpulse.analytics.attention import (
    FIGURES,
    changed_histories,
    panel_attention,
    share_of_voice,
)
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
    engine: Engine,
    window_start: datetime,
    aggregates: WindowAggregates,
    *,
    republishing_until: datetime | None = None,
) -> dict[str, int | str | None]:
    """Publish a window's marts and its insight marts in one transaction (the publish stage).

    ``republishing_until``: the last window a backfill running in order will publish
    again; the windows up to it are left to their own publish (see :func:`publish_insights`).
    """
    return publish_window(
        engine,
        window_start,
        aggregates,
        extra=lambda conn: publish_insights(
            conn,
            window_start,
            aggregates.window_documents,
            aggregates.document_assets,
            republishing_until=republishing_until,
        ),
    )


def publish_insights(
    conn: Connection,
    window_start: datetime,
    window_documents: pa.Table,
    document_assets: pa.Table,
    *,
    republishing_until: datetime | None = None,
) -> dict[str, int]:
    """Replace one window's attention and author calls; judge calls and refresh records.

    Args:
        conn: The publishing transaction's connection.
        window_start: The window being published.
        window_documents: Its documents (with ``author_hash``; ``engagement`` if known).
        document_assets: Its non-spam mentions with their sentiment.
        republishing_until: In a backfill publishing a range oldest first, the range's
            last window: the later windows up to it are not refreshed, since each is
            published again next, from the history this publish leaves.

    Returns:
        Counts for the run ledger.
    """
    attention, refreshed = publish_attention(
        conn, window_start, republishing_until=republishing_until
    )
    calls = authors.author_calls(window_documents.to_pylist(), document_assets.to_pylist())
    conn.execute(delete(MartAuthorCall).where(MartAuthorCall.window_start == window_start))
    if calls:
        conn.execute(
            insert(MartAuthorCall), [{**row, "window_start": window_start} for row in calls]
        )
    judged = judge_calls(conn, [window_start - WINDOW, window_start])
    records = refresh_records(conn, {row["author_hash"] for row in calls} | judged)
    return {
        "attention": attention,
        "attention_refreshed": refreshed,
        "author_calls": len(calls),
        "author_records": records,
    }


def publish_attention(
    conn: Connection, window_start: datetime, *, republishing_until: datetime | None = None
) -> tuple[int, int]:
    """Replace the window's ``mart_attention`` rows and refresh the windows after it.

    The later windows' figures are recomputed only for the assets whose
    mentions or sentiment in this window changed (every asset when the window
    was not published before), so a re-run of the same data rewrites nothing else;
    windows up to ``republishing_until`` are skipped (a backfill publishes them next).

    Returns:
        The window's rows and the later windows' rows recomputed.
    """
    a = MartAttention
    was = conn.execute(
        select(a.asset_id, a.mentions, a.sentiment).where(a.window_start == window_start)
    )  # fmt: skip
    before = {r.asset_id: (r.mentions, r.sentiment) for r in was}
    conn.execute(delete(a).where(a.window_start == window_start))
    rows = _window_attention(conn, window_start)
    if rows:
        conn.execute(insert(a), rows)
    after = {r["asset_id"]: (r["mentions"], r["sentiment"]) for r in rows}
    changed = changed_histories(before, after)
    refreshed = refresh_later_attention(
        conn, window_start, changed, skip_through=republishing_until
    )
    return len(rows), refreshed


def _window_attention(conn: Connection, window_start: datetime) -> list[dict[str, Any]]:
    """The ``mart_attention`` rows of one window, from the asset-window marts."""
    panel = _read_panel(conn, window_start, window_start)
    scored = np.zeros_like(panel.present)
    scored[:, -1] = panel.present[:, -1]
    here = np.flatnonzero(scored[:, -1])
    if not here.size:
        return []
    figures = panel_attention(panel.mentions, panel.sentiment, scored)
    mentions = {panel.assets[i]: int(panel.mentions[i, -1]) for i in here}
    found = select(Asset.asset_id, Asset.asset_class).where(Asset.asset_id.in_(list(mentions)))
    classes: dict[str, str] = {row.asset_id: row.asset_class for row in conn.execute(found)}
    shares = share_of_voice(mentions, classes)
    return [
        {
            "window_start": window_start,
            "asset_id": panel.assets[i],
            "asset_class": classes.get(panel.assets[i], "unknown"),
            "mentions": mentions[panel.assets[i]],
            "sentiment": _none(panel.sentiment[i, -1]),
            "share_of_voice": shares[panel.assets[i]],
            **{name: _none(values[i, -1]) for name, values in figures.items()},
        }
        for i in here
    ]


def refresh_later_attention(
    conn: Connection,
    window_start: datetime,
    assets: Collection[str] | None,
    *,
    skip_through: datetime | None = None,
) -> int:
    """Recompute the attention figures of the windows whose history holds ``window_start``.

    Those are the :data:`Z_LOOKBACK` windows after it (after ``skip_through``
    too, when given); only their existing rows of ``assets`` (None: of every
    asset) are rewritten, and only the figures that depend on history (mentions
    and share of voice are the window's own).

    Returns:
        The rows recomputed.
    """
    if assets is not None and not assets:
        return 0
    a = MartAttention
    after = max(window_start, skip_through or window_start)
    later = (a.window_start > after, a.window_start <= window_start + Z_LOOKBACK * WINDOW)
    query = select(a.window_start, a.asset_id).where(*later)
    if assets is not None:
        query = query.where(a.asset_id.in_(sorted(assets)))
    targets = conn.execute(query).all()
    if not targets:
        return 0
    windows = [t.window_start for t in targets]
    panel = _read_panel(conn, min(windows), max(windows), assets)
    column = {w: j for j, w in enumerate(panel.windows)}
    row = {asset: i for i, asset in enumerate(panel.assets)}
    scored = np.zeros_like(panel.present)
    for t in targets:
        if t.asset_id in row:
            scored[row[t.asset_id], column[t.window_start]] = True
    scored &= panel.present
    figures = panel_attention(panel.mentions, panel.sentiment, scored)
    updates = [
        {"w": panel.windows[j], "a": panel.assets[i],
         **{f"new_{name}": _none(values[i, j]) for name, values in figures.items()}}
        for i, j in zip(*np.nonzero(scored), strict=True)
    ]  # fmt: skip
    if updates:
        statement = (
            update(a)
            .where(a.window_start == bindparam("w"), a.asset_id == bindparam("a"))
            .values({name: bindparam(f"new_{name}") for name in FIGURES})
        )
        conn.execute(statement, updates)
    return len(updates)


@dataclass(frozen=True)
class _Panel:
    """All-source mentions and sentiment per asset (rows) × consecutive window (columns)."""

    windows: list[datetime]
    assets: list[str]
    mentions: np.ndarray
    """0 where the window was published without the asset, NaN where never published."""
    sentiment: np.ndarray
    present: np.ndarray
    """The asset has a row in the window's marts."""


def _read_panel(
    conn: Connection, first: datetime, last: datetime, assets: Collection[str] | None = None
) -> _Panel:
    """The panel of windows ``first - Z_LOOKBACK`` … ``last`` for ``assets`` (None: all)."""
    m = MartAssetWindow
    start = first - Z_LOOKBACK * WINDOW
    span = (m.window_start >= start, m.window_start <= last, m.source_class == "all",
            m.source == "all")  # fmt: skip
    query = select(m.asset_id, m.window_start, m.mentions, m.sentiment_mean).where(*span)
    if assets is not None:
        query = query.where(m.asset_id.in_(sorted(assets)))
    rows = conn.execute(query).all()
    if assets is None:
        published = {r.window_start for r in rows}
    else:  # the other assets' rows tell which windows were published
        published = set(conn.execute(select(m.window_start).distinct().where(*span)).scalars())
    windows = [start + j * WINDOW for j in range((last - start) // WINDOW + 1)]
    column = {w: j for j, w in enumerate(windows)}
    ids = sorted({r.asset_id for r in rows})
    row = {asset: i for i, asset in enumerate(ids)}
    shape = (len(ids), len(windows))
    mentions, sentiment = np.full(shape, np.nan), np.full(shape, np.nan)
    present = np.zeros(shape, dtype=bool)
    for w in published:  # published without the asset: no mentions, no tone
        mentions[:, column[w]] = 0.0
    for r in rows:
        i, j = row[r.asset_id], column[r.window_start]
        mentions[i, j], present[i, j] = r.mentions, True
        sentiment[i, j] = _nan(r.sentiment_mean)
    return _Panel(windows, ids, mentions, sentiment, present)


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
