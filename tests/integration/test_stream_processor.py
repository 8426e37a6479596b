"""The stream processor on the in-process bus, writing into the real embedded Postgres and a lake."""

import asyncio
import itertools
import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import psycopg
import pyarrow.parquet as pq
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, text

from tickerpulse.db.models import Base
from tickerpulse.domain import Trade
from tickerpulse.lake.store import Lake
from tickerpulse.streaming.bars import Bar, BarBuilder
from tickerpulse.streaming.bus import TRADES_TOPIC, InProcessBus
from tickerpulse.streaming.finnhub import TradingStreaming, forward_trades
from tickerpulse.streaming.processor import BarProcessor, upsert_live_bars
from tickerpulse.streaming.replay import ReplayServer, synthetic_trades
from tickerpulse.streaming.wire import encode_trade

T0 = int(datetime(2026, 3, 2, 14, 30, tzinfo=UTC).timestamp() * 1000)
MIN = 60_000
SYMBOLS = ["AAPL", "BTC", "EURUSD", "MSFT", "NVDA", "TSLA"]
BATCH = 350


def disordered_trades(minutes: int = 12, rate: float = 10.0, seed: int = 3) -> list[Trade]:
    """A synthetic feed arriving a little out of order: 10% of trades up to 8 s late."""
    trades = list(
        itertools.islice(
            synthetic_trades(SYMBOLS, start_ms=T0, rate=rate, seed=seed), int(minutes * 60 * rate)
        )
    )
    rng = random.Random(seed)
    arrival = [t.ts_ms + (rng.randint(0, 8_000) if rng.random() < 0.1 else 0) for t in trades]
    return [t for _, t in sorted(zip(arrival, trades, strict=True), key=lambda pair: pair[0])]


def expected_bars(trades: list[Trade]) -> list[Bar]:
    builder = BarBuilder()
    return [b for t in trades for b in builder.add(t)] + builder.flush()


def publish(bus: InProcessBus, trades: list[Trade], carried: str = "json") -> None:
    """Put trades on the bus as JSON records one by one, or as objects a message's worth at a time."""
    if carried == "objects":
        for start in range(0, len(trades), 40):
            bus.publish_trades(TRADES_TOPIC, trades[start : start + 40])
        return
    for t in trades:
        bus.publish(TRADES_TOPIC, t.symbol, encode_trade(t))


def processor(
    bus: InProcessBus, engine: Engine, lake: Lake | None = None, batch_size: int = BATCH
) -> BarProcessor:
    return BarProcessor(
        bus.consumer(TRADES_TOPIC, "bars"), engine, lake, batch_size=batch_size, poll_timeout_s=0.01
    )


def db_rows(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                text(
                    "SELECT symbol, interval_s, bar_start, open, high, low, close, volume, vwap, trades,"
                    " final FROM live_bar ORDER BY symbol, interval_s, bar_start"
                )
            )
        ]


def as_rows(bars: list[Bar]) -> list[tuple[Any, ...]]:
    return sorted(
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
            b.final,
        )
        for b in bars
    )


def lake_parts(root: Path) -> dict[str, list[dict[str, Any]]]:
    return {
        str(p.relative_to(root)): pq.read_table(p).to_pylist()
        for p in sorted(root.glob("live/bars/*/*.parquet"))
    }


