r"""The bus between the websocket client and the processor: in-process or Kafka.

Both speak the same small protocol: ``publish(topic, key, value)`` — or
``publish_trades(topic, trades)``, each keyed by its symbol — on one side;
on the other a consumer in a group that ``poll``\\ s messages with their partition
and offset and ``commit``\\ s, per partition, the offset to resume from with a short
note (the processor's checkpoint). A committed offset is the next one to read, as
in Kafka. Messages of one key always go to one partition, in order.

* :class:`InProcessBus` (default): a partitioned log in memory, thread-safe, so the
  processor can run in its own thread and resume from a commit after a restart
  within the process. ``retention`` bounds each partition; offsets nobody may need
  again (below every group's commit) are released first. Trades published with
  ``publish_trades`` stay :class:`~tickerpulse.domain.Trade` objects (immutable,
  and they never leave the process): no JSON encoding on the way in, no decoding
  on the way out; a message's ``value`` is then the trade itself.
* :class:`~tickerpulse.streaming.kafka_bus.KafkaBus`: the same over a Kafka broker.
"""

from __future__ import annotations

import threading
import time
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

import structlog

from tickerpulse.domain import Trade

log = structlog.get_logger(__name__)

TRADES_TOPIC = "trades.raw"
DEFAULT_KAFKA_BOOTSTRAP = "127.0.0.1:9092"


class Message(NamedTuple):
    """One message read from the bus (a named tuple: made once per trade, it must be cheap)."""

    topic: str
    partition: int
    offset: int
    key: str
    value: bytes | Trade
    """The bytes published, or the trade itself when an in-process bus carried it."""


@dataclass(frozen=True)
class Position:
    """Where a group resumes a partition (the next offset to read) and the note left with it."""

    offset: int
    metadata: str = ""


class Consumer(Protocol):
    """One member of a consumer group, reading one topic."""

    def poll(self, max_messages: int, timeout_s: float) -> list[Message]:
        """Up to ``max_messages`` messages, waiting at most ``timeout_s`` for the first."""
        ...

    def committed(self, partition: int) -> Position | None:
        """The group's committed position on ``partition``, if any."""
        ...

    def commit(self, positions: Mapping[int, Position]) -> None:
        """Commit positions per partition (synchronously: durable when this returns)."""
        ...

    def take_revoked(self) -> set[int]:
        """Partitions taken away from this consumer since the last call."""
        ...

    def close(self) -> None:
        """Leave the group."""
        ...


class Bus(Protocol):
    """Where trades are published and consumed."""

    def publish(self, topic: str, key: str, value: bytes) -> None:
        """Append ``value`` under ``key``; may wait while the bus is full."""
        ...

    def publish_trades(self, topic: str, trades: Sequence[Trade]) -> None:
        """Append each trade under its symbol, in order; may wait while the bus is full."""
        ...

    def flush(self, timeout_s: float = 10.0) -> int:
        """Wait until published messages are stored; return how many are still not."""
        ...

    def consumer(self, topic: str, group: str) -> Consumer:
        """A consumer in ``group``, resuming from the group's committed positions."""
        ...

    def close(self) -> None:
        """Release connections and buffers."""
        ...


def partition_for(key: str, partitions: int) -> int:
    """A stable partition for ``key`` (the same in every process)."""
    return zlib.crc32(key.encode()) % partitions


# --- in process ---------------------------------------------------------------------------------


@dataclass
class _Log:
    base: int = 0
    """Offset of the first entry still held."""
    entries: list[tuple[str, bytes | Trade]] = field(default_factory=list)

    @property
    def end(self) -> int:
        return self.base + len(self.entries)


