"""Publishing marts: one window's aggregates into Postgres in a single transaction.

The window's rows are deleted and inserted again inside the transaction that
also marks the publish stage done in the ledger, so readers see either the
old or the new window, a re-run replaces rather than duplicates, and a crash
leaves the previous state intact. Also the catalogs (assets, outlets) and the
small reads over them that several layers share (an asset by symbol, the most
mentioned assets).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol, cast

import pyarrow as pa
from sqlalchemy import Connection, Engine, Table, delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from tickerpulse.db.models import (
    Asset,
    Base,
    MartAssetWindow,
    MartDocument,
    MartDocumentAsset,
    MartPriceGap,
    MartPriceWindow,
    NewsOutlet,
)
from tickerpulse.db.state import mark_finished
from tickerpulse.lake.window_data import WindowAggregates
from tickerpulse.universe import Universe

STAGE = "publish"
TEXT_LIMIT = 1000  # characters of a document kept for the pages


def publish_window(
    engine: Engine,
    window_start: datetime,
    aggregates: WindowAggregates,
    *,
    extra: Callable[[Connection], Mapping[str, int]] | None = None,
) -> dict[str, int | str | None]:
    """Replace the marts of one window and mark the publish stage done, atomically.

    The ledger's counts name the sentiment model version of the window (``mixed``
    when its documents were scored by several), as the admin ledger shows.
    ``extra`` runs in the same transaction once the window's marts are in (the
    insight marts, :mod:`tickerpulse.jobs.insights`); its counts join the ledger's.
    """
    documents = [
        {
            "doc_id": row["doc_id"],
            "window_start": window_start,
            "kind": row["kind"],
            "source": row["source"],
            "channel": row["channel"],
            "created_at": row["created_at"],
            "title": row["title"],
            "text": (row["text"] or "")[:TEXT_LIMIT],
            "url": row["url"],
            "sentiment_score": row["sentiment_score"],
            "sentiment_label": row["sentiment_label"],
            "provider_sentiment": row["provider_sentiment"],
            "sentiment_model": row["sentiment_model"],
            "sentiment_flags": row["sentiment_flags"],
        }
        for row in aggregates.window_documents.to_pylist()
    ]
    models = {d["sentiment_model"] for d in documents if d["sentiment_model"] is not None}
    counts: dict[str, int | str | None] = {
        "sentiment_model": models.pop() if len(models) == 1 else ("mixed" if models else None),
        "asset_window": aggregates.asset_window.num_rows,
        "price_window": aggregates.price_window.num_rows,
        "price_gaps": aggregates.price_gaps.num_rows,
        "documents": len(documents),
        "document_assets": aggregates.document_assets.num_rows,
    }
    marts = (
        (MartAssetWindow, _rows(aggregates.asset_window, window_start)),
        (MartPriceWindow, _rows(aggregates.price_window, window_start)),
        (MartPriceGap, _rows(aggregates.price_gaps, window_start)),
        (MartDocumentAsset, _rows(aggregates.document_assets, window_start)),
        (MartDocument, documents),
    )
    with engine.begin() as conn:
        for model, rows in marts:
            _replace(conn, _table(model), window_start, rows)
        if extra is not None:
            counts |= extra(conn)
        mark_finished(conn, window_start, STAGE, status="ok", counts=counts)
    return counts


def sync_assets(engine: Engine, universe: Universe) -> None:
    """Upsert the universe into the ``asset`` table the pages join for names."""
    rows = [
        {
            "asset_id": a.asset_id,
            "symbol": a.symbol,
            "asset_class": str(a.asset_class),
            "name": a.name,
        }
        for a in universe
    ]
    _upsert(engine, Asset, rows)


class OutletEntry(Protocol):
    """One news outlet of the catalog, as :class:`tickerpulse.sources.outlets.Outlet` holds it."""

    @property
    def outlet(self) -> str:
        """Its short key."""

    @property
    def name(self) -> str:
        """Its display name."""

    @property
    def region(self) -> str:
        """Where it publishes from."""

    @property
    def language(self) -> str:
        """The language it writes in."""

    @property
    def coverage(self) -> tuple[str, ...]:
        """The asset classes it covers."""

    @property
    def feed_url(self) -> str:
        """Its feed's address."""


def sync_outlets(engine: Engine, outlets: Iterable[OutletEntry]) -> None:
    """Upsert the news outlet catalog into ``news_outlet``, for grouping news by region."""
    rows = [
        {
            "outlet": o.outlet,
            "name": o.name,
            "region": o.region,
            "language": o.language,
            "coverage": "|".join(o.coverage),
            "feed_url": o.feed_url,
        }
        for o in outlets
    ]
    _upsert(engine, NewsOutlet, rows)


def asset_id_for_symbol(session: Session, *, symbol: str) -> str | None:
    """The id of the asset with this ticker symbol (case-insensitive), or None.

    Args:
        session: An open database session.
        symbol: A bare symbol such as ``aapl``.

    Returns:
        The first matching asset id in id order, or None.
    """
    return session.scalar(
        select(Asset.asset_id)
        .where(func.upper(Asset.symbol) == symbol.upper())
        .order_by(Asset.asset_id)
        .limit(1)
    )


def most_mentioned(engine: Engine, *, days: int = 7, limit: int = 50) -> list[str]:
    """Asset ids by mentions over the newest ``days`` of published windows, most first."""
    newest = select(func.max(MartAssetWindow.window_start)).scalar_subquery()
    total = func.sum(MartAssetWindow.mentions)
    statement = (
        select(MartAssetWindow.asset_id)
        .where(
            MartAssetWindow.source_class == "all",
            MartAssetWindow.source == "all",
            MartAssetWindow.window_start > newest - timedelta(days=days),
        )
        .group_by(MartAssetWindow.asset_id)
        .order_by(total.desc(), MartAssetWindow.asset_id)
        .limit(limit)
    )
    with engine.connect() as conn:
        return list(conn.execute(statement).scalars())


def _upsert(engine: Engine, model: type[Base], rows: list[dict[str, Any]]) -> None:
    """Insert ``rows``, updating every non-key column of rows that exist."""
    if not rows:
        return
    table = _table(model)
    keys = [c.name for c in table.primary_key.columns]
    statement = insert(table).values(rows)
    statement = statement.on_conflict_do_update(
        index_elements=keys,
        set_={c: statement.excluded[c] for c in rows[0] if c not in keys},
    )
    with engine.begin() as conn:
        conn.execute(statement)


def _table(model: type[Base]) -> Table:
    # Declarative models expose __table__ as FromClause in the stubs; it is a Table.
    return cast(Table, model.__table__)


def _rows(table: pa.Table, window_start: datetime) -> list[dict[str, Any]]:
    return [{**row, "window_start": window_start} for row in table.to_pylist()]


def _replace(
    conn: Connection, table: Table, window_start: datetime, rows: Iterable[dict[str, Any]]
) -> None:
    conn.execute(delete(table).where(table.c.window_start == window_start))
    columns = {c.name for c in table.columns}
    batch = [{k: v for k, v in row.items() if k in columns} for row in rows]
    if batch:
        conn.execute(table.insert(), batch)
