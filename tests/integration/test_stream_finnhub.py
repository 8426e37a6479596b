"""The Finnhub trades client against the local replay server speaking the same format."""

import asyncio
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager

import pytest

from tickerpulse.domain import Trade
from tickerpulse.streaming.finnhub import Backoff, StreamRefused, TradingStreaming
from tickerpulse.streaming.replay import ReplayServer, synthetic_trades
from tickerpulse.streaming.wire import error_message, trades_message

T0 = 1_767_366_000_000
FAST = Backoff(base_s=0.01, cap_s=0.05)


def feed(n: int, symbols: tuple[str, ...] = ("AAPL", "MSFT")) -> list[Trade]:
    return [Trade(symbols[i % len(symbols)], 100 + i / 100, T0 + i, 1.0 + i % 7) for i in range(n)]


def client(url: str, symbols: Iterable[str], **kwargs: object) -> TradingStreaming:
    return TradingStreaming(url, symbols, backoff=FAST, rng=random.Random(1), **kwargs)  # type: ignore[arg-type]


@asynccontextmanager
async def running(
    server: ReplayServer, stream: TradingStreaming
) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(stream.run())
    try:
        yield task
    finally:
        stream.stop()
        await asyncio.wait_for(task, 5)
        await server.stop()


async def take(stream: TradingStreaming, n: int) -> list[Trade]:
    got: list[Trade] = []
    while len(got) < n:
        got.extend(await stream.queue.get())
    return got


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.005)


def run(test: Callable[[], Awaitable[None]]) -> None:
    async def bounded() -> None:
        async with asyncio.timeout(20):
            await test()

    asyncio.run(bounded())


def test_client_subscribes_and_receives_every_trade_in_order() -> None:
    async def scenario() -> None:
        trades = feed(500)
        server = ReplayServer(
            trades, rate=None, trades_per_message=40, await_symbols={"AAPL", "MSFT"}
        )
        stream = client(await server.start(), ["MSFT", "AAPL"])
        async with running(server, stream):
            assert await take(stream, 500) == trades
            assert [entry[1:] for entry in server.subscription_log] == [
                ("subscribe", "AAPL"),
                ("subscribe", "MSFT"),
            ]
            assert stream.counters.trades == 500 and stream.counters.messages == 13
            assert stream.counters.malformed == stream.counters.dropped_messages == 0

    run(scenario)


def test_only_subscribed_symbols_arrive_and_unsubscribe_stops_them() -> None:
    async def scenario() -> None:
        server = ReplayServer(
            synthetic_trades(["AAPL", "BTC"], start_ms=T0, rate=5_000),
            rate=5_000,
            trades_per_message=10,
        )
        stream = client(await server.start(), ["AAPL"])
        async with running(server, stream):
            assert {t.symbol for t in await take(stream, 200)} == {"AAPL"}
            await stream.subscribe("BTC")
            await until(lambda: "BTC" in server.subscribed())
            await stream.unsubscribe("AAPL")
            await until(lambda: server.subscribed() == {"BTC"})
            await asyncio.sleep(0.05)  # messages sent before the unsubscribe may still be in flight
            while not stream.queue.empty():
                stream.queue.get_nowait()
            assert {t.symbol for t in (await take(stream, 300))[-200:]} == {"BTC"}

    run(scenario)


def test_malformed_messages_and_records_are_quarantined_and_counted() -> None:
    async def scenario() -> None:
        server = ReplayServer([], ping_interval_s=0.05)
        stream = client(await server.start(), ["AAPL"])
        async with running(server, stream):
            await stream.wait_connected(5)
            await until(lambda: bool(server.subscribed()))
            await server.send_raw("this is not json")
            await server.send_raw('{"type":"trade","data":[{"s":"AAPL","p":"?","t":1,"v":1},'
                                  '{"s":"AAPL","p":2.5,"t":5,"v":1}]}')  # fmt: skip
            await server.send_raw(error_message("Invalid symbol"))
            await server.send_raw('{"type":"news","data":[]}')
            (good,) = await take(stream, 1)
            await until(lambda: stream.counters.ignored == 1 and stream.counters.pings >= 1)
            assert good == Trade("AAPL", 2.5, 5, 1.0)
            assert stream.counters.malformed == 2
            assert stream.counters.server_errors == 1
            assert [r.reason.split(":")[0] for r in stream.quarantine] == [
                "not JSON",
                "'p' is not a number",
            ]
            assert stream.quarantine[0].excerpt == "this is not json"
            assert stream.counters.connected and stream.counters.reconnects == 0

    run(scenario)


