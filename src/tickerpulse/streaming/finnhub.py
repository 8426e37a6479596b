"""TradingStreaming: the Finnhub trades websocket client, and the pump onto the bus.

The client connects to ``wss://ws.finnhub.io?token=<key>`` (or the local replay
server), subscribes to each symbol, and turns every trade message into a list of
:class:`~tickerpulse.domain.Trade` put on a bounded :class:`asyncio.Queue`.

Errors are classified once:

* retriable — refused or lost connections, handshake failures other than 401/403,
  a connection silent for longer than ``idle_timeout_s``: reconnect after an
  exponential back-off with jitter, capped, and subscribe again to every symbol;
* fatal — the server refuses the key (HTTP 401/403): :class:`StreamRefused`;
* skippable — a message or trade record that does not parse: quarantined (the
  last ``quarantine_size`` kept with the reason) and counted as ``malformed``.

Back-pressure: when the queue is full the reader waits up to ``put_timeout_s``
for room (and, not reading, lets TCP slow the server down); after that the
message is dropped and counted in ``dropped_messages``/``dropped_trades``. The
token travels only in the URL the socket opens; logs show it redacted.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
from collections import deque
from collections.abc import Iterable
from dataclasses import asdict, dataclass

import structlog
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from tickerpulse.domain import Trade
from tickerpulse.streaming.bus import TRADES_TOPIC, Bus
from tickerpulse.streaming.stages import StageClock
from tickerpulse.streaming.wire import (
    MalformedMessage,
    Reject,
    excerpt,
    parse_server_message,
    subscription_message,
)

log = structlog.get_logger(__name__)

FINNHUB_WS_URL = "wss://ws.finnhub.io"


class StreamRefused(RuntimeError):
    """The server refused the credentials: retrying would not help."""


@dataclass
class StreamCounters:
    """What the client has seen since it started, for metrics and health."""

    messages: int = 0
    trades: int = 0
    pings: int = 0
    malformed: int = 0
    """Messages that did not parse, plus single trade records that did not."""
    server_errors: int = 0
    ignored: int = 0
    """Well-formed messages of other types (news, …)."""
    dropped_messages: int = 0
    """Trade messages dropped because the buffer stayed full."""
    dropped_trades: int = 0
    connects: int = 0
    reconnects: int = 0
    connect_failures: int = 0
    connected: bool = False

    def as_dict(self) -> dict[str, int | bool]:
        """The counters as a plain dict."""
        return asdict(self)


@dataclass(frozen=True)
class Backoff:
    """Exponential back-off with jitter: attempt n waits ~``base_s * factor**n``, capped."""

    base_s: float = 0.5
    factor: float = 2.0
    cap_s: float = 30.0
    jitter: float = 0.5
    """Up to this fraction of each delay is taken off at random, so clients spread out."""

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Seconds to wait before reconnect attempt ``attempt`` (0 is the first)."""
        ceiling = min(self.cap_s, self.base_s * self.factor ** min(attempt, 64))
        return ceiling * (1.0 - self.jitter * rng.random())


def redact(url: str) -> str:
    """``url`` with its token hidden, for logs."""
    return re.sub(r"(token=)[^&]*", r"\1***", url)


