"""Event-time OHLCV bars from live trades, closed by a watermark — pure, no I/O, no clock.

A bar of ``interval_s`` seconds covers ``[start, start + interval)`` in event time
(epoch milliseconds, UTC), aligned to the epoch. The watermark is the newest event
time seen minus the allowed lateness; it never goes back. A bar closes (``final``)
as soon as the watermark reaches its end, so a trade up to ``allowed_lateness_ms``
behind the newest one still lands in its bar. A trade whose bar has already closed
is counted in ``stats.late_dropped`` (per interval), never silently lost.

Open is the price of the earliest trade by event time and close the latest (ties:
the first and the last to arrive), so out-of-order arrival within the lateness
gives the same bar as ordered arrival. Sums run in arrival order: the same trades
in the same order always give identical bars, to the last bit of the VWAP.

Each trade may carry an opaque ``seq`` (its bus offset); :meth:`BarBuilder.low_water_seq`
tells the smallest one still feeding an open bar, which is where a restarted
processor must resume reading to rebuild the open bars exactly.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime

from tickerpulse.domain import Trade

DEFAULT_INTERVALS: tuple[int, ...] = (60, 300)
DEFAULT_ALLOWED_LATENESS_MS = 5_000


@dataclass(frozen=True, slots=True)
class Bar:
    """OHLCV, VWAP and trade count of one symbol over one interval.

    ``final`` is false while the bar is still open (a provisional snapshot).
    ``vwap`` is ``None`` when every trade had zero volume.
    """

    symbol: str
    interval_s: int
    start_ms: int
    open: float
    high: float
    low: float
    close: float
    volume: float
    vwap: float | None
    trades: int
    final: bool

    @property
    def end_ms(self) -> int:
        """The first millisecond after the bar."""
        return self.start_ms + self.interval_s * 1000

    @property
    def start(self) -> datetime:
        """The bar's start as an aware UTC datetime."""
        return datetime.fromtimestamp(self.start_ms / 1000, UTC)

    @property
    def key(self) -> tuple[str, int, int]:
        """The bar's identity: symbol, interval and start."""
        return (self.symbol, self.interval_s, self.start_ms)


@dataclass
class BarStats:
    """What the builder did with the trades it was given."""

    trades: int = 0
    """Valid trades added."""
    rejected: int = 0
    """Trades refused for a price or volume that is not a finite positive number."""
    out_of_order: int = 0
    """Trades older than the newest one seen that still found an open bar."""
    late_dropped: dict[int, int] = field(default_factory=dict)
    """Per interval: trades whose bar had already closed when they arrived."""


def bar_start_ms(ts_ms: int, interval_s: int) -> int:
    """The start of the ``interval_s`` bar containing the instant ``ts_ms``."""
    width = interval_s * 1000
    return ts_ms - ts_ms % width


def is_valid_trade(trade: Trade) -> bool:
    """Whether a trade can enter a bar: a finite positive price and finite volume ≥ 0."""
    return (
        math.isfinite(trade.price)
        and trade.price > 0
        and math.isfinite(trade.volume)
        and trade.volume >= 0
    )


class _OpenBar:
    """The running state of a bar that has not closed yet."""

    __slots__ = (
        "close",
        "close_ts",
        "first_seq",
        "high",
        "low",
        "notional",
        "open",
        "open_ts",
        "trades",
        "volume",
    )

    def __init__(self, trade: Trade, seq: int | None) -> None:
        self.open = self.high = self.low = self.close = trade.price
        self.open_ts = self.close_ts = trade.ts_ms
        self.volume = trade.volume
        self.notional = trade.price * trade.volume
        self.trades = 1
        self.first_seq = seq

    def add(self, trade: Trade, seq: int | None) -> None:
        price = trade.price
        if trade.ts_ms < self.open_ts:
            self.open, self.open_ts = price, trade.ts_ms
        if trade.ts_ms >= self.close_ts:
            self.close, self.close_ts = price, trade.ts_ms
        if price > self.high:
            self.high = price
        if price < self.low:
            self.low = price
        self.volume += trade.volume
        self.notional += price * trade.volume
        self.trades += 1
        if seq is not None and (self.first_seq is None or seq < self.first_seq):
            self.first_seq = seq

    def snapshot(self, symbol: str, interval_s: int, start_ms: int, *, final: bool) -> Bar:
        vwap = self.notional / self.volume if self.volume > 0 else None
        return Bar(
            symbol=symbol, interval_s=interval_s, start_ms=start_ms,
            open=self.open, high=self.high, low=self.low, close=self.close,
            volume=self.volume, vwap=vwap, trades=self.trades, final=final,
        )  # fmt: skip


def _close_order(bar: Bar) -> tuple[int, int, str]:
    return (bar.end_ms, bar.interval_s, bar.symbol)


