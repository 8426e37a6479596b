"""The DuckDB engine: runs the shared aggregation SQL over one window's Arrow inputs."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import duckdb
import pyarrow as pa

from tickerpulse.domain import Window
from tickerpulse.jobs.engines.plan import run_plan
from tickerpulse.jobs.sql import load_sql
from tickerpulse.lake.window_data import WindowAggregates, WindowInputs


def aggregate_window(inputs: WindowInputs, window: Window) -> WindowAggregates:
    """Aggregate one window: its documents, their assets, per-asset stats and prices."""
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET threads = 2")
        return run_plan(
            lambda name, table: con.register(name, table),
            lambda name, params: _query(con, name, params),
            inputs,
            window,
        )
    finally:
        con.close()


def _query(con: duckdb.DuckDBPyConnection, name: str, params: Mapping[str, datetime]) -> pa.Table:
    sql = load_sql(name)
    needed = {k: v for k, v in params.items() if f"${k}" in sql}
    table: pa.Table = con.sql(sql, params=needed).to_arrow_table()
    return table