def test_a_dropped_connection_is_reconnected_and_resubscribed() -> None:
    async def scenario() -> None:
        server = ReplayServer(
            synthetic_trades(["AAPL", "MSFT"], start_ms=T0, rate=2_000),
            rate=2_000,
            trades_per_message=20,
        )
        stream = client(await server.start(), ["AAPL", "MSFT"])
        async with running(server, stream):
            await take(stream, 100)
            assert await server.drop_connections() == 1
            await until(lambda: stream.counters.reconnects == 1 and stream.counters.connected)
            await until(lambda: server.subscribed() == {"AAPL", "MSFT"})
            assert sorted(e[1:] for e in server.subscription_log if e[0] == 2) == [
                ("subscribe", "AAPL"),
                ("subscribe", "MSFT"),
            ]
            before = stream.counters.trades
            await until(lambda: stream.counters.trades > before + 100)
            assert stream.counters.connects == 2

    run(scenario)


def test_refused_handshakes_back_off_and_then_connect() -> None:
    async def scenario() -> None:
        server = ReplayServer(feed(10), rate=None)
        server.refuse_next(3)
        stream = client(await server.start(), ["AAPL", "MSFT"])
        async with running(server, stream):
            assert len(await take(stream, 10)) == 10
            assert stream.counters.connect_failures == 3
            assert stream.counters.connects == 1

    run(scenario)


def test_a_refused_key_is_fatal_and_not_logged() -> None:
    async def scenario() -> None:
        server = ReplayServer([], token="right")
        url = await server.start()
        stream = client(f"{url}?token=wrong", ["AAPL"])
        with pytest.raises(StreamRefused, match="HTTP 401") as refused:
            await stream.run()
        assert "wrong" not in str(refused.value)
        ok = client(f"{url}?token=right", ["AAPL"])
        async with running(server, ok):
            await ok.wait_connected(5)

    run(scenario)


def test_a_full_buffer_drops_messages_and_counts_them() -> None:
    async def scenario() -> None:
        trades = feed(2_000)
        server = ReplayServer(
            trades, rate=None, trades_per_message=50, await_symbols={"AAPL", "MSFT"}
        )
        stream = client(await server.start(), ["AAPL", "MSFT"], buffer_size=3, put_timeout_s=0.001)
        async with running(server, stream):
            await server.finished.wait()
            counters = stream.counters
            # every trade message is either queued or counted as dropped, none lost silently
            await until(lambda: counters.dropped_messages + stream.queue.qsize() == 40)
            assert counters.trades == 2_000
            assert counters.dropped_messages == 40 - 3
            assert counters.dropped_trades == 2_000 - 3 * 50
            kept = [stream.queue.get_nowait() for _ in range(stream.queue.qsize())]
            assert [t for batch in kept for t in batch] == trades[:150]  # the oldest stay

    run(scenario)


def test_ten_thousand_trades_a_second_get_through() -> None:
    async def scenario() -> None:
        n, rate = 20_000, 20_000.0
        symbols = [f"S{i:02d}" for i in range(20)]
        server = ReplayServer(
            synthetic_trades(symbols, start_ms=T0, rate=rate), rate=rate, trades_per_message=100,
            await_symbols=symbols,
        )  # fmt: skip
        stream = client(await server.start(), symbols, buffer_size=1_000)
        async with running(server, stream):
            await stream.wait_connected(5)
            await take(stream, 100)
            started = time.monotonic()
            await take(stream, n)
            elapsed = time.monotonic() - started
        assert n / elapsed >= 10_000, f"{n / elapsed:.0f} trades/s"
        assert stream.counters.dropped_messages == stream.counters.malformed == 0

    run(scenario)


def test_trade_messages_from_the_server_match_finnhub_shape() -> None:
    text = trades_message([Trade("AAPL", 1.5, 7, 2.0, ("12",))])
    assert text == '{"type":"trade","data":[{"s":"AAPL","p":1.5,"t":7,"v":2.0,"c":["12"]}]}'
