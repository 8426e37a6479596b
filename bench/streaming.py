"""Trades/s sustained through replay websocket → bus → bars, on the in-process bus and on Kafka.

The replay server (``streaming/replay.py``, Finnhub's format) runs in a process of
its own, as Finnhub is remote, and sends a fixed synthetic feed as fast as the
socket takes it. This process runs what production runs: the ``TradingStreaming``
client, the pump onto the bus (topic ``trades.raw`` keyed by symbol), and the
``BarProcessor`` in a thread writing 1- and 5-minute bars (provisional and closed)
into embedded Postgres with NOTIFY. Kafka is a real single-node broker on the same
2 cores (``bench/kafka_broker.py``). One warm-up trade goes through first, so the
consumer has joined its group before the clock starts.
"""

from __future__ import annotations

import asyncio
import itertools
import multiprocessing
import os
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from sqlalchemy import Engine, text

from bench.kafka_broker import BrokerUnavailable, throwaway_broker
from bench.report import machine_line
from tickerpulse.config import Settings
from tickerpulse.domain import Trade
from tickerpulse.runtime import open_runtime
from tickerpulse.streaming.bus import TRADES_TOPIC, Bus, InProcessBus
from tickerpulse.streaming.finnhub import TradingStreaming
from tickerpulse.streaming.kafka_bus import KafkaBus
from tickerpulse.streaming.processor import BarProcessor
from tickerpulse.streaming.replay import ReplayServer, synthetic_trades
from tickerpulse.streaming.wire import encode_trade

TRADES = 300_000
SYMBOLS = [f"SYM{i:02d}" for i in range(40)]
START_MS = 1_772_461_800_000  # 2026-03-02 14:30 UTC
REPEATS = 3
EVENT_RATE = 2_000
"""Trades per second of event time: 300k trades span 150 s, so bars do close."""


@dataclass
class StreamRun:
    """One run: how long the feed took to reach the bus and to become bars."""

    bus: str
    trades: int
    ingest_s: float
    """First trade received → last trade published (and, on Kafka, acknowledged)."""
    bars_s: float
    """First trade received → last trade turned into bars and committed."""
    bars_written: int
    batches: int
    """Processor batches (each one Postgres transaction and one commit)."""

    @property
    def ingest_rate(self) -> float:
        """Trades/s from the socket onto the bus."""
        return self.trades / self.ingest_s

    @property
    def end_to_end_rate(self) -> float:
        """Trades/s from the socket to bars in Postgres."""
        return self.trades / self.bars_s


def _serve_feed(trades: int, reply: Connection) -> None:
    """In the server process: serve the feed once, report the URL, exit when told."""

    async def serve() -> None:
        feed = itertools.islice(
            synthetic_trades(SYMBOLS, start_ms=START_MS, rate=EVENT_RATE, seed=3), trades
        )
        server = ReplayServer(feed, rate=None, trades_per_message=100, await_symbols=SYMBOLS)
        reply.send(await server.start())
        await asyncio.get_running_loop().run_in_executor(None, reply.recv)  # "stop"
        await server.stop()

    asyncio.run(serve())


async def _ingest(url: str, bus: Bus, topic: str, trades: int) -> tuple[float, float]:
    """Read the socket and publish every trade; return (first trade, last published) times."""
    client = TradingStreaming(url, SYMBOLS, buffer_size=1_000)
    reading = asyncio.create_task(client.run())
    published, first = 0, 0.0
    while published < trades:
        batch = await client.queue.get()
        if not first:
            first = time.perf_counter()
        for trade in batch:
            bus.publish(topic, trade.symbol, encode_trade(trade))
        published += len(batch)
    if bus.flush(60):
        raise RuntimeError("the bus did not take every trade")
    done = time.perf_counter()
    client.stop()
    await asyncio.gather(reading, return_exceptions=True)
    if client.counters.dropped_trades:
        raise RuntimeError(f"the client dropped {client.counters.dropped_trades} trades")
    return first, done


def run_stream(bus_name: str, bus: Bus, engine: Engine, topic: str, trades: int) -> StreamRun:
    """Push ``trades`` through socket → ``bus`` (on ``topic``) → bars and time it."""
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM live_bar"))
    processor = BarProcessor(bus.consumer(topic, f"bench-{topic}"), engine)
    warm_up = Trade("WARMUP", 1.0, START_MS - 3_600_000, 1.0)
    bus.publish(topic, warm_up.symbol, encode_trade(warm_up))
    bus.flush(30)
    while not processor.step():  # the consumer has joined its group and read the warm-up
        pass
    stop = threading.Event()
    worker = threading.Thread(target=processor.run, args=(stop,), name="bench-processor")
    worker.start()

    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    server = context.Process(target=_serve_feed, args=(trades, child), daemon=True)
    server.start()
    try:
        first, ingested = asyncio.run(_ingest(parent.recv(), bus, topic, trades))
        while processor.stats.messages < trades + 1 and worker.is_alive():
            time.sleep(0.002)
        done = time.perf_counter()
    finally:
        stop.set()
        worker.join(60)
        parent.send("stop")
        server.join(30)
    if processor.stats.messages < trades + 1:
        raise RuntimeError(f"the processor stopped after {processor.stats.messages} messages")
    processor.finish()
    processor.consumer.close()
    with engine.connect() as conn:
        bars = conn.execute(text("SELECT count(*) FROM live_bar")).scalar_one()
    batches = processor.stats.batches
    run = StreamRun(bus_name, trades, ingested - first, done - first, int(bars), batches)
    print(run, flush=True)
    return run


