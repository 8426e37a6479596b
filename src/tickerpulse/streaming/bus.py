r"""The bus between the websocket client and the processor: in-process or Kafka.

Both speak the same small protocol: ``publish(topic, key, value)`` on one side;
on the other a consumer in a group that ``poll``\\ s messages with their partition
and offset and ``commit``\\ s, per partition, the offset to resume from with a short
note (the processor's checkpoint). A committed offset is the next one to read, as
in Kafka. Messages of one key always go to one partition, in order.

* :class:`InProcessBus` (default): a partitioned log in memory, thread-safe, so the
  processor can run in its own thread and resume from a commit after a restart
  within the process. ``retention`` bounds each partition; offsets nobody may need
  again (below every group's commit) are released first.
* :class:`KafkaBus`: confluent-kafka; the producer waits for all in-sync replicas
  (``acks=all``) with idempotence and zstd compression (librdkafka resends across a
  broker restart without duplicates); consumers never auto-commit, and their commits
  and offset look-ups wait out a broker or coordinator that is briefly away.
"""

from __future__ import annotations

import threading
import time
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import structlog

log = structlog.get_logger(__name__)

TRADES_TOPIC = "trades.raw"
DEFAULT_KAFKA_BOOTSTRAP = "127.0.0.1:9092"


@dataclass(frozen=True, slots=True)
class Message:
    """One message read from the bus."""

    topic: str
    partition: int
    offset: int
    key: str
    value: bytes


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
    entries: list[tuple[str, bytes]] = field(default_factory=list)

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

    def publish(self, topic: str, key: str, value: bytes) -> None:
        """Append a message to the partition of ``key``."""
        with self._changed:
            partition = partition_for(key, self.partitions)
            log_ = self._topic(topic)[partition]
            log_.entries.append((key, value))
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


# --- Kafka --------------------------------------------------------------------------------------


class KafkaBus:
    """Kafka through confluent-kafka, for a broker at ``bootstrap``."""

    def __init__(
        self,
        bootstrap: str = DEFAULT_KAFKA_BOOTSTRAP,
        *,
        compression: str = "zstd",
        consumer_config: Mapping[str, Any] | None = None,
    ) -> None:
        """A producer is created now; consumers on demand, with ``consumer_config`` added."""
        from confluent_kafka import Producer

        self.bootstrap = bootstrap
        self.consumer_config = dict(consumer_config or {})
        self.delivery_errors = 0
        self.producer_waits = 0
        self.producer_config: dict[str, Any] = {
            "bootstrap.servers": bootstrap,
            "acks": "all",
            "enable.idempotence": True,
            "compression.type": compression,
            "linger.ms": 5,
            "client.id": "tickerpulse-stream",
        }
        self._producer = Producer({**self.producer_config, "error_cb": self._on_error})

    def ensure_topic(
        self, topic: str = TRADES_TOPIC, partitions: int = 3, timeout_s: float = 15.0
    ) -> None:
        """Create ``topic`` with ``partitions`` partitions (replication 1) unless it exists."""
        from confluent_kafka import KafkaException
        from confluent_kafka.admin import AdminClient
        from confluent_kafka.cimpl import NewTopic

        admin = AdminClient({"bootstrap.servers": self.bootstrap})
        if topic in admin.list_topics(timeout=timeout_s).topics:
            return
        future = admin.create_topics([NewTopic(topic, partitions, 1)])[topic]
        try:
            future.result(timeout=timeout_s)
        except KafkaException as exc:
            if "TOPIC_ALREADY_EXISTS" not in str(exc):
                raise

    def publish(self, topic: str, key: str, value: bytes) -> None:
        """Queue a message; when the local queue is full, wait for deliveries first."""
        while True:
            try:
                self._producer.produce(
                    topic, key=key.encode(), value=value, on_delivery=self._delivered
                )
                break
            except BufferError:
                self.producer_waits += 1
                self._producer.poll(0.1)
        self._producer.poll(0)

    def _on_error(self, error: Any) -> None:
        # librdkafka reconnects and resends by itself; only a fatal error ends the producer
        log.warning("kafka producer error", error=str(error), fatal=error.fatal())

    def _delivered(self, error: Any, message: Any) -> None:
        if error is not None:
            self.delivery_errors += 1
            log.error("kafka delivery failed", error=str(error), topic=message.topic())

    def flush(self, timeout_s: float = 10.0) -> int:
        """Wait for every queued message to be acknowledged by the brokers."""
        return int(self._producer.flush(timeout_s))

    def consumer(self, topic: str, group: str) -> KafkaConsumer:
        """A group member subscribed to ``topic``; it never commits on its own."""
        return KafkaConsumer(self.bootstrap, topic, group, config=self.consumer_config)

    def close(self) -> None:
        """Deliver what is queued (waiting up to 10 s), then close the producer.

        Messages still undelivered then are purged and logged with their count.
        """
        left = self.flush()
        if left:
            log.error("kafka producer closed with undelivered messages", messages=left)
            self._producer.purge()
        self._producer.close()


