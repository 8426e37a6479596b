"""The Spark engine (``ENGINE=spark``): enrich on executors, the shared aggregation SQL on Spark.

Enrich (tagging and sentiment) runs the same pure batch functions as the local
path inside ``mapInArrow``; aggregation runs the same SQL files as DuckDB. The
normalize stage stays on the driver: its duplicate rule (first landed line wins)
depends on line order across a run's files, and it is I/O-light.

Locally it starts ``local[*]`` (or ``SPARK_MASTER``); under ``spark-submit`` (Dataproc)
it joins the session the cluster started, so the code does not change. Inputs go
in and results come out as Arrow tables, so the stages around the engine are the
same for both engines, and a test holds the two to identical marts.

The shared SQL is written in the subset both dialects read: named parameters are
``$name`` for DuckDB and become ``:name`` here; identifiers that are keywords
(``interval``) are always qualified instead of quoted.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator, Mapping
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING

import pyarrow as pa

from tickerpulse.domain import Window
from tickerpulse.enrich.batch import PACKED_SCHEMA, Enriched, enrich_documents, pack, unpack
from tickerpulse.enrich.sentiment import LabelBands, SentimentModel
from tickerpulse.enrich.tagger import Tagger
from tickerpulse.extras import require
from tickerpulse.jobs.engines.plan import run_plan
from tickerpulse.jobs.sql import load_sql
from tickerpulse.lake.window_data import WindowAggregates, WindowInputs

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

_PARAMETER = re.compile(r"\$([a-z_]+)")


@cache
def spark_session() -> SparkSession:
    """The process's Spark session (created once: local[*] unless spark-submit set a master)."""
    require("spark")
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("tickerpulse-cycle")
    if "PYSPARK_GATEWAY_PORT" not in os.environ:  # not under spark-submit: run locally
        builder = builder.master(os.environ.get("SPARK_MASTER", "local[*]")).config(
            "spark.driver.memory", os.environ.get("SPARK_DRIVER_MEMORY", "4g")
        )
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # workers import tickerpulse
    return (
        builder.config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )


def aggregate_window(inputs: WindowInputs, window: Window) -> WindowAggregates:
    """Aggregate one window with Spark SQL; same contract and plan as the DuckDB engine."""
    spark = spark_session()
    return run_plan(
        lambda name, table: _register(spark, name, table),
        lambda name, params: _query(spark, name, params),
        inputs,
        window,
    )


def enrich_on_spark(
    tagger: Tagger, model: SentimentModel, bands: LabelBands, docs: pa.Table
) -> Enriched:
    """Tag and score documents on Spark executors, batch by batch (``mapInArrow``).

    The same pure function as the local path runs on every Arrow batch, so both
    engines give the same rows; the tagger and the model travel to the executors
    pickled with the function. Mentions travel nested in their document's row
    (:func:`~tickerpulse.enrich.batch.pack`) and are unpacked on the driver.
    """
    frame = spark_session().createDataFrame(docs.select(["doc_id", "title", "text", "channel"]))

    def enrich(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            enriched = enrich_documents(tagger, model, bands, pa.Table.from_batches([batch]))
            yield from pack(enriched).to_batches()

    packed: pa.Table = frame.mapInArrow(enrich, _ddl(PACKED_SCHEMA)).toArrow()
    return unpack(packed)


def _ddl(schema: pa.Schema) -> str:
    return ", ".join(f"`{f.name}` {_spark_type(f.type)}" for f in schema)


def _spark_type(kind: pa.DataType) -> str:
    if pa.types.is_list(kind):
        return f"array<{_spark_type(kind.value_type)}>"
    if pa.types.is_struct(kind):
        return f"struct<{', '.join(f'`{f.name}`: {_spark_type(f.type)}' for f in kind)}>"
    return {pa.string(): "string", pa.float64(): "double", pa.int64(): "bigint"}[kind]


def _register(spark: SparkSession, name: str, table: pa.Table) -> None:
    frame: DataFrame = spark.createDataFrame(table)
    frame.createOrReplaceTempView(name)


def _query(spark: SparkSession, name: str, params: Mapping[str, datetime]) -> pa.Table:
    sql = load_sql(name)
    needed = {k: v for k, v in params.items() if f"${k}" in sql}
    result: pa.Table = spark.sql(_PARAMETER.sub(r":\1", sql), args=needed or None).toArrow()
    return result
