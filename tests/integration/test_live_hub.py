"""The web process's one LISTEN connection: fan-out, slow clients, a dropped connection."""

import asyncio

import orjson
import psycopg
from sqlalchemy import Engine

from tickerpulse.web.live_hub import LiveHub, Notice, conninfo_of


def notify(conninfo: str, n: int, symbol: str = "AAPL", channel: str = "live_bar") -> None:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for i in range(n):
            payload = orjson.dumps({"symbol": symbol, "interval_s": 60, "i": i}).decode()
            conn.execute("SELECT pg_notify(%s, %s)", (channel, payload))


def hub_backends(conninfo: str) -> int:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'LISTEN%%'"
            " AND pid <> pg_backend_pid()"
        ).fetchone()
        return int(row[0]) if row else 0


async def take(queue: asyncio.Queue[Notice | None], n: int) -> list[Notice | None]:
    return [await asyncio.wait_for(queue.get(), 5) for _ in range(n)]


def test_every_subscriber_gets_every_notice_over_one_connection(engine: Engine) -> None:
    conninfo = conninfo_of(engine)

    async def scenario() -> None:
        hub = LiveHub(conninfo)
        async with hub.subscribe() as one, hub.subscribe() as two, hub.subscribe() as three:
            assert await hub.wait_listening(10)
            assert await asyncio.to_thread(hub_backends, conninfo) == 1
            await asyncio.to_thread(notify, conninfo, 3)
            await asyncio.to_thread(notify, conninfo, 1, "MSFT", "live_prediction")
            for subscriber in (one, two, three):
                got = await take(subscriber.queue, 4)
                assert [(n.channel, n.symbol) for n in got if n] == [
                    ("live_bar", "AAPL"), ("live_bar", "AAPL"), ("live_bar", "AAPL"),
                    ("live_prediction", "MSFT"),
                ]  # fmt: skip
        assert hub.subscribers == 0 and hub.stats.deliveries == 12
        await hub.stop()

    asyncio.run(scenario())


def test_a_client_too_far_behind_is_ended_and_the_others_go_on(engine: Engine) -> None:
    conninfo = conninfo_of(engine)

    async def scenario() -> None:
        hub = LiveHub(conninfo, queue_size=5)
        async with hub.subscribe() as slow, hub.subscribe() as keen:
            assert await hub.wait_listening(10)
            await asyncio.to_thread(notify, conninfo, 4)
            assert len(await take(keen.queue, 4)) == 4
            await asyncio.to_thread(notify, conninfo, 4)  # slow now has 8 > 5 waiting
            assert len(await take(keen.queue, 4)) == 4
            assert slow.ended and slow.reason == "client too slow"
            assert await slow.queue.get() is None and slow.queue.empty()
            assert not keen.ended and hub.stats.lagging_ended == 1
        await hub.stop()

    asyncio.run(scenario())


def test_a_dropped_listener_ends_its_clients_and_reconnects(engine: Engine) -> None:
    conninfo = conninfo_of(engine)

    async def scenario() -> None:
        hub = LiveHub(conninfo, retry_s=0.1)
        async with hub.subscribe() as before:
            assert await hub.wait_listening(10)
            await asyncio.to_thread(_terminate_listener, conninfo)
            assert await asyncio.wait_for(before.queue.get(), 10) is None
            assert before.reason == "listener reconnecting"
        async with hub.subscribe() as after:
            for _ in range(100):
                if hub.stats.listening:
                    break
                await asyncio.sleep(0.1)
            await asyncio.to_thread(notify, conninfo, 1)
            (notice,) = await take(after.queue, 1)
            assert notice is not None and notice.symbol == "AAPL"
        assert hub.stats.reconnects == 1
        await hub.stop()

    asyncio.run(scenario())


def _terminate_listener(conninfo: str) -> None:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN%%'"
            " AND pid <> pg_backend_pid()"
        )


def test_malformed_notifications_are_counted_not_relayed(engine: Engine) -> None:
    conninfo = conninfo_of(engine)

    async def scenario() -> None:
        hub = LiveHub(conninfo)
        async with hub.subscribe() as subscriber:
            assert await hub.wait_listening(10)
            with psycopg.connect(conninfo, autocommit=True) as conn:
                conn.execute("SELECT pg_notify('live_bar', 'not json')")
            await asyncio.to_thread(notify, conninfo, 1)
            (notice,) = await take(subscriber.queue, 1)
            assert notice is not None and hub.stats.malformed == 1
        await hub.stop()

    asyncio.run(scenario())