# A commit or an offset look-up failing with one of these is tried again: the broker or the
# group coordinator is away for a moment (a broker restart, a coordinator moving).
_TRANSIENT_ERRORS = frozenset(
    {
        "_TRANSPORT", "_ALL_BROKERS_DOWN", "_WAIT_COORD", "_TIMED_OUT", "COORDINATOR_NOT_AVAILABLE",
        "NOT_COORDINATOR", "COORDINATOR_LOAD_IN_PROGRESS", "REQUEST_TIMED_OUT", "NETWORK_EXCEPTION",
    }
)  # fmt: skip
# A commit failing with one of these lost a race with a rebalance: the partitions are about to
# be revoked (the processor then drops their state) and their next owner resumes from the
# previous commit, so the commit is given up, not raised.
_REBALANCE_ERRORS = frozenset(
    {"ILLEGAL_GENERATION", "UNKNOWN_MEMBER_ID", "REBALANCE_IN_PROGRESS", "FENCED_INSTANCE_ID"}
)


def _error_name(error: Any) -> str:
    return str(error.name()) if hasattr(error, "name") else str(error)


class KafkaConsumer:
    """A confluent-kafka consumer with manual commits that ride out a broker restart.

    ``commit`` and ``committed`` retry transient errors (broker or coordinator away)
    with a capped back-off for up to ``retry_s`` seconds, then raise. Consumer errors
    that are not fatal are logged and counted in ``errors`` (librdkafka reconnects by
    itself); a fatal one raises.
    """

    def __init__(
        self,
        bootstrap: str,
        topic: str,
        group: str,
        *,
        retry_s: float = 120.0,
        config: Mapping[str, Any] | None = None,
    ) -> None:
        from confluent_kafka import Consumer as _Consumer

        self.topic = topic
        self.retry_s = retry_s
        self.errors = 0
        self.lost_commits = 0
        """Commits given up because a rebalance overtook them."""
        self._revoked: set[int] = set()
        self._consumer = _Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": group,
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
                "enable.partition.eof": False,
                "error_cb": self._on_error,
                **(config or {}),
            }
        )
        self._consumer.subscribe([topic], on_revoke=self._on_revoke, on_lost=self._on_revoke)

    def _on_revoke(self, _consumer: Any, partitions: list[Any]) -> None:
        self._revoked.update(p.partition for p in partitions)

    def _on_error(self, error: Any) -> None:
        self.errors += 1
        log.warning("kafka consumer error", error=str(error))

    def poll(self, max_messages: int, timeout_s: float) -> list[Message]:
        """Up to ``max_messages`` messages; a fatal consumer error raises, others are counted."""
        from confluent_kafka import KafkaException

        batch = []
        for raw in self._consumer.consume(num_messages=max_messages, timeout=timeout_s):
            error = raw.error()
            if error is not None:
                if error.fatal():
                    raise KafkaException(error)
                self._on_error(error)
                continue
            key, value = raw.key(), raw.value()
            batch.append(
                Message(
                    topic=raw.topic() or self.topic,
                    partition=raw.partition() or 0,
                    offset=raw.offset() or 0,
                    key=key.decode() if isinstance(key, bytes) else (key or ""),
                    value=value.encode() if isinstance(value, str) else (value or b""),
                )
            )
        return batch

    def _retrying(self, what: str, attempt: Any) -> Any:
        from confluent_kafka import KafkaException

        deadline, pause = time.monotonic() + self.retry_s, 0.1
        while True:
            try:
                return attempt()
            except KafkaException as exc:
                name = _error_name(exc.args[0])
                if name not in _TRANSIENT_ERRORS or time.monotonic() + pause > deadline:
                    raise
                log.warning("kafka retrying", what=what, error=name, pause_s=pause)
                time.sleep(pause)
                pause = min(pause * 2, 2.0)

    def committed(self, partition: int) -> Position | None:
        """The group's committed offset and note on ``partition``."""
        from confluent_kafka import TopicPartition

        (tp,) = self._retrying(
            "committed",
            lambda: self._consumer.committed([TopicPartition(self.topic, partition)], timeout=10),
        )
        if tp.error is not None:
            from confluent_kafka import KafkaException

            raise KafkaException(tp.error)
        return None if tp.offset < 0 else Position(tp.offset, tp.metadata or "")

    def commit(self, positions: Mapping[int, Position]) -> None:
        """Commit synchronously, retrying while the coordinator is away.

        Raises:
            KafkaException: On an error that is neither transient nor a rebalance, or
                when the coordinator stays away for ``retry_s``.
        """
        from confluent_kafka import KafkaException, TopicPartition

        offsets = [
            TopicPartition(self.topic, p, pos.offset, pos.metadata) for p, pos in positions.items()
        ]
        if not offsets:
            return

        def attempt() -> None:
            results = self._consumer.commit(offsets=offsets, asynchronous=False) or []
            failed = [tp.error for tp in results if tp.error is not None]
            if failed:
                raise KafkaException(failed[0])

        try:
            self._retrying("commit", attempt)
        except KafkaException as exc:
            name = _error_name(exc.args[0])
            if name not in _REBALANCE_ERRORS:
                raise
            self.lost_commits += 1
            log.warning("kafka commit overtaken by a rebalance", error=name)

    def take_revoked(self) -> set[int]:
        """Partitions revoked or lost since the last call."""
        revoked, self._revoked = self._revoked, set()
        return revoked

    def close(self) -> None:
        """Leave the group."""
        self._consumer.close()
