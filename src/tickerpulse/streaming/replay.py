"""A local websocket server speaking Finnhub's trades format, for the demo and tests.

It accepts ``subscribe``/``unsubscribe`` messages, answers bad ones with an
``error`` message as Finnhub does, pings every ``ping_interval_s``, and sends the
trades of one shared feed — a given list, replayed in order, the endless
:func:`synthetic_trades`, or the simulated world's
:func:`~tickerpulse.streaming.world.world_trades` — to every connection subscribed to their symbol,
``trades_per_message`` at a time, at ``rate`` trades per second (``None``: as
fast as the sockets take them).

The feed waits while nobody is subscribed (or, with ``await_symbols``, until
those symbols all are), so a replay is not lost to a client still connecting or
reconnecting. For reliability tests it can drop every connection, refuse the next
handshakes, or send any raw text.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import random
import time
from collections.abc import Iterable, Iterator
from urllib.parse import parse_qs, urlsplit

import structlog
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from tickerpulse.domain import Trade
from tickerpulse.streaming.wire import (
    PING_MESSAGE,
    MalformedMessage,
    error_message,
    parse_client_message,
    trades_message,
)

log = structlog.get_logger(__name__)


def synthetic_trades(
    symbols: Iterable[str], *, start_ms: int, rate: float, seed: int = 7
) -> Iterator[Trade]:
    """An endless seeded random walk of trades over ``symbols``, ``rate`` per event-time second."""
    names = sorted(symbols)
    if not names or rate <= 0:
        raise ValueError("synthetic trades need symbols and a positive rate")
    rng = random.Random(seed)
    prices = {s: 20.0 + 480.0 * rng.random() for s in names}
    for n in itertools.count():
        symbol = names[rng.randrange(len(names))]
        prices[symbol] *= math.exp(rng.gauss(0.0, 0.0005))
        yield Trade(
            symbol=symbol,
            price=round(prices[symbol], 4),
            ts_ms=start_ms + int(n * 1000 / rate),
            volume=float(rng.randint(1, 500)),
            conditions=("1",) if rng.random() < 0.1 else (),
        )


class ReplayServer:
    """Serve a feed of trades in Finnhub's format on a local port."""

    def __init__(
        self,
        feed: Iterable[Trade | None],
        *,
        rate: float | None = 1_000.0,
        trades_per_message: int = 50,
        ping_interval_s: float = 10.0,
        token: str | None = None,
        await_symbols: Iterable[str] | None = None,
    ) -> None:
        """Prepare a server for ``feed``; :meth:`start` opens the port.

        Args:
            feed: Trades to send, in order (finite or endless); a ``None`` is a tick
                without a trade (every market closed), which still takes its time.
            rate: Trades per second of wall time; ``None`` sends as fast as possible.
            trades_per_message: Most trades in one message.
            ping_interval_s: Seconds between ``{"type": "ping"}`` messages.
            token: When set, handshakes without ``?token=<token>`` get HTTP 401.
            await_symbols: Hold the feed until all these symbols are subscribed.
        """
        self.rate = rate
        self.trades_per_message = trades_per_message
        self.ping_interval_s = ping_interval_s
        self.token = token
        self.await_symbols = set(await_symbols or ())
        self.sent_trades = 0
        self.sent_messages = 0
        self.connections_served = 0
        self.subscription_log: list[tuple[int, str, str]] = []
        """(connection number, action, symbol) in the order received."""
        self.finished = asyncio.Event()
        """Set once a finite feed has been sent in full."""
        self._feed = iter(feed)
        self._connections: dict[ServerConnection, set[str]] = {}
        self._changed = asyncio.Condition()
        self._refuse = 0
        self._server: Server | None = None
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def url(self) -> str:
        """The ``ws://`` URL to connect to (token not included)."""
        if self._server is None:
            raise RuntimeError("the replay server is not started")
        host, port = self._server.sockets[0].getsockname()[:2]
        return f"ws://{host}:{port}"

    def subscribed(self) -> set[str]:
        """Symbols some open connection is subscribed to."""
        return set().union(*self._connections.values())

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Open the port (0: any free one) and start sending; return the URL."""
        self._server = await serve(self._handle, host, port, process_request=self._check)
        self._tasks = [
            asyncio.create_task(self._broadcast(), name="replay-broadcast"),
            asyncio.create_task(self._ping(), name="replay-ping"),
        ]
        log.info("replay server listening", url=self.url)
        return self.url

    async def stop(self) -> None:
        """Stop sending and close every connection."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def drop_connections(self) -> int:
        """Cut every open connection without a closing handshake; return how many."""
        connections = list(self._connections)
        for ws in connections:
            ws.transport.abort()
        return len(connections)

    def refuse_next(self, handshakes: int) -> None:
        """Answer the next ``handshakes`` connection attempts with HTTP 503."""
        self._refuse += handshakes

    async def send_raw(self, text: str) -> None:
        """Send ``text`` as is to every open connection (malformed input for tests)."""
        for ws in list(self._connections):
            try:
                await ws.send(text)
            except ConnectionClosed:
                continue

    def _check(self, connection: ServerConnection, request: Request) -> Response | None:
        if self._refuse > 0:
            self._refuse -= 1
            return connection.respond(503, "Try again later\n")
        if self.token is not None:
            given = parse_qs(urlsplit(request.path).query).get("token", [""])[0]
            if given != self.token:
                return connection.respond(401, "Invalid API key\n")
        return None

    async def _handle(self, ws: ServerConnection) -> None:
        self.connections_served += 1
        number = self.connections_served
        subscriptions: set[str] = set()
        self._connections[ws] = subscriptions
        try:
            async for raw in ws:
                try:
                    action, symbol = parse_client_message(raw)
                except MalformedMessage as exc:
                    await ws.send(error_message(str(exc)))
                    continue
                if action == "subscribe":
                    subscriptions.add(symbol)
                else:
                    subscriptions.discard(symbol)
                self.subscription_log.append((number, action, symbol))
                async with self._changed:
                    self._changed.notify_all()
        except ConnectionClosed:
            pass
        finally:
            del self._connections[ws]

    def _ready(self) -> bool:
        subscribed = self.subscribed()
        return self.await_symbols <= subscribed if self.await_symbols else bool(subscribed)

    async def _broadcast(self) -> None:
        started, sent = time.monotonic(), 0
        while True:
            ticks = list(itertools.islice(self._feed, self.trades_per_message))
            batch = [t for t in ticks if t is not None]
            if not ticks:
                self.finished.set()
                return
            if not self._ready():
                async with self._changed:
                    await self._changed.wait_for(self._ready)
                started, sent = time.monotonic(), 0  # pace from here, no burst to catch up
            for ws, symbols in list(self._connections.items()):
                mine = [t for t in batch if t.symbol in symbols]
                if not mine:
                    continue
                try:
                    await ws.send(trades_message(mine))
                except ConnectionClosed:
                    continue
                self.sent_trades += len(mine)
                self.sent_messages += 1
            sent += len(ticks)
            if self.rate is None:
                await asyncio.sleep(0)
            else:
                ahead = started + sent / self.rate - time.monotonic()
                await asyncio.sleep(max(ahead, 0.0))

    async def _ping(self) -> None:
        while True:
            await asyncio.sleep(self.ping_interval_s)
            await self.send_raw(PING_MESSAGE)