class BarBuilder:
    """Builds bars for several intervals at once from one ordered stream of trades."""

    def __init__(
        self,
        intervals: tuple[int, ...] = DEFAULT_INTERVALS,
        allowed_lateness_ms: int = DEFAULT_ALLOWED_LATENESS_MS,
        *,
        watermark_ms: int | None = None,
    ) -> None:
        """Start empty, or from ``watermark_ms`` when resuming a stream already read.

        Raises:
            ValueError: When an interval is not a positive whole number of seconds,
                intervals repeat, or the lateness is negative.
        """
        if not intervals or any(i <= 0 for i in intervals) or len(set(intervals)) != len(intervals):
            raise ValueError(f"intervals must be distinct positive seconds, got {intervals!r}")
        if allowed_lateness_ms < 0:
            raise ValueError(f"allowed_lateness_ms must be ≥ 0, got {allowed_lateness_ms}")
        self.intervals = tuple(sorted(intervals))
        self.allowed_lateness_ms = allowed_lateness_ms
        self.stats = BarStats(late_dropped=dict.fromkeys(self.intervals, 0))
        self._watermark = watermark_ms
        self._newest: int | None = None
        # per interval: bar start → symbol → open bar, and a heap of the starts
        self._open: dict[int, dict[int, dict[str, _OpenBar]]] = {i: {} for i in self.intervals}
        self._starts: dict[int, list[int]] = {i: [] for i in self.intervals}
        self._touched: set[tuple[int, int, str]] = set()
        self._next_end: float = math.inf
        """The earliest end of an open bar: the watermark closes nothing before it."""

    @property
    def watermark_ms(self) -> int | None:
        """Bars ending at or before this instant are closed; ``None`` before any trade."""
        return self._watermark

    def add(self, trade: Trade, seq: int | None = None) -> list[Bar]:
        """Add one trade; return the bars its watermark advance closed, in closing order."""
        # called once per trade: the checks of is_valid_trade and bar_start_ms are inlined
        price, volume = trade.price, trade.volume
        if not (0 < price < math.inf and 0 <= volume < math.inf):
            self.stats.rejected += 1
            return []
        self.stats.trades += 1
        ts, symbol, watermark = trade.ts_ms, trade.symbol, self._watermark
        touched = self._touched
        accepted = False
        for interval in self.intervals:
            width = interval * 1000
            start = ts - ts % width
            if watermark is not None and start + width <= watermark:
                self.stats.late_dropped[interval] += 1
                continue
            accepted = True
            by_start = self._open[interval]
            by_symbol = by_start.get(start)
            if by_symbol is None:
                by_symbol = by_start[start] = {}
                heapq.heappush(self._starts[interval], start)
                if start + width < self._next_end:
                    self._next_end = start + width
            bar = by_symbol.get(symbol)
            if bar is None:
                by_symbol[symbol] = _OpenBar(trade, seq)
            else:
                bar.add(trade, seq)
            touched.add((interval, start, symbol))
        newest = self._newest
        if newest is not None and ts < newest and accepted:
            self.stats.out_of_order += 1
        if newest is None or ts > newest:
            self._newest = ts
        candidate = ts - self.allowed_lateness_ms
        if watermark is None or candidate > watermark:
            self._watermark = candidate
            if candidate >= self._next_end:
                return self._close_until(candidate)
        return []

    def updated(self) -> list[Bar]:
        """Provisional snapshots of the open bars changed since the last call."""
        touched, self._touched = self._touched, set()
        snapshots = []
        for interval, start, symbol in sorted(touched, key=lambda k: (k[1], k[0], k[2])):
            bar = self._open[interval].get(start, {}).get(symbol)
            if bar is not None:
                snapshots.append(bar.snapshot(symbol, interval, start, final=False))
        return snapshots

    def open_bars(self) -> list[Bar]:
        """Provisional snapshots of every open bar, in closing order."""
        bars = [
            bar.snapshot(symbol, interval, start, final=False)
            for interval, starts in self._open.items()
            for start, by_symbol in starts.items()
            for symbol, bar in by_symbol.items()
        ]
        return sorted(bars, key=_close_order)

    def low_water_seq(self) -> int | None:
        """The smallest ``seq`` still feeding an open bar; ``None`` when no open bar has one."""
        seqs = [
            bar.first_seq
            for starts in self._open.values()
            for by_symbol in starts.values()
            for bar in by_symbol.values()
            if bar.first_seq is not None
        ]
        return min(seqs) if seqs else None

    def flush(self) -> list[Bar]:
        """Close every open bar (end of stream); later trades for them count as late."""
        ends = [start + i * 1000 for i, starts in self._open.items() for start in starts]
        if not ends:
            return []
        horizon = max(ends)
        if self._watermark is None or horizon > self._watermark:
            self._watermark = horizon
        return self._close_until(horizon)

    def _close_until(self, watermark: int) -> list[Bar]:
        closed: list[Bar] = []
        for interval in self.intervals:
            width = interval * 1000
            starts, open_bars = self._starts[interval], self._open[interval]
            while starts and starts[0] + width <= watermark:
                start = heapq.heappop(starts)
                for symbol, bar in open_bars.pop(start).items():
                    closed.append(bar.snapshot(symbol, interval, start, final=True))
                    self._touched.discard((interval, start, symbol))
        self._next_end = min(
            (starts[0] + i * 1000 for i, starts in self._starts.items() if starts), default=math.inf
        )
        closed.sort(key=_close_order)
        return closed
