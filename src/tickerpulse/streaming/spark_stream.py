r"""The live bars as a Spark Structured Streaming job: Kafka ``trades.raw`` → Parquet bars.

The same transformation as :class:`~tickerpulse.streaming.bars.BarBuilder`, in Spark:
each Kafka record is one ``{"s", "p", "t", "v", "c"}`` trade; per interval (1 and 5
minutes) and symbol an event-time window on ``t`` gives open (price of the earliest
trade; ties: the first to arrive), high, low, close (the latest; ties: the last to
arrive), volume, VWAP (``None`` when the volume is zero) and the trade count. A
symbol's trades share one Kafka partition, so "arrival" is the offset order there.

The watermark is the newest event time minus the allowed lateness (5 s), and a bar
is written (append mode) once the watermark passes its end. Spark keeps ONE
watermark over all partitions and moves it between micro-batches, where the local
processor keeps one per partition and moves it per trade, so the two differ only
for trades later than the lateness; for the rest the bars are the same (a test holds
them to it, floats to 1e-9: Spark sums in its own order).

Output, each interval its own query, Parquet sink and checkpoint (what makes a
restart resume exactly once): ``<output>/bars_<n>s/date=<d>/``; records that are not
valid trades go to ``<output>/quarantine/`` with their partition and offset.

Run it (the connector jars first: ``make spark-kafka-jars``)::

    python -m tickerpulse.streaming.spark_stream --bootstrap 127.0.0.1:9092 \
        --output .tickerpulse/lake/live/spark --checkpoint .tickerpulse/spark-checkpoints
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tickerpulse.extras import require
from tickerpulse.streaming.bars import DEFAULT_ALLOWED_LATENESS_MS, DEFAULT_INTERVALS
from tickerpulse.streaming.bus import DEFAULT_KAFKA_BOOTSTRAP, TRADES_TOPIC
from tickerpulse.streaming.wire import QUARANTINE_EXCERPT

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession
    from pyspark.sql.streaming.query import StreamingQuery

DEFAULT_JARS_DIR = Path(".spark-jars")
"""Where ``deploy/spark/pom.xml`` puts the Kafka connector jars."""


@dataclass(frozen=True)
class SparkStreamJob:
    """Where the job reads and writes, and how it builds bars."""

    bootstrap: str
    output: str
    """Folder (or object-store URL) for the bars and the quarantine."""
    checkpoint: str
    """Folder for the queries' checkpoints (offsets and window state)."""
    topic: str = TRADES_TOPIC
    intervals: tuple[int, ...] = DEFAULT_INTERVALS
    allowed_lateness_ms: int = DEFAULT_ALLOWED_LATENESS_MS
    trigger_s: float = 1.0
    starting_offsets: str = "earliest"


def connector_jars(jars_dir: Path = DEFAULT_JARS_DIR) -> list[str]:
    """The connector jars gathered by Maven, as absolute paths.

    Raises:
        FileNotFoundError: When they have not been fetched yet.
    """
    jars = sorted(str(p.resolve()) for p in jars_dir.glob("*.jar"))
    if not any("spark-sql-kafka" in Path(j).name for j in jars):
        raise FileNotFoundError(
            f"no spark-sql-kafka connector in {jars_dir}: run `make spark-kafka-jars` "
            "(Maven copies it and its runtime jars there)"
        )
    return jars


def kafka_spark_session(jars: Sequence[str], *, master: str = "local[2]") -> SparkSession:
    """A Spark session with the Kafka connector on its classpath.

    Raises:
        RuntimeError: When a session without the connector already runs in this process
            (``spark.jars`` only counts before the JVM starts).
    """
    require("spark")
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    spark = (
        SparkSession.builder.appName("tickerpulse-live-bars")
        .master(master)
        .config("spark.jars", ",".join(jars))
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
        .getOrCreate()
    )
    if "spark-sql-kafka" not in (spark.conf.get("spark.jars", "") or ""):
        raise RuntimeError(
            "a Spark session without the Kafka connector is already running in this process"
        )
    return spark


def kafka_records(spark: SparkSession, job: SparkStreamJob) -> DataFrame:
    """The raw topic as a stream: partition, offset and the value as text."""
    from pyspark.sql import functions as F

    return (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", job.bootstrap)
        .option("subscribe", job.topic)
        .option("startingOffsets", job.starting_offsets)
        .load()
        .select("partition", "offset", F.col("value").cast("string").alias("value"))
    )


def _is_valid(trade: Column) -> Column:
    # what wire.trade_from_record and bars.is_valid_trade accept (NaN and infinity fail
    # the comparisons with their bounds, as isfinite does)
    from pyspark.sql import functions as F

    finite = F.lit(float("inf"))
    return (
        trade.isNotNull()
        & (F.length(trade.s) > 0)
        & (trade.p > 0)
        & (trade.p < finite)
        & (trade.v >= 0)
        & (trade.v < finite)
        & (trade.t >= 0)
    )