def test_live_bar_rows_are_the_bars_of_the_trades(engine: Engine, lake_dir: Path) -> None:
    trades = disordered_trades()
    bus = InProcessBus()
    publish(bus, trades)
    proc = processor(bus, engine, Lake(str(lake_dir)))
    proc.run(idle_exit_s=0.05)
    proc.finish()
    bars = expected_bars(trades)
    assert db_rows(engine) == as_rows(bars)
    assert all(b.final for b in bars) and len(bars) == len(SYMBOLS) * (12 + 12 // 5 + 1)
    parts = lake_parts(lake_dir)
    assert {p.split("/")[2] for p in parts} == {"date=2026-03-02"}
    assert "live/bars/date=2026-03-02/part-60s-20260302T1430-p000.parquet" in parts
    lake_bars = sorted(
        (r["symbol"], r["interval_s"], r["bar_start"], r["close"], r["trades"])
        for rows in parts.values()
        for r in rows
    )
    assert lake_bars == sorted((b.symbol, b.interval_s, b.start, b.close, b.trades) for b in bars)
    late = proc.bar_stats().late_dropped
    assert late[60] > 0 and late == (builder_late := _late(trades)), builder_late
    assert proc.stats.messages == len(trades) and proc.stats.malformed == 0


def _late(trades: list[Trade]) -> dict[int, int]:
    builder = BarBuilder()
    for t in trades:
        builder.add(t)
    return builder.stats.late_dropped


def test_open_bars_are_provisional_until_the_watermark_closes_them(engine: Engine) -> None:
    bus = InProcessBus()
    proc = processor(bus, engine)
    publish(bus, [Trade("AAPL", 10.0, T0 + 1_000, 2), Trade("AAPL", 12.0, T0 + 30_000, 2)])
    proc.run(idle_exit_s=0.02)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT interval_s, open, close, vwap, trades, final FROM live_bar ORDER BY 1")
        ).all()
    assert [tuple(r) for r in rows] == [
        (60, 10.0, 12.0, 11.0, 2, False),
        (300, 10.0, 12.0, 11.0, 2, False),
    ]
    publish(bus, [Trade("AAPL", 13.0, T0 + MIN + 5_000, 1)])  # watermark reaches the minute's end
    proc.run(idle_exit_s=0.02)
    with engine.connect() as conn:
        finals = conn.execute(
            text("SELECT interval_s, bar_start, final FROM live_bar ORDER BY 1, 2")
        ).all()
    start = datetime.fromtimestamp(T0 / 1000, UTC)
    assert [tuple(r) for r in finals] == [
        (60, start, True),
        (60, datetime.fromtimestamp((T0 + MIN) / 1000, UTC), False),
        (300, start, False),
    ]


def test_a_provisional_row_never_replaces_a_final_one(engine: Engine) -> None:
    final = Bar("AAPL", 60, T0, 1.0, 2.0, 0.5, 1.5, 10.0, 1.2, 4, final=True)
    stale = Bar("AAPL", 60, T0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1, final=False)
    with engine.begin() as conn:
        upsert_live_bars(conn, [final])
        upsert_live_bars(conn, [stale])
    assert db_rows(engine) == as_rows([final])


@pytest.mark.parametrize("carried", ["json", "objects"])
@pytest.mark.parametrize(
    ("committed_batches", "crashes_in_replay"),
    [(0, 0), (3, 0), (9, 0), (6, 2)],
    ids=["before-any-commit", "early", "late", "again-while-replaying"],
)
def test_kill_and_restart_midway_gives_identical_bars(
    engine: Engine,
    second_engine: Engine,
    tmp_path: Path,
    committed_batches: int,
    crashes_in_replay: int,
    carried: str,
) -> None:
    trades = disordered_trades()
    reference_bus = InProcessBus()
    publish(reference_bus, trades)  # the reference always goes through JSON
    whole = processor(reference_bus, engine, Lake(str(tmp_path / "whole")))
    whole.run(idle_exit_s=0.05)
    whole.finish()

    bus = InProcessBus()
    half = len(trades) // 2
    publish(bus, trades[:half], carried)  # the rest arrives while the processor is down
    lake = Lake(str(tmp_path / "crashed"))
    first = processor(bus, second_engine, lake)
    for _ in range(committed_batches):
        assert first.step()
    # one more batch written to Postgres and the lake, never committed: the crash
    first.handle(first.consumer.poll(BATCH, 0.01))
    publish(bus, trades[half:], carried)
    for _ in range(crashes_in_replay):
        again = processor(bus, second_engine, lake, batch_size=80)
        again.step()  # a whole batch, commit included, still inside the replay …
        again.handle(again.consumer.poll(80, 0.01))  # … then it dies before the next commit
        assert again.stats.replayed == 160 and again.stats.bars_updated == 0
    last = processor(bus, second_engine, lake)
    last.run(idle_exit_s=0.05)
    last.finish()

    assert db_rows(second_engine) == db_rows(engine) == as_rows(expected_bars(trades))
    assert lake_parts(tmp_path / "crashed") == lake_parts(tmp_path / "whole")
    if committed_batches:
        assert last.stats.replayed > 0  # it really rebuilt open bars from re-read trades
    assert last.bar_stats().late_dropped[60] <= whole.bar_stats().late_dropped[60]


