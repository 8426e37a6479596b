"""The live path wired end to end: websocket → bus → bar processor → online model.

:func:`run_live` is what ``tickerpulse stream`` (and the demo, in a background
thread) runs until told to stop:

* the source is Finnhub's trades websocket when ``FINNHUB_API_KEY`` is set, else
  the local :class:`~tickerpulse.streaming.replay.ReplayServer` playing the
  simulated world on in real time (each asset from its last published close, in
  its market's hours: :mod:`tickerpulse.streaming.world`) — after putting
  ``STREAM_WARMUP_MINUTES`` of its past straight on the bus, so charts and the
  model have history at once;
* the bus is Kafka when ``KAFKA_BOOTSTRAP`` is set, else in-process;
* a :class:`~tickerpulse.streaming.processor.BarProcessor` in its own thread
  writes bars to Postgres and the lake, with the online model's writer as its
  ``on_closed`` hook, warmed up from the bars already stored; a
  :class:`~tickerpulse.streaming.supervisor.SupervisedProcessor` restarts it
  after a failure (Postgres restarting) from the bus's committed offsets.

Stopping leaves open bars provisional (a live stream has no end of input).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import structlog
from sqlalchemy import Engine, text

from tickerpulse.config import Settings
from tickerpulse.domain import Trade
from tickerpulse.lake.store import Lake
from tickerpulse.streaming.bus import TRADES_TOPIC, Bus, InProcessBus
from tickerpulse.streaming.finnhub import TradingStreaming, forward_trades, redact
from tickerpulse.streaming.kafka_bus import KafkaBus
from tickerpulse.streaming.online import OnlineDirectionModel, river_classifier
from tickerpulse.streaming.predictions import PredictionWriter
from tickerpulse.streaming.processor import DEFAULT_GROUP, BarProcessor
from tickerpulse.streaming.replay import ReplayServer
from tickerpulse.streaming.stages import StageClock, merge
from tickerpulse.streaming.supervisor import SupervisedProcessor
from tickerpulse.streaming.world import LiveAnchor, load_anchors, world_trades

log = structlog.get_logger(__name__)

READY_TIMEOUT_S = 30.0


@dataclass
class LiveReport:
    """What a run of the live path did, for the command's summary."""

    source: str
    bus: str
    warmup_trades: int = 0
    counters: dict[str, Any] = field(default_factory=dict)
    processor: dict[str, Any] = field(default_factory=dict)
    calls: int = 0
    stages: dict[str, dict[str, float | int]] = field(default_factory=dict)
    """CPU and wall seconds per stage of the path (:mod:`~tickerpulse.streaming.stages`)."""
    cpu_s: float = 0.0
    """CPU seconds the whole process used over the run, every thread included."""


def make_bus(settings: Settings) -> Bus:
    """Kafka when ``KAFKA_BOOTSTRAP`` is set (topic created if missing), else in-process."""
    if settings.kafka_bootstrap:
        bus = KafkaBus(settings.kafka_bootstrap)
        bus.ensure_topic(TRADES_TOPIC)
        return bus
    return InProcessBus()


def resume_after_ms(engine: Engine, symbols: list[str]) -> int | None:
    """The end of the newest stored 1-minute bar of ``symbols`` (where a replay may go on)."""
    with engine.connect() as conn:
        newest = conn.execute(
            text(
                "SELECT max(bar_start) FROM live_bar WHERE interval_s = 60"
                " AND symbol = ANY(:symbols)"
            ),
            {"symbols": symbols},
        ).scalar_one()
    return None if newest is None else int(newest.timestamp() * 1000) + 60_000


def replay_feed(
    anchors: list[LiveAnchor],
    *,
    now_ms: int,
    rate: float,
    warmup_minutes: int,
    resume_ms: int | None,
) -> tuple[list[Trade], Iterator[Trade | None]]:
    """The replay's past (before ``now_ms``) as a list, and its endless live rest.

    The past starts ``warmup_minutes`` ago, or where stored bars end if that is
    later, so a restarted demo never rewrites bars it already closed. Prices go
    on from ``anchors`` (the simulated world's last closes) and follow each
    market's calendar (:func:`~tickerpulse.streaming.world.world_trades`).
    """
    start = now_ms - warmup_minutes * 60_000
    if resume_ms is not None:
        start = min(max(start, resume_ms), now_ms)
    feed = world_trades(anchors, start_ms=start, rate=rate, seed=start % 1_000_003)
    past: list[Trade] = []
    tick_ms = 1000.0 / rate
    for n, tick in enumerate(feed):
        if start + int(n * tick_ms) >= now_ms:
            return past, _chain(tick, feed)
        if tick is not None:
            past.append(tick)
    raise AssertionError("world trades never end")  # pragma: no cover


