"""One Postgres ``LISTEN`` for the whole web process, fanned out to every live-page client.

The stream processor sends ``NOTIFY`` on ``live_bar`` and ``live_prediction`` with JSON. A
:class:`LiveHub` holds ONE async psycopg connection listening on both channels,
started by the first subscriber, and hands each notification to every
:class:`Subscriber`'s bounded queue — never one database connection per client.

A subscriber that falls ``queue_size`` messages behind is ended rather than fed
a stream with holes; so is everyone when the listening connection drops (the
notifications sent meanwhile are lost). Either way the browser's EventSource
reconnects and starts again from a fresh snapshot. The hub itself reconnects
after a pause.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import orjson
import psycopg
import structlog
from psycopg import sql
from sqlalchemy import Engine

from tickerpulse.streaming.predictions import LIVE_PREDICTION_CHANNEL
from tickerpulse.streaming.processor import LIVE_BAR_CHANNEL

log = structlog.get_logger(__name__)

CHANNELS = (LIVE_BAR_CHANNEL, LIVE_PREDICTION_CHANNEL)


@dataclass(frozen=True, slots=True)
class Notice:
    """One notification, with the fields clients filter on read once."""

    channel: str
    symbol: str
    interval_s: int
    payload: str


@dataclass(eq=False)
class Subscriber:
    """One client's queue of notices; ``None`` in it (or ``ended``) means: stop."""

    queue: asyncio.Queue[Notice | None]
    ended: bool = False
    reason: str = ""

    def end(self, reason: str) -> None:
        """Stop this subscriber at once: what it had not read yet is dropped."""
        self.ended, self.reason = True, reason
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(None)


@dataclass
class HubStats:
    """What the hub has done since it started."""

    notices: int = 0
    deliveries: int = 0
    lagging_ended: int = 0
    """Subscribers ended for falling too far behind."""
    reconnects: int = 0
    malformed: int = 0
    subscribers_peak: int = 0
    listening: bool = False
    errors: list[str] = field(default_factory=list)


def conninfo_of(engine: Engine) -> str:
    """A libpq URI for psycopg from a SQLAlchemy engine (password kept, driver dropped)."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def parse_notice(channel: str, payload: str) -> Notice:
    """Read the symbol and interval of a ``live_bar``/``live_prediction`` payload.

    Raises:
        ValueError: When the payload is not the JSON the processor sends.
    """
    try:
        body = orjson.loads(payload)
        return Notice(channel, str(body["symbol"]), int(body["interval_s"]), payload)
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"not a live notification: {exc}") from None


class LiveHub:
    """Listens on the live channels with one connection and fans out to subscribers."""

    def __init__(self, conninfo: str, *, queue_size: int = 2_000, retry_s: float = 1.0) -> None:
        """Prepare a hub; nothing connects until the first :meth:`subscribe`."""
        self.conninfo = conninfo
        self.queue_size = queue_size
        self.retry_s = retry_s
        self.stats = HubStats()
        self._subscribers: set[Subscriber] = set()
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._listening: asyncio.Event | None = None

    @property
    def subscribers(self) -> int:
        """How many clients are subscribed now."""
        return len(self._subscribers)

    @asynccontextmanager
    async def subscribe(self) -> AsyncIterator[Subscriber]:
        """A subscriber for the duration of the block (the listener starts if needed)."""
        self._ensure_running()
        subscriber = Subscriber(asyncio.Queue(maxsize=self.queue_size + 1))
        self._subscribers.add(subscriber)
        self.stats.subscribers_peak = max(self.stats.subscribers_peak, len(self._subscribers))
        try:
            yield subscriber
        finally:
            self._subscribers.discard(subscriber)

    async def wait_listening(self, timeout_s: float) -> bool:
        """Wait until the hub's LISTEN is in place; False when it is not within ``timeout_s``."""
        self._ensure_running()
        assert self._listening is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._listening.wait(), timeout_s)
        return self._listening.is_set()

    async def stop(self) -> None:
        """End every subscriber and close the listening connection."""
        for subscriber in list(self._subscribers):
            subscriber.end("server stopping")
        task, self._task = self._task, None
        if task is not None and not task.done() and self._loop is asyncio.get_running_loop():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _ensure_running(self) -> None:
        loop = asyncio.get_running_loop()
        if self._task is not None and not self._task.done() and self._loop is loop:
            return
        self._loop = loop
        self._listening = asyncio.Event()
        self._task = loop.create_task(self._run(), name="live-hub")

    async def _run(self) -> None:
        assert self._listening is not None
        while True:
            try:
                await self._listen(self._listening)
            except (psycopg.Error, OSError) as exc:
                self.stats.errors = [*self.stats.errors[-9:], repr(exc)]
                log.warning("live listener lost its connection", error=repr(exc))
            self._listening.clear()
            self.stats.listening = False
            for subscriber in list(self._subscribers):
                subscriber.end("listener reconnecting")
            self.stats.reconnects += 1
            await asyncio.sleep(self.retry_s)

    async def _listen(self, listening: asyncio.Event) -> None:
        async with await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True) as conn:
            for channel in CHANNELS:
                await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
            listening.set()
            self.stats.listening = True
            log.info("live listener ready", channels=list(CHANNELS))
            async for note in conn.notifies():
                self._fan_out(note.channel, note.payload)

    def _fan_out(self, channel: str, payload: str) -> None:
        try:
            notice = parse_notice(channel, payload)
        except ValueError:
            self.stats.malformed += 1
            return
        self.stats.notices += 1
        for subscriber in list(self._subscribers):
            if subscriber.ended:
                continue
            if subscriber.queue.qsize() >= self.queue_size:
                self.stats.lagging_ended += 1
                subscriber.end("client too slow")
                continue
            subscriber.queue.put_nowait(notice)
            self.stats.deliveries += 1
