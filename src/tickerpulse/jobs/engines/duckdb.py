"""The DuckDB engine: runs the shared aggregation SQL over one window's Arrow inputs."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pyarrow as pa

from tickerpulse.domain import Window
from tickerpulse.jobs.price_gaps import price_gaps
from tickerpulse.jobs.sql import load_sql
from tickerpulse.jobs.window_data import WindowAggregates, WindowInputs


def aggregate_window(inputs: WindowInputs, window: Window) -> WindowAggregates:
    """Aggregate one window: its documents, their assets, per-asset stats and prices."""
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET threads = 2")
        con.register("documents", inputs.documents)
        con.register("sentiment", inputs.sentiment)
        con.register("mentions", inputs.mentions)
        con.register("prices", inputs.prices)
        con.register("price_priority", inputs.price_priority)
        bounds = {"window_start": window.start, "window_end": window.end}
        window_documents = _query(con, "window_documents", bounds)
        con.register("window_documents", window_documents)
        document_assets = _query(con, "document_assets")
        con.register("document_assets", document_assets)
        price_window = _query(con, "price_window", bounds)
        priced = _query(con, "priced_assets").column("asset_id").to_pylist()
        return WindowAggregates(
            window_documents=window_documents,
            document_assets=document_assets,
            asset_window=_query(con, "asset_window"),
            price_window=price_window,
            price_gaps=price_gaps(window, price_window, priced),
        )
    finally:
        con.close()


def _query(
    con: duckdb.DuckDBPyConnection, name: str, params: dict[str, datetime] | None = None
) -> pa.Table:
    sql = load_sql(name)
    needed = {k: v for k, v in (params or {}).items() if f"${k}" in sql}
    table: pa.Table = con.sql(sql, params=needed).to_arrow_table()
    return table
