"""The stream processor: trades off the bus → event-time bars → Postgres ``live_bar`` and the lake.

One batch at a time: poll the bus, feed each partition's :class:`BarBuilder`, then
in ONE transaction upsert the bars that closed and the open bars that changed and
``NOTIFY live_bar`` with each as JSON (listeners see them on commit); then write
the closed bars as Parquet under ``live/bars/date=<d>/``; only then commit the bus
positions. A crash anywhere before the commit replays the batch, and every write
is an idempotent upsert or a whole-file rewrite of the same content, so nothing is
lost or doubled.

Resuming exactly. A partition's committed offset is not the last message read
but the oldest one still feeding an open bar (:meth:`BarBuilder.low_water_seq`);
the note committed with it (:class:`Checkpoint`) holds the next unread offset and
the watermark. A restarted processor seeds its builder with that watermark and
re-reads from the committed offset: trades of bars already closed fall behind the
watermark and are skipped, the open bars are rebuilt from the same trades in the
same order, so the bars that follow are identical to an uninterrupted run's. Bars
are per partition (Kafka keeps order only within one), so how partitions
interleave never changes a bar.

A provisional row never overwrites a final one; lake parts are named by
partition, interval and bar start, so a replay rewrites a part, never adds one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import orjson
import pyarrow as pa
import structlog
from sqlalchemy import Connection, Engine, func, or_, text
from sqlalchemy.dialects.postgresql import insert

from tickerpulse.db.models import LiveBar
from tickerpulse.domain import Trade
from tickerpulse.lake.layout import LakeLayout
from tickerpulse.lake.store import Lake
from tickerpulse.streaming.bars import (
    DEFAULT_ALLOWED_LATENESS_MS,
    DEFAULT_INTERVALS,
    Bar,
    BarBuilder,
    BarStats,
)
from tickerpulse.streaming.bus import Consumer, Message, Position
from tickerpulse.streaming.stages import StageClock
from tickerpulse.streaming.wire import MalformedMessage, decode_trade, excerpt

log = structlog.get_logger(__name__)

LIVE_BAR_CHANNEL = "live_bar"
DEFAULT_GROUP = "live-bars"

LIVE_BAR_SCHEMA = pa.schema(
    [
        ("symbol", pa.string()),
        ("interval_s", pa.int32()),
        ("bar_start", pa.timestamp("ms", tz="UTC")),
        ("open", pa.float64()),
        ("high", pa.float64()),
        ("low", pa.float64()),
        ("close", pa.float64()),
        ("volume", pa.float64()),
        ("vwap", pa.float64()),
        ("trades", pa.int64()),
    ]
)


@dataclass(frozen=True)
class Checkpoint:
    """The note committed with a partition's offset: how far it was read, and its watermark."""

    next_offset: int
    watermark_ms: int | None

    def encode(self) -> str:
        """The note as short JSON (Kafka keeps up to 4 KiB)."""
        return orjson.dumps({"next": self.next_offset, "wm": self.watermark_ms}).decode()

    @classmethod
    def decode(cls, note: str) -> Checkpoint | None:
        """The checkpoint in a note, or ``None`` when there is none."""
        try:
            body = orjson.loads(note)
            return cls(int(body["next"]), None if body["wm"] is None else int(body["wm"]))
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            return None


@dataclass
class ProcessorStats:
    """What the processor has done since it started."""

    messages: int = 0
    replayed: int = 0
    """Messages re-read after a restart to rebuild the open bars."""
    malformed: int = 0
    bars_closed: int = 0
    bars_updated: int = 0
    batches: int = 0
    quarantine: list[str] = field(default_factory=list)
    """Excerpts of the last malformed messages."""


@dataclass
class _Partition:
    builder: BarBuilder
    next_offset: int
    replay_until: int
    """Offsets below this were processed before a restart: re-read only to rebuild."""

    @property
    def replaying(self) -> bool:
        return self.next_offset < self.replay_until