class TradingStreaming:
    """A reconnecting Finnhub trades client feeding a bounded queue of trade lists."""

    def __init__(
        self,
        url: str,
        symbols: Iterable[str] = (),
        *,
        buffer_size: int = 10_000,
        put_timeout_s: float = 0.5,
        backoff: Backoff | None = None,
        idle_timeout_s: float | None = None,
        open_timeout_s: float = 10.0,
        quarantine_size: int = 100,
        rng: random.Random | None = None,
    ) -> None:
        """Prepare a client; nothing connects until :meth:`run`.

        Args:
            url: The websocket URL, token included (``wss://ws.finnhub.io?token=…``).
            symbols: Symbols to subscribe to on every connection.
            buffer_size: Most trade messages the queue holds.
            put_timeout_s: How long a full queue may hold the reader before a drop.
            backoff: Reconnect delays.
            idle_timeout_s: Reconnect when nothing arrives for this long (``None``: never).
            open_timeout_s: Longest wait for the websocket handshake.
            quarantine_size: Rejected messages kept for inspection.
            rng: Source of the jitter (seed it for reproducible delays).
        """
        self.url = url
        self.queue: asyncio.Queue[list[Trade]] = asyncio.Queue(maxsize=buffer_size)
        self.counters = StreamCounters()
        self.quarantine: deque[Reject] = deque(maxlen=quarantine_size)
        self.clock = StageClock()
        """Time spent decoding messages (``decode``) and publishing them (``publish``)."""
        self.put_timeout_s = put_timeout_s
        self.backoff = backoff or Backoff()
        self.idle_timeout_s = idle_timeout_s
        self.open_timeout_s = open_timeout_s
        self._symbols: set[str] = set(symbols)
        self._rng = rng or random.Random()
        self._ws: ClientConnection | None = None
        self._stop = asyncio.Event()
        self._connected = asyncio.Event()
        self._closing: asyncio.Future[None] | None = None

    @property
    def symbols(self) -> list[str]:
        """The symbols subscribed to, sorted."""
        return sorted(self._symbols)

    async def subscribe(self, symbol: str) -> None:
        """Subscribe to ``symbol`` now if connected, and on every later connection."""
        self._symbols.add(symbol)
        await self._send(subscription_message("subscribe", symbol))

    async def unsubscribe(self, symbol: str) -> None:
        """Stop receiving ``symbol``."""
        self._symbols.discard(symbol)
        await self._send(subscription_message("unsubscribe", symbol))

    async def wait_connected(self, timeout: float) -> None:
        """Wait until a connection is open and subscribed.

        Raises:
            TimeoutError: When none is within ``timeout`` seconds.
        """
        await asyncio.wait_for(self._connected.wait(), timeout)

    def stop(self) -> None:
        """Ask :meth:`run` to close the connection and return."""
        self._stop.set()
        if self._ws is not None:
            self._closing = asyncio.ensure_future(self._ws.close())

    async def run(self) -> None:
        """Connect, read and reconnect until :meth:`stop`.

        Raises:
            StreamRefused: When the server refuses the key.
        """
        attempt = 0
        while not self._stop.is_set():
            try:
                async with connect(self.url, open_timeout=self.open_timeout_s) as ws:
                    attempt = await self._serve(ws, attempt)
            except InvalidStatus as exc:
                status = exc.response.status_code
                if status in {401, 403}:
                    raise StreamRefused(
                        f"{redact(self.url)} refused the connection (HTTP {status}):"
                        " check FINNHUB_API_KEY"
                    ) from None
                self._failed(exc)
            except (OSError, TimeoutError, InvalidHandshake, ConnectionClosed) as exc:
                self._failed(exc)
            finally:
                self._ws = None
                self.counters.connected = False
                self._connected.clear()
            if self._stop.is_set():
                break
            delay = self.backoff.delay(attempt, self._rng)
            attempt += 1
            log.info("stream reconnecting", url=redact(self.url), delay_s=round(delay, 3))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), delay)

    async def _serve(self, ws: ClientConnection, attempt: int) -> int:
        """Subscribe and read one connection; return the back-off attempt to go on with."""
        self._ws = ws
        self.counters.connects += 1
        if self.counters.connects > 1:
            self.counters.reconnects += 1
        for symbol in self.symbols:
            await ws.send(subscription_message("subscribe", symbol))
        self.counters.connected = True
        self._connected.set()
        log.info("stream connected", url=redact(self.url), symbols=len(self._symbols))
        while not self._stop.is_set():
            try:
                async with asyncio.timeout(self.idle_timeout_s):
                    raw = await ws.recv()
            except TimeoutError:
                log.warning("stream silent, reconnecting", idle_timeout_s=self.idle_timeout_s)
                return attempt
            attempt = 0  # a message arrived: the connection works, restart the back-off
            await self._handle(raw)
        return attempt

    async def _handle(self, raw: str | bytes) -> None:
        self.counters.messages += 1
        try:
            with self.clock.timing("decode") as timed:
                message = parse_server_message(raw)
                timed.items += len(message.trades)
        except MalformedMessage as exc:
            self._reject(Reject(str(exc), excerpt(raw)))
            return
        for reject in message.rejects:
            self._reject(reject)
        if message.type == "ping":
            self.counters.pings += 1
        elif message.type == "error":
            self.counters.server_errors += 1
            log.warning("stream server error", error=message.error)
        elif message.type != "trade":
            self.counters.ignored += 1
        elif message.trades:
            self.counters.trades += len(message.trades)
            await self._enqueue(message.trades)

    async def _enqueue(self, trades: list[Trade]) -> None:
        try:
            self.queue.put_nowait(trades)
            return
        except asyncio.QueueFull:
            pass
        try:
            await asyncio.wait_for(self.queue.put(trades), self.put_timeout_s)
        except TimeoutError:
            self.counters.dropped_messages += 1
            self.counters.dropped_trades += len(trades)
            if _power_of_two(self.counters.dropped_messages):  # loud, without a log flood
                log.warning("stream buffer full, messages dropped", **self.counters.as_dict())

    def _reject(self, reject: Reject) -> None:
        self.counters.malformed += 1
        self.quarantine.append(reject)
        if _power_of_two(self.counters.malformed):
            log.warning(
                "stream message quarantined", reason=reject.reason, total=self.counters.malformed
            )

    def _failed(self, exc: BaseException) -> None:
        if self._stop.is_set():
            return  # closed on purpose
        if not self.counters.connected:
            self.counters.connect_failures += 1
        log.warning("stream connection lost", url=redact(self.url), error=repr(exc))

    async def _send(self, text: str) -> None:
        ws = self._ws
        if ws is None:
            return  # sent on the next connection
        with contextlib.suppress(ConnectionClosed):  # the reader reconnects and re-sends the set
            await ws.send(text)


def _power_of_two(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


async def forward_trades(
    queue: asyncio.Queue[list[Trade]],
    bus: Bus,
    topic: str = TRADES_TOPIC,
    clock: StageClock | None = None,
) -> None:
    """Publish every trade from ``queue`` onto ``bus``, keyed by symbol, until cancelled.

    Publishing returns at once unless the bus is full (Kafka's local queue); then it
    waits, this pump stalls, and the client's bounded buffer — with its drop
    counter — takes the strain. ``clock`` (when given) times it as ``publish``.
    """
    clock = clock or StageClock()
    while True:
        trades = await queue.get()
        with clock.timing("publish", len(trades)):
            bus.publish_trades(topic, trades)
        queue.task_done()