class InProcessBus:
    """A partitioned in-memory log with consumer-group commits, safe across threads."""

    def __init__(self, partitions: int = 1, retention: int = 2_000_000) -> None:
        """A bus whose topics have ``partitions`` partitions holding ``retention`` messages each."""
        if partitions < 1 or retention < 1:
            raise ValueError("partitions and retention must be positive")
        self.partitions = partitions
        self.retention = retention
        self.expired = 0
        """Messages a consumer never read because retention released them first."""
        self._logs: dict[str, list[_Log]] = {}
        self._commits: dict[tuple[str, str, int], Position] = {}
        self._changed = threading.Condition()
        self._partition_of: dict[str, int] = {}

    def publish(self, topic: str, key: str, value: bytes) -> None:
        """Append a message to the partition of ``key``."""
        with self._changed:
            partition = partition_for(key, self.partitions)
            log_ = self._topic(topic)[partition]
            log_.entries.append((key, value))
            if len(log_.entries) > self.retention + self.retention // 4:
                self._trim(topic, partition)
            self._changed.notify_all()

    def publish_trades(self, topic: str, trades: Sequence[Trade]) -> None:
        """Append each trade, as the object itself, to the partition of its symbol."""
        if not trades:
            return
        with self._changed:
            logs = self._topic(topic)
            partition_of = self._partition_of
            for trade in trades:
                symbol = trade.symbol
                partition = partition_of.get(symbol)
                if partition is None:
                    partition = partition_of[symbol] = partition_for(symbol, self.partitions)
                logs[partition].entries.append((symbol, trade))
            for partition, log_ in enumerate(logs):
                if len(log_.entries) > self.retention + self.retention // 4:
                    self._trim(topic, partition)
            self._changed.notify_all()

    def flush(self, timeout_s: float = 10.0) -> int:
        """Nothing is ever pending in memory."""
        return 0

    def end_offsets(self, topic: str) -> list[int]:
        """The next offset of each partition of ``topic``."""
        with self._changed:
            return [log_.end for log_ in self._topic(topic)]

    def consumer(self, topic: str, group: str) -> InProcessConsumer:
        """A consumer starting at the group's commits (the oldest message otherwise)."""
        return InProcessConsumer(self, topic, group)

    def close(self) -> None:
        """Nothing to release."""

    # used by InProcessConsumer, under the lock
    def _topic(self, topic: str) -> list[_Log]:
        return self._logs.setdefault(topic, [_Log() for _ in range(self.partitions)])

    def _trim(self, topic: str, partition: int) -> None:
        log_ = self._logs[topic][partition]
        commits = [
            p.offset for (_, t, n), p in self._commits.items() if t == topic and n == partition
        ]
        keep_from = max(log_.end - self.retention, min(commits, default=log_.base))
        drop = min(keep_from, log_.end) - log_.base
        if drop > 0:
            del log_.entries[:drop]
            log_.base += drop


class InProcessConsumer:
    """A consumer of an :class:`InProcessBus` topic; one per group reads every partition."""

    def __init__(self, bus: InProcessBus, topic: str, group: str) -> None:
        self.bus, self.topic, self.group = bus, topic, group
        with bus._changed:
            logs = bus._topic(topic)
            self._positions = [
                (c.offset if (c := bus._commits.get((group, topic, p))) else logs[p].base)
                for p in range(bus.partitions)
            ]

    def poll(self, max_messages: int, timeout_s: float) -> list[Message]:
        """Messages after this consumer's position, partition by partition."""
        deadline = time.monotonic() + timeout_s
        with self.bus._changed:
            while True:
                batch = self._take(max_messages)
                remaining = deadline - time.monotonic()
                if batch or remaining <= 0:
                    return batch
                self.bus._changed.wait(remaining)

    def _take(self, max_messages: int) -> list[Message]:
        batch: list[Message] = []
        for partition, log_ in enumerate(self.bus._topic(self.topic)):
            position = self._positions[partition]
            if position < log_.base:
                self.bus.expired += log_.base - position
                position = log_.base
            start = position - log_.base
            entries = log_.entries[start : start + max_messages - len(batch)]
            batch.extend(
                Message(self.topic, partition, position + i, key, value)
                for i, (key, value) in enumerate(entries)
            )
            self._positions[partition] = position + len(entries)
            if len(batch) >= max_messages:
                break
        return batch

    def committed(self, partition: int) -> Position | None:
        """The group's last commit on ``partition``."""
        with self.bus._changed:
            return self.bus._commits.get((self.group, self.topic, partition))

    def commit(self, positions: Mapping[int, Position]) -> None:
        """Record the group's positions."""
        with self.bus._changed:
            for partition, position in positions.items():
                self.bus._commits[(self.group, self.topic, partition)] = position

    def take_revoked(self) -> set[int]:
        """An in-process consumer keeps every partition."""
        return set()

    def close(self) -> None:
        """Nothing to release; the commits stay with the bus."""