class BarProcessor:
    """Turns the trades of one bus topic into live bars, exactly once in effect."""

    def __init__(
        self,
        consumer: Consumer,
        engine: Engine,
        lake: Lake | None = None,
        *,
        intervals: tuple[int, ...] = DEFAULT_INTERVALS,
        allowed_lateness_ms: int = DEFAULT_ALLOWED_LATENESS_MS,
        batch_size: int = 20_000,
        poll_timeout_s: float = 0.2,
        layout: LakeLayout | None = None,
        on_closed: Callable[[Connection, Sequence[Bar]], None] | None = None,
    ) -> None:
        """Read with ``consumer``; write bars to ``engine`` and, when given, ``lake``.

        ``on_closed`` (e.g. the online model's writer) gets every batch of closed bars,
        in closing order, inside the transaction that writes them.
        """
        self.consumer = consumer
        self.engine = engine
        self.lake = lake
        self.layout = layout or LakeLayout()
        self.intervals = intervals
        self.allowed_lateness_ms = allowed_lateness_ms
        self.batch_size = batch_size
        self.poll_timeout_s = poll_timeout_s
        self.on_closed = on_closed
        self.stats = ProcessorStats()
        self.clock = StageClock()
        """Time per stage: poll, bus decode, bars, write (upsert + NOTIFY + model), lake, commit."""
        self._partitions: dict[int, _Partition] = {}

    def bar_stats(self) -> BarStats:
        """The builders' counters summed over partitions (late drops, rejects, …)."""
        total = BarStats(late_dropped=dict.fromkeys(self.intervals, 0))
        for state in self._partitions.values():
            stats = state.builder.stats
            total.trades += stats.trades
            total.rejected += stats.rejected
            total.out_of_order += stats.out_of_order
            for interval, dropped in stats.late_dropped.items():
                total.late_dropped[interval] += dropped
        return total

    def step(self) -> int:
        """Poll one batch, process it, commit; return how many messages it had."""
        with self.clock.timing("poll") as timed:
            messages = self.consumer.poll(self.batch_size, self.poll_timeout_s)
            timed.items += len(messages)
        if messages:
            self.commit(self.handle(messages))
        return len(messages)

    def run(self, stop: threading.Event | None = None, *, idle_exit_s: float | None = None) -> None:
        """Process batches until ``stop`` is set, or nothing arrived for ``idle_exit_s``."""
        last = time.monotonic()
        while stop is None or not stop.is_set():
            if self.step():
                last = time.monotonic()
            elif idle_exit_s is not None and time.monotonic() - last >= idle_exit_s:
                return

    def reopen(self, consumer: Consumer) -> None:
        """Start again from the group's committed positions, read with ``consumer``.

        After a failed batch: its writes rolled back or are rewritten by the replay,
        and the open bars are rebuilt from the committed offsets as after a restart.
        """
        self.consumer = consumer
        self._partitions.clear()

    def handle(self, messages: Sequence[Message]) -> dict[int, Position]:
        """Build bars from ``messages`` and write them; return the positions to commit."""
        for partition in self.consumer.take_revoked():
            self._partitions.pop(partition, None)  # its next owner resumes from the commit
        with self.clock.timing("bus decode", len(messages)):
            fresh = self._decode(messages)
        closed: list[tuple[int, Bar]] = []
        touched: set[int] = set()
        with self.clock.timing("bars", len(fresh)):
            for number, state, offset, trade in fresh:
                touched.add(number)
                bars = self._add(state, offset, trade)
                if bars:  # rare: only when the watermark passes a bar's end
                    closed.extend((number, bar) for bar in bars)
            updated = [
                bar
                for number in sorted(touched)
                for bar in self._partitions[number].builder.updated()
                if not self._partitions[number].replaying
            ]
        self._write([bar for _, bar in closed], updated)
        with self.clock.timing("lake", len(closed)):
            self._write_lake(closed)
        self.stats.batches += 1
        # a partition still re-reading keeps its commit: the rebuilt bars are not complete yet
        return {
            n: self._position(self._partitions[n])
            for n in sorted(touched)
            if not self._partitions[n].replaying
        }

    def commit(self, positions: dict[int, Position]) -> None:
        """Commit positions returned by :meth:`handle` (after its writes are durable)."""
        positions = {n: p for n, p in positions.items() if n in self._partitions}
        if positions:
            with self.clock.timing("commit"):
                self.consumer.commit(positions)

    def finish(self) -> list[Bar]:
        """End of a finite stream: close every open bar, write it, commit; return the bars."""
        closed = [
            (n, bar) for n, state in self._partitions.items() for bar in state.builder.flush()
        ]
        self._write([bar for _, bar in closed], [])
        self._write_lake(closed)
        self.commit({n: self._position(s) for n, s in self._partitions.items()})
        return [bar for _, bar in closed]

    # --- per message ------------------------------------------------------------------------

    def _partition(self, number: int) -> _Partition:
        state = self._partitions.get(number)
        if state is None:
            committed = self.consumer.committed(number)
            checkpoint = Checkpoint.decode(committed.metadata) if committed else None
            start = committed.offset if committed else 0
            builder = BarBuilder(
                self.intervals,
                self.allowed_lateness_ms,
                watermark_ms=checkpoint.watermark_ms if checkpoint else None,
            )
            replay_until = checkpoint.next_offset if checkpoint else start
            state = self._partitions[number] = _Partition(builder, start, replay_until)
            if state.replaying:
                log.info(
                    "stream processor resuming", partition=number, start=start, until=replay_until
                )
        return state

    def _decode(
        self, messages: Sequence[Message]
    ) -> list[tuple[int, _Partition, int, Trade | None]]:
        """The trade of each message not read before, with its partition and offset.

        A message that does not decode gets ``None`` (counted and quarantined unless it
        is being re-read after a restart, when the run before already did).
        """
        fresh: list[tuple[int, _Partition, int, Trade | None]] = []
        expected: dict[int, int] = {}
        partitions = self._partitions
        for message in messages:
            number = message.partition
            state = partitions.get(number) or self._partition(number)
            next_offset = expected.get(number, state.next_offset)
            if message.offset < next_offset:
                continue  # delivered twice (a rebalance): already in the builder
            expected[number] = message.offset + 1
            value = message.value
            if isinstance(value, Trade):  # carried as is by the in-process bus
                fresh.append((number, state, message.offset, value))
                continue
            try:
                trade: Trade | None = decode_trade(value)
            except MalformedMessage as exc:
                trade = None
                if next_offset >= state.replay_until:
                    self.stats.malformed += 1
                    self.stats.quarantine = [*self.stats.quarantine[-99:], excerpt(message.value)]
                    log.warning(
                        "stream processor skipped a message", reason=str(exc), offset=message.offset
                    )
            fresh.append((number, state, message.offset, trade))
        return fresh

    def _add(self, state: _Partition, offset: int, trade: Trade | None) -> list[Bar]:
        replaying = state.replaying
        state.next_offset = offset + 1
        self.stats.messages += 1
        self.stats.replayed += replaying
        closed = [] if trade is None else state.builder.add(trade, seq=offset)
        if replaying and not state.replaying:
            # the run before the restart counted and wrote what the re-read trades did
            state.builder.stats = BarStats(late_dropped=dict.fromkeys(self.intervals, 0))
            state.builder.updated()
        return closed

    def _position(self, state: _Partition) -> Position:
        low = state.builder.low_water_seq()
        resume = state.next_offset if low is None else low
        checkpoint = Checkpoint(state.next_offset, state.builder.watermark_ms)
        return Position(resume, checkpoint.encode())

    # --- writes -----------------------------------------------------------------------------

    def _write(self, closed: list[Bar], updated: list[Bar]) -> None:
        bars = {bar.key: bar for bar in updated}
        bars.update((bar.key, bar) for bar in closed)  # a close supersedes an update
        if not bars:
            return
        ordered = sorted(bars.values(), key=lambda b: (b.start_ms, b.interval_s, b.symbol))
        with self.clock.timing("write", len(ordered)), self.engine.begin() as conn:
            upsert_live_bars(conn, ordered)
            notify_live_bars(conn, ordered)
            if closed and self.on_closed is not None:
                self.on_closed(conn, closed)
        self.stats.bars_closed += len(closed)
        self.stats.bars_updated += len(bars) - len(closed)
        if closed:
            log.info("live bars closed", bars=len(closed), updated=len(bars) - len(closed))

    def _write_lake(self, closed: list[tuple[int, Bar]]) -> None:
        # one part per partition, interval and bar start: those bars close together, so a
        # replay writes the same parts with the same rows
        if self.lake is None:
            return
        groups: dict[tuple[int, int, int], list[Bar]] = {}
        for partition, bar in closed:
            groups.setdefault((partition, bar.interval_s, bar.start_ms), []).append(bar)
        for (partition, interval, start_ms), bars in sorted(groups.items()):
            start = datetime.fromtimestamp(start_ms / 1000, UTC)
            name = f"{interval}s-{start:%Y%m%dT%H%M}-p{partition:03d}"
            self.lake.write_parquet(self.layout.live_bars(start.date(), name), bars_table(bars))