def parse_trades(records: DataFrame) -> tuple[DataFrame, DataFrame]:
    """Valid trades (symbol, price, volume, ts_ms, event_time, partition, offset) and rejects."""
    from pyspark.sql import functions as F

    schema = "s STRING, p DOUBLE, t LONG, v DOUBLE"
    parsed = records.withColumn("trade", F.from_json("value", schema))
    valid = _is_valid(F.col("trade"))
    trades = parsed.where(valid).select(
        F.col("trade.s").alias("symbol"),
        F.col("trade.p").alias("price"),
        F.col("trade.v").alias("volume"),
        F.col("trade.t").alias("ts_ms"),
        F.timestamp_millis(F.col("trade.t")).alias("event_time"),
        "partition",
        "offset",
    )
    rejects = parsed.where(~F.coalesce(valid, F.lit(False))).select(
        "partition", "offset", F.substring("value", 1, QUARANTINE_EXCERPT).alias("excerpt")
    )
    return trades, rejects


def bars(trades: DataFrame, interval_s: int, allowed_lateness_ms: int) -> DataFrame:
    """Event-time OHLCV/VWAP bars of ``interval_s`` seconds, final once the watermark passes."""
    from pyspark.sql import functions as F

    arrival = F.struct("ts_ms", "partition", "offset")  # event time, then arrival order
    grouped = trades.withWatermark("event_time", f"{allowed_lateness_ms} milliseconds").groupBy(
        F.window("event_time", f"{interval_s} seconds").alias("w"), "symbol"
    )
    return grouped.agg(
        F.min_by("price", arrival).alias("open"),
        F.max("price").alias("high"),
        F.min("price").alias("low"),
        F.max_by("price", arrival).alias("close"),
        F.sum("volume").alias("volume"),
        F.sum(F.col("price") * F.col("volume")).alias("notional"),
        F.count(F.lit(1)).alias("trades"),
    ).select(
        "symbol",
        F.lit(interval_s).cast("int").alias("interval_s"),
        F.col("w.start").alias("bar_start"),
        "open",
        "high",
        "low",
        "close",
        "volume",
        F.when(F.col("volume") > 0, F.col("notional") / F.col("volume")).alias("vwap"),
        "trades",
        F.to_date(F.col("w.start")).alias("date"),
    )


def start(
    spark: SparkSession, job: SparkStreamJob, *, available_now: bool = False
) -> list[StreamingQuery]:
    """Start one query per interval and one for the quarantine; return them running.

    ``available_now``: read what the topic holds now, write it, and stop (tests, backfills).
    """
    trades, rejects = parse_trades(kafka_records(spark, job))
    outputs = {
        f"bars_{interval}s": bars(trades, interval, job.allowed_lateness_ms)
        for interval in job.intervals
    }
    queries = []
    for name, frame in [*outputs.items(), ("quarantine", rejects)]:
        writer = (
            frame.writeStream.format("parquet")
            .outputMode("append")
            .option("path", f"{job.output.rstrip('/')}/{name}")
            .option("checkpointLocation", f"{job.checkpoint.rstrip('/')}/{name}")
            .queryName(f"live-{name}")
        )
        if name != "quarantine":
            writer = writer.partitionBy("date")
        writer = (
            writer.trigger(availableNow=True)
            if available_now
            else writer.trigger(processingTime=f"{job.trigger_s} seconds")
        )
        queries.append(writer.start())
    return queries


def main(argv: Sequence[str] | None = None) -> None:
    """Run the job until interrupted (or, with ``--available-now``, over what the topic holds)."""
    parser = argparse.ArgumentParser(description="Live bars from Kafka with Spark.")
    parser.add_argument("--bootstrap", default=DEFAULT_KAFKA_BOOTSTRAP)
    parser.add_argument("--topic", default=TRADES_TOPIC)
    parser.add_argument("--output", required=True, help="folder or URL for the Parquet bars")
    parser.add_argument("--checkpoint", required=True, help="folder for the checkpoints")
    parser.add_argument("--jars", type=Path, default=DEFAULT_JARS_DIR)
    parser.add_argument("--trigger-s", type=float, default=1.0)
    parser.add_argument("--available-now", action="store_true")
    args = parser.parse_args(argv)
    job = SparkStreamJob(
        args.bootstrap, args.output, args.checkpoint, topic=args.topic, trigger_s=args.trigger_s
    )
    spark = kafka_spark_session(connector_jars(args.jars))
    queries = start(spark, job, available_now=args.available_now)
    try:
        for query in queries:
            query.awaitTermination()
    finally:
        for query in queries:
            query.stop()


if __name__ == "__main__":
    main()
