"""The Spark engine: the same aggregation SQL as DuckDB, run by Spark SQL (``ENGINE=spark``).

Locally it starts ``local[*]``; on a cluster the session comes from ``spark-submit``
(``SPARK_MASTER`` / the cluster's defaults), so the code does not change. Inputs go
in and results come out as Arrow tables, so the stages around the engine are the
same for both engines, and a test holds the two to identical marts.

The shared SQL is written in the subset both dialects read: named parameters are
``$name`` for DuckDB and become ``:name`` here; identifiers that are keywords
(``interval``) are always qualified instead of quoted.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING

import pyarrow as pa

from tickerpulse.domain import Window
from tickerpulse.jobs.price_gaps import price_gaps
from tickerpulse.jobs.sql import load_sql
from tickerpulse.jobs.window_data import WindowAggregates, WindowInputs

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

_PARAMETER = re.compile(r"\$([a-z_]+)")


@cache
def spark_session() -> SparkSession:
    """The process's Spark session (created once: local[*] unless spark-submit set a master)."""
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.appName("tickerpulse-cycle")
        .master("local[*]")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )


def aggregate_window(inputs: WindowInputs, window: Window) -> WindowAggregates:
    """Aggregate one window with Spark SQL; same contract as the DuckDB engine."""
    spark = spark_session()
    for name, table in (
        ("documents", inputs.documents),
        ("sentiment", inputs.sentiment),
        ("mentions", inputs.mentions),
        ("prices", inputs.prices),
        ("price_priority", inputs.price_priority),
    ):
        _register(spark, name, table)
    bounds = {"window_start": window.start, "window_end": window.end}
    window_documents = _query(spark, "window_documents", bounds)
    _register(spark, "window_documents", window_documents)
    document_assets = _query(spark, "document_assets")
    _register(spark, "document_assets", document_assets)
    price_window = _query(spark, "price_window", bounds)
    priced = _query(spark, "priced_assets").column("asset_id").to_pylist()
    return WindowAggregates(
        window_documents=window_documents,
        document_assets=document_assets,
        asset_window=_query(spark, "asset_window"),
        price_window=price_window,
        price_gaps=price_gaps(window, price_window, priced),
    )


def _register(spark: SparkSession, name: str, table: pa.Table) -> None:
    frame: DataFrame = spark.createDataFrame(table)
    frame.createOrReplaceTempView(name)


def _query(spark: SparkSession, name: str, params: dict[str, datetime] | None = None) -> pa.Table:
    sql = load_sql(name)
    needed = {k: v for k, v in (params or {}).items() if f"${k}" in sql}
    result: pa.Table = spark.sql(_PARAMETER.sub(r":\1", sql), args=needed or None).toArrow()
    return result
