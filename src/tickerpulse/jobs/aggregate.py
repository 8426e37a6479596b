"""Aggregate stage: one window's curated rows → per-asset aggregates and per-asset CSVs.

Reads every run's curated files for the window's date (late arrivals landed
by later runs count too), hands them to the configured engine, and stores
the results in the lake for the publish stage.
"""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from tickerpulse.domain import (
    DOCUMENT_SCHEMA,
    MENTION_SCHEMA,
    PRICE_BAR_SCHEMA,
    SENTIMENT_SCHEMA,
    Window,
)
from tickerpulse.jobs.context import CycleContext
from tickerpulse.jobs.engines import aggregator
from tickerpulse.lake.window_data import (
    AGGREGATE_NAMES,
    WindowAggregates,
    WindowInputs,
    price_priority_table,
)

PRICE_LOOKBACK_DAYS = 5  # long enough to find the last close before a weekend or holiday


def aggregate_run(ctx: CycleContext, window: Window) -> dict[str, Any]:
    """Compute and store the aggregates of ``window``."""
    aggregates = aggregator(ctx.compute)(load_window_inputs(ctx, window), window)
    for name, table in aggregates.as_dict().items():
        ctx.lake.write_parquet(ctx.layout.aggregate(name, window), table)
    csvs = write_result_csvs(ctx, window, aggregates)
    return {
        "documents": aggregates.window_documents.num_rows,
        "mentions": aggregates.document_assets.num_rows,
        "assets": len(set(aggregates.asset_window.column("asset_id").to_pylist())),
        "priced_assets": aggregates.price_window.num_rows,
        "csv_files": csvs,
    }


def load_window_inputs(ctx: CycleContext, window: Window) -> WindowInputs:
    """Curated rows of every run that can concern ``window``, tagged with their run id."""
    days = [window.date - timedelta(days=n) for n in range(PRICE_LOOKBACK_DAYS, -1, -1)]
    return WindowInputs(
        documents=_read_day(ctx, "documents", [window.date], DOCUMENT_SCHEMA),
        sentiment=_read_day(ctx, "sentiment", [window.date], SENTIMENT_SCHEMA),
        mentions=_read_day(ctx, "mentions", [window.date], MENTION_SCHEMA),
        prices=_read_day(ctx, "prices", days, PRICE_BAR_SCHEMA),
        price_priority=price_priority_table(ctx.price_sources),
    )


def load_window_aggregates(ctx: CycleContext, window: Window) -> WindowAggregates:
    """The stored aggregates of ``window`` (written by :func:`aggregate_run`)."""
    tables = {
        name: ctx.lake.read_parquet(ctx.layout.aggregate(name, window)) for name in AGGREGATE_NAMES
    }
    return WindowAggregates(**tables)


def _read_day(ctx: CycleContext, table: str, days: list[Any], schema: pa.Schema) -> pa.Table:
    parts: list[pa.Table] = []
    for day in days:
        for path in ctx.lake.glob(f"{ctx.layout.curated_day_dir(table, day)}/run=*.parquet"):
            run_id = path.rsplit("run=", 1)[1].removesuffix(".parquet")
            data = conform(ctx.lake.read_parquet(path), schema)
            parts.append(data.append_column("run_id", pa.array([run_id] * data.num_rows)))
    if not parts:
        return schema.append(pa.field("run_id", pa.string())).empty_table()
    return pa.concat_tables(parts)


def conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """``table`` cast to ``schema``; columns added to the schema since it was written are null.

    Curated files written before a column existed (``provider_sentiment``) stay readable,
    so a backfill over an old lake needs no rewrite.
    """
    missing = [f for f in schema if f.name not in table.schema.names]
    for column in missing:
        table = table.append_column(column, pa.nulls(table.num_rows, column.type))
    return table.select(schema.names).cast(schema)


_CSV_COLUMNS = (
    "window_start", "asset_id", "symbol", "source_class", "source", "mentions",
    "unique_authors", "sentiment_mean", "bull_share", "bear_share", "dispersion",
    "open", "close", "return_pct",
)  # fmt: skip


def write_result_csvs(ctx: CycleContext, window: Window, aggregates: WindowAggregates) -> int:
    """Write the seed's per-asset CSV: one file per asset with mentions or prices."""
    stats = aggregates.asset_window
    prices = {row["asset_id"]: row for row in aggregates.price_window.to_pylist()}
    asset_ids = sorted(set(stats.column("asset_id").to_pylist()) | set(prices))
    for asset_id in asset_ids:
        rows = stats.filter(pc.equal(stats.column("asset_id"), asset_id)).to_pylist()
        price = prices.get(asset_id, {})
        if not rows:
            rows = [{"asset_id": asset_id, "source_class": "all", "source": "all", "mentions": 0}]
        symbol = ctx.universe.by_id[asset_id].symbol if asset_id in ctx.universe.by_id else asset_id
        records = [
            {
                **{c: row.get(c) for c in _CSV_COLUMNS},
                "window_start": window.start.isoformat(),
                "symbol": symbol,
                "open": price.get("open"),
                "close": price.get("close"),
                "return_pct": price.get("return_pct"),
            }
            for row in rows
        ]
        buffer = io.BytesIO()
        pacsv.write_csv(pa.Table.from_pylist(records), buffer)
        ctx.lake.write_bytes(ctx.layout.result_csv(window, symbol), buffer.getvalue())
    return len(asset_ids)