def measure(trades: int = TRADES, repeats: int = REPEATS) -> tuple[list[StreamRun], str]:
    """``repeats`` runs per bus, alternating in-process and Kafka; a note when Kafka can't run."""
    runs: list[StreamRun] = []
    with tempfile.TemporaryDirectory(prefix="tp-stream-bench-") as home:
        settings = Settings(_env_file=None, home=Path(home))  # type: ignore[call-arg]
        runtime = open_runtime(settings)
        engine = runtime.engine
        try:
            with throwaway_broker(Path(home) / "kafka") as broker:
                kafka = KafkaBus(broker.bootstrap)
                for n in range(repeats):
                    runs.append(
                        run_stream("in-process", InProcessBus(3), engine, TRADES_TOPIC, trades)
                    )
                    kafka.ensure_topic(f"{TRADES_TOPIC}.{n}", partitions=3)
                    runs.append(run_stream("Kafka", kafka, engine, f"{TRADES_TOPIC}.{n}", trades))
                kafka.close()
        except BrokerUnavailable as exc:
            note = f"Kafka skipped: the broker did not start ({str(exc).splitlines()[0]})"
            print(note, flush=True)
            if not runs:
                runs = [
                    run_stream("in-process", InProcessBus(3), engine, TRADES_TOPIC, trades)
                    for _ in range(repeats)
                ]
            return runs, note
        finally:
            engine.dispose()
    return runs, ""


def streaming_section(trades: int = TRADES, repeats: int = REPEATS) -> str:
    """The trades/s table for docs/benchmarks.md."""
    load_before = os.getloadavg()[0]
    runs, note = measure(trades, repeats)
    load_after = os.getloadavg()[0]
    lines = [
        "## Live path: trades/s through websocket → bus → bars",
        "",
        machine_line(),
        "",
        f"{trades:,} synthetic trades over {len(SYMBOLS)} symbols ({EVENT_RATE:,}/s of event time,",
        "so 1-minute bars close along the way) served by the replay server in its own process",
        "as fast as the socket takes them, 100 trades per message (`bench/streaming.py`). This",
        "process runs the `TradingStreaming` client, the pump onto the bus (3 partitions, keyed",
        "by symbol) and the `BarProcessor` thread writing provisional and closed 1- and 5-minute",
        "bars to embedded Postgres with NOTIFY and committing its offsets; the Kafka broker",
        "(KRaft, one JVM, `acks=all`, idempotent, zstd) shares the same 2 cores. Ingest is",
        "first trade received → last one on the bus (on Kafka: acknowledged); end-to-end is",
        "first trade received → last one in a bar in Postgres with its offset committed.",
        "Client, pump and processor share one GIL (only the server has a process of its own),",
        "so the ceiling is the Python work per trade — parse the socket's JSON into a `Trade`,",
        "encode it for the bus, decode it and add it to two bars — more than the bus.",
        f"{repeats} runs per bus, alternating; the table gives the median and the range. Other",
        "sessions' jobs shared the 2 cores (1-minute load average before/after:",
        f"{load_before:.1f}/{load_after:.1f}), so absolute rates understate an idle machine.",
        "",
        "| bus | trades | runs | ingest trades/s (median) | end-to-end trades/s (median)"
        " | end-to-end range | processor batches (median) | bars written |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    medians = {}
    for bus in ("in-process", "Kafka"):
        mine = [r for r in runs if r.bus == bus]
        if not mine:
            lines.append(f"| {bus} | {note} | | | | | | |")
            continue
        rates = [r.end_to_end_rate for r in mine]
        medians[bus] = statistics.median(rates)
        lines.append(
            f"| {bus} | {trades:,} | {len(mine)} |"
            f" {statistics.median(r.ingest_rate for r in mine):,.0f} | {medians[bus]:,.0f} |"
            f" {min(rates):,.0f}–{max(rates):,.0f} |"
            f" {statistics.median(r.batches for r in mine):,.0f} | {mine[0].bars_written:,} |"
        )
    if len(medians) == 2:
        lines += [
            "",
            "Median end-to-end, Kafka ÷ in-process:"
            f" {medians['Kafka'] / medians['in-process']:.2f}. Where the two ranges overlap,",
            "the load on the shared cores moved single runs more than the bus did.",
        ]
    return "\n".join(lines)
