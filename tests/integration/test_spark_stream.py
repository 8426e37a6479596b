"""Spark Structured Streaming over the real Kafka topic gives the local processor's bars."""

import itertools
import math
import random
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow.dataset as ds
import pytest
from sqlalchemy import Engine

from tickerpulse.domain import Trade
from tickerpulse.streaming.bars import BarBuilder
from tickerpulse.streaming.kafka_bus import KafkaBus
from tickerpulse.streaming.processor import BarProcessor
from tickerpulse.streaming.replay import synthetic_trades
from tickerpulse.streaming.spark_stream import (
    SparkStreamJob,
    connector_jars,
    kafka_spark_session,
    start,
)

from .test_stream_kafka import drain, publish
from .test_stream_processor import SYMBOLS, T0, db_rows

pytestmark = [pytest.mark.spark, pytest.mark.kafka]
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def jars() -> list[str]:
    """The connector jars, fetched with Maven on first use (as `make spark-kafka-jars` does)."""
    if not list((REPO / ".spark-jars").glob("spark-sql-kafka*.jar")):
        subprocess.run(
            [
                "mvn",
                "-q",
                "-B",
                "-f",
                str(REPO / "deploy/spark/pom.xml"),
                "dependency:copy-dependencies",
            ],
            check=True,
        )
    return connector_jars(REPO / ".spark-jars")


def mildly_disordered(minutes: int = 12, rate: int = 10, seed: int = 5) -> list[Trade]:
    """10% of trades arrive up to 3 s late: within the lateness, so neither side drops one."""
    feed = synthetic_trades(SYMBOLS, start_ms=T0 + 17, rate=rate, seed=seed)
    trades = list(itertools.islice(feed, minutes * 60 * rate))
    rng = random.Random(seed)
    arrival = [t.ts_ms + (rng.randint(0, 3_000) if rng.random() < 0.1 else 0) for t in trades]
    return [t for _, t in sorted(zip(arrival, trades, strict=True), key=lambda pair: pair[0])]


def same(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    return all(
        math.isclose(x, y, rel_tol=1e-9)
        if isinstance(x, float) and isinstance(y, float)
        else x == y
        for x, y in zip(a, b, strict=True)
    )


def test_spark_job_writes_the_bars_the_local_processor_writes(
    kafka_bootstrap: str,
    new_topic: Callable[..., str],
    engine: Engine,
    tmp_path: Path,
    jars: list[str],
) -> None:
    topic = new_topic(partitions=3)
    trades = mildly_disordered()
    bus = KafkaBus(kafka_bootstrap)
    publish(bus, topic, trades[:1_000])
    for junk in (b"not json", b'{"s":"AAPL","p":"oops","t":1,"v":1}'):
        bus.publish(topic, "AAPL", junk)
    publish(bus, topic, trades[1_000:])
    bus.close()

    local_bus = KafkaBus(kafka_bootstrap)
    proc = BarProcessor(local_bus.consumer(topic, f"local-{uuid.uuid4().hex[:6]}"), engine)
    drain(proc, len(trades) + 2)
    proc.finish()
    proc.consumer.close()
    local_bus.close()
    assert proc.bar_stats().late_dropped == {60: 0, 300: 0} and proc.stats.malformed == 2

    spark = kafka_spark_session(jars)
    job = SparkStreamJob(
        kafka_bootstrap, str(tmp_path / "out"), str(tmp_path / "checkpoints"), topic=topic
    )
    for query in start(spark, job, available_now=True):
        query.awaitTermination(300)
        assert query.exception() is None

    rows = []
    for interval in job.intervals:
        table = ds.dataset(tmp_path / "out" / f"bars_{interval}s", partitioning="hive").to_table()
        rows += table.drop_columns(["date"]).to_pylist()
    got = sorted(
        (r["symbol"], r["interval_s"], r["bar_start"], r["open"], r["high"], r["low"], r["close"],
         r["volume"], r["vwap"], r["trades"], True)
        for r in rows
    )  # fmt: skip
    # Spark writes a bar once the watermark (newest event time − 5 s) passes its end; the
    # local run closed the rest at the end of the stream
    watermark = max(t.ts_ms for t in trades) - 5_000
    expected = [r for r in db_rows(engine) if r[2].timestamp() * 1000 + r[1] * 1000 <= watermark]
    assert [g[:3] for g in got] == [e[:3] for e in expected]
    assert all(same(g, e) for g, e in zip(got, expected, strict=True))
    assert len(expected) >= len(SYMBOLS) * 13
    quarantine = ds.dataset(tmp_path / "out" / "quarantine").to_table().to_pylist()
    assert sorted(r["excerpt"] for r in quarantine) == sorted(proc.stats.quarantine)


def _spark_bars(out: Path, intervals: tuple[int, ...]) -> list[tuple[Any, ...]]:
    rows = []
    for interval in intervals:
        rows += ds.dataset(out / f"bars_{interval}s", partitioning="hive").to_table().to_pylist()
    return sorted(
        (r["symbol"], r["interval_s"], r["bar_start"], r["open"], r["high"], r["low"], r["close"],
         r["volume"], r["vwap"], r["trades"])
        for r in rows
    )  # fmt: skip


def test_spark_job_resumes_from_its_checkpoint_without_loss_or_duplicates(
    kafka_bootstrap: str, new_topic: Callable[..., str], tmp_path: Path, jars: list[str]
) -> None:
    topic = new_topic(partitions=3)
    trades = mildly_disordered(minutes=8, seed=9)
    half = len(trades) // 2
    spark = kafka_spark_session(jars)
    job = SparkStreamJob(
        kafka_bootstrap, str(tmp_path / "out"), str(tmp_path / "checkpoints"), topic=topic
    )
    bus = KafkaBus(kafka_bootstrap)
    written = []
    for part in (
        trades[:half],
        trades[half:],
    ):  # two runs of the job, the second from the checkpoint
        publish(bus, topic, part)
        for query in start(spark, job, available_now=True):
            query.awaitTermination(300)
            assert query.exception() is None
        written.append(len(_spark_bars(tmp_path / "out", job.intervals)))
    bus.close()

    builder = BarBuilder()  # the bars the watermark closes over the whole stream, by the pure core
    closed = [b for t in trades for b in builder.add(t)]
    expected = sorted(
        (
            b.symbol,
            b.interval_s,
            b.start,
            b.open,
            b.high,
            b.low,
            b.close,
            b.volume,
            b.vwap,
            b.trades,
        )
        for b in closed
    )
    got = _spark_bars(tmp_path / "out", job.intervals)
    assert [g[:3] for g in got] == [
        e[:3] for e in expected
    ]  # each bar once: none lost, none doubled
    assert all(same(g, e) for g, e in zip(got, expected, strict=True))
    assert 0 < written[0] < written[1] == len(got)  # the first run wrote some, the second the rest