def _chain(first: Trade | None, rest: Iterator[Trade | None]) -> Iterator[Trade | None]:
    yield first
    yield from rest


def run_live(
    settings: Settings,
    engine: Engine,
    lake: Lake | None,
    *,
    stop: threading.Event,
    seconds: float | None = None,
    ready: threading.Event | None = None,
) -> LiveReport:
    """Run the live path until ``stop`` is set (or for ``seconds``); return what it did."""
    symbols = list(dict.fromkeys(settings.stream_symbols))
    key = settings.finnhub_api_key
    bus = make_bus(settings)
    report = LiveReport(
        source="finnhub" if key else "replay",
        bus="kafka" if settings.kafka_bootstrap else "in-process",
    )
    river_classifier()  # River's import takes seconds: pay it now, not on the first closed bar
    writer = PredictionWriter()
    writer.warm_start(engine)
    processor = BarProcessor(
        bus.consumer(TRADES_TOPIC, DEFAULT_GROUP), engine, lake, on_closed=writer
    )

    def rewarm() -> None:  # a failed transaction rolled back bars the model had already seen
        writer.model = OnlineDirectionModel()
        writer.warm_start(engine)

    supervised = SupervisedProcessor(
        processor, lambda: bus.consumer(TRADES_TOPIC, DEFAULT_GROUP), on_restart=rewarm
    )
    # its own stop: after the source stops, the processor drains the bus first
    halt = threading.Event()
    processing = threading.Thread(
        target=supervised.run, kwargs={"stop": halt}, name="bar-processor", daemon=True
    )
    processing.start()
    cpu_at_start = time.process_time()
    client_clock = StageClock()
    try:
        asyncio.run(
            _stream(settings, engine, bus, symbols, report, stop, seconds, ready, client_clock)
        )
        _drain(processor)
    finally:
        halt.set()
        processing.join(timeout=30)
        bus.close()
    report.processor = {
        "messages": processor.stats.messages,
        "bars_closed": processor.stats.bars_closed,
        "bars_updated": processor.stats.bars_updated,
        "malformed": processor.stats.malformed,
        "late_dropped": processor.bar_stats().late_dropped,
        "restarts": supervised.restarts,
    }
    report.calls = writer.calls
    report.cpu_s = round(time.process_time() - cpu_at_start, 6)
    report.stages = merge(client_clock, processor.clock).as_dict()
    return report


def _drain(processor: BarProcessor, quiet_s: float = 2.0, timeout_s: float = 60.0) -> None:
    """Let the processor finish what is on the bus: until nothing new for ``quiet_s``."""
    deadline = time.monotonic() + timeout_s
    seen, since = processor.stats.messages, time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - since < quiet_s:
        time.sleep(0.05)
        if processor.stats.messages != seen:
            seen, since = processor.stats.messages, time.monotonic()


async def _stream(
    settings: Settings,
    engine: Engine,
    bus: Bus,
    symbols: list[str],
    report: LiveReport,
    stop: threading.Event,
    seconds: float | None,
    ready: threading.Event | None,
    clock: StageClock,
) -> None:
    server: ReplayServer | None = None
    key = settings.finnhub_api_key
    if key is not None:
        url = f"{settings.finnhub_ws_url}?token={key.get_secret_value()}"
    else:
        anchors = load_anchors(engine, symbols)
        past, live = replay_feed(
            anchors, now_ms=int(time.time() * 1000), rate=settings.stream_replay_rate,
            warmup_minutes=settings.stream_warmup_minutes,
            resume_ms=resume_after_ms(engine, symbols),
        )  # fmt: skip
        bus.publish_trades(TRADES_TOPIC, past)
        report.warmup_trades = len(past)
        server = ReplayServer(
            live, rate=settings.stream_replay_rate, trades_per_message=10, await_symbols=symbols
        )
        url = await server.start()
    client = TradingStreaming(url, symbols, idle_timeout_s=60.0)
    client.clock = clock
    reading = asyncio.create_task(client.run())
    pumping = asyncio.create_task(forward_trades(client.queue, bus, clock=clock))
    log.info("live stream started", url=redact(url), symbols=symbols, source=report.source)
    try:
        await client.wait_connected(READY_TIMEOUT_S)
        if ready is not None:
            ready.set()
        deadline = None if seconds is None else time.monotonic() + seconds
        while not stop.is_set() and not reading.done():
            if deadline is not None and time.monotonic() >= deadline:
                break
            await asyncio.sleep(0.2)
        if reading.done():
            reading.result()  # a refused key ends the run with its message
    finally:
        client.stop()
        pumping.cancel()
        await asyncio.gather(reading, pumping, return_exceptions=True)
        if server is not None:
            await server.stop()
        bus.flush()
        report.counters = client.counters.as_dict()