def test_bar_notifications_arrive_through_listen(engine: Engine, database_url: str) -> None:
    listener = psycopg.connect(
        database_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True
    )
    listener.execute("LISTEN live_bar")
    bus = InProcessBus()
    publish(bus, [Trade("AAPL", 10.0, T0 + 1_000, 2), Trade("AAPL", 11.0, T0 + MIN + 6_000, 1)])
    proc = processor(bus, engine)
    proc.run(idle_exit_s=0.02)
    payloads = [orjson.loads(n.payload) for n in listener.notifies(timeout=2, stop_after=3)]
    listener.close()
    assert all(n["symbol"] == "AAPL" for n in payloads)
    (closed,) = [p for p in payloads if p["final"]]
    assert closed == {
        "symbol": "AAPL", "interval_s": 60, "bar_start": "2026-03-02T14:30:00+00:00", "open": 10.0,
        "high": 10.0, "low": 10.0, "close": 10.0, "volume": 2.0, "vwap": 10.0, "trades": 1, "final": True,
    }  # fmt: skip
    assert sorted((p["interval_s"], p["trades"]) for p in payloads if not p["final"]) == [
        (60, 1),
        (300, 2),
    ]


def test_trades_carried_as_objects_give_the_bars_of_their_json_records(engine: Engine) -> None:
    trades = disordered_trades(minutes=4)
    bus = InProcessBus()
    publish(bus, trades, "objects")
    (message, *_) = bus.consumer(TRADES_TOPIC, "look").poll(1, 0)
    assert message.value is trades[0] and message.key == trades[0].symbol  # not re-encoded
    proc = processor(bus, engine)
    proc.run(idle_exit_s=0.05)
    proc.finish()
    assert proc.stats.malformed == 0
    assert db_rows(engine) == as_rows(expected_bars(trades))
    timed = proc.clock.as_dict()
    assert {"poll", "bus decode", "bars", "write", "commit"} <= set(timed)
    assert timed["bars"]["items"] == len(trades) and timed["write"]["calls"] >= 1


def test_malformed_bus_messages_are_skipped_and_counted(engine: Engine) -> None:
    bus = InProcessBus()
    trades = [Trade("AAPL", 10.0 + i, T0 + i * 1_000, 1) for i in range(5)]
    publish(bus, trades[:2])
    bus.publish(TRADES_TOPIC, "AAPL", b'{"s":"AAPL","p":"oops"}')
    publish(bus, trades[2:])
    proc = processor(bus, engine)
    proc.run(idle_exit_s=0.02)
    proc.finish()
    assert proc.stats.malformed == 1 and proc.stats.quarantine == ['{"s":"AAPL","p":"oops"}']
    assert db_rows(engine) == as_rows(expected_bars(trades))


def test_trades_flow_from_the_socket_through_the_bus_into_live_bars(engine: Engine) -> None:
    feed = list(itertools.islice(synthetic_trades(SYMBOLS, start_ms=T0, rate=50, seed=11), 6_000))
    bus = InProcessBus()

    async def stream() -> None:
        server = ReplayServer(feed, rate=None, trades_per_message=60, await_symbols=SYMBOLS)
        client = TradingStreaming(await server.start(), SYMBOLS)
        reading = asyncio.create_task(client.run())
        pumping = asyncio.create_task(forward_trades(client.queue, bus))
        async with asyncio.timeout(15):
            while bus.end_offsets(TRADES_TOPIC)[0] < len(feed):
                await asyncio.sleep(0.01)
        client.stop()
        pumping.cancel()
        await asyncio.gather(reading, pumping, return_exceptions=True)
        await server.stop()

    asyncio.run(stream())
    proc = processor(bus, engine, batch_size=2_000)
    proc.run(idle_exit_s=0.05)
    proc.finish()
    assert db_rows(engine) == as_rows(expected_bars(feed))


def test_the_migration_matches_the_live_bar_model(engine: Engine) -> None:
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert [d for d in diffs if "live_bar" in repr(d)] == []