def bars_table(bars: Iterable[Bar]) -> pa.Table:
    """Bars as an Arrow table of :data:`LIVE_BAR_SCHEMA`, sorted by symbol, interval and start."""
    rows = sorted(bars, key=lambda b: (b.symbol, b.interval_s, b.start_ms))
    return pa.table(
        {
            "symbol": [b.symbol for b in rows],
            "interval_s": [b.interval_s for b in rows],
            "bar_start": [b.start_ms for b in rows],
            "open": [b.open for b in rows],
            "high": [b.high for b in rows],
            "low": [b.low for b in rows],
            "close": [b.close for b in rows],
            "volume": [b.volume for b in rows],
            "vwap": [b.vwap for b in rows],
            "trades": [b.trades for b in rows],
        },
        schema=LIVE_BAR_SCHEMA,
    )


def _row(bar: Bar) -> dict[str, object]:
    return {
        "symbol": bar.symbol, "interval_s": bar.interval_s, "bar_start": bar.start,
        "open": bar.open, "high": bar.high, "low": bar.low, "close": bar.close,
        "volume": bar.volume, "vwap": bar.vwap, "trades": bar.trades, "final": bar.final,
    }  # fmt: skip


def upsert_live_bars(conn: Connection, bars: Sequence[Bar]) -> None:
    """Insert or replace bars by (symbol, interval, start); a provisional never replaces a final."""
    stmt = insert(LiveBar)
    columns = ("open", "high", "low", "close", "volume", "vwap", "trades", "final")
    stmt = stmt.on_conflict_do_update(
        index_elements=["symbol", "interval_s", "bar_start"],
        set_={**{c: stmt.excluded[c] for c in columns}, "updated_at": func.now()},
        where=or_(LiveBar.final.is_(False), stmt.excluded.final.is_(True)),
    )
    conn.execute(stmt, [_row(b) for b in bars])


def bar_payload(bar: Bar) -> str:
    """The JSON a ``live_bar`` notification carries."""
    row = _row(bar) | {"bar_start": bar.start.isoformat()}
    return orjson.dumps(row).decode()


def notify_live_bars(conn: Connection, bars: Sequence[Bar]) -> None:
    """``NOTIFY live_bar`` with each bar, delivered when the transaction commits."""
    conn.execute(
        text(
            "SELECT pg_notify(:channel, payload) FROM unnest(CAST(:payloads AS text[])) AS payload"
        ),
        {"channel": LIVE_BAR_CHANNEL, "payloads": [bar_payload(b) for b in bars]},
    )
