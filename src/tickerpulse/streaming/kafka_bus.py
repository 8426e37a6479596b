"""The bus over Kafka (confluent-kafka), same protocol as the in-process one (:mod:`.bus`).

The producer waits for all in-sync replicas (``acks=all``) with idempotence and
zstd compression (librdkafka resends across a broker restart without
duplicates); consumers never auto-commit, and their commits and offset look-ups
wait out a broker or coordinator that is briefly away.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import structlog

from tickerpulse.domain import Trade
from tickerpulse.extras import require
from tickerpulse.streaming.bus import DEFAULT_KAFKA_BOOTSTRAP, TRADES_TOPIC, Message, Position
from tickerpulse.streaming.wire import encode_trade

log = structlog.get_logger(__name__)


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
        require("kafka")
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
        self._produce(topic, key.encode(), value)
        self._producer.poll(0)

    def publish_trades(self, topic: str, trades: Sequence[Trade]) -> None:
        """Queue each trade as its JSON record (:func:`~.wire.encode_trade`), keyed by symbol."""
        for trade in trades:
            self._produce(topic, trade.symbol.encode(), encode_trade(trade))
        self._producer.poll(0)  # delivery reports: once per batch, not per trade

    def _produce(self, topic: str, key: bytes, value: bytes) -> None:
        while True:
            try:
                self._producer.produce(topic, key=key, value=value, on_delivery=self._delivered)
                return
            except BufferError:
                self.producer_waits += 1
                self._producer.poll(0.1)

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
        require("kafka")
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
                # the broker answers a fetch within 10 ms even when little has arrived
                # (librdkafka waits up to 500 ms by default): live bars, not bulk throughput
                "fetch.wait.max.ms": 10,
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
        topic = self.topic  # the one topic this consumer subscribed to
        for raw in self._arrived(max_messages, timeout_s):
            error = raw.error()
            if error is not None:
                if error.fatal():
                    raise KafkaException(error)
                self._on_error(error)
                continue
            key, value = raw.key(), raw.value()
            batch.append(
                Message(
                    topic,
                    raw.partition() or 0,
                    raw.offset() or 0,
                    key.decode() if isinstance(key, bytes) else (key or ""),
                    value.encode() if isinstance(value, str) else (value or b""),
                )
            )
        return batch

    def _arrived(self, max_messages: int, timeout_s: float) -> list[Any]:
        """What has arrived, at once; else wait up to ``timeout_s`` for the first message only.

        ``consume`` returns when it has ``num_messages`` or when the timeout ends, so asking
        it for a full batch with a timeout held every message back until the batch filled
        or the timeout passed (a 200 ms floor on the live path's latency at low rates).
        """
        ready = self._consumer.consume(num_messages=max_messages, timeout=0)
        if ready:
            return list(ready)
        first = self._consumer.consume(num_messages=1, timeout=timeout_s)
        if not first or max_messages == 1:
            return list(first)
        return [*first, *self._consumer.consume(num_messages=max_messages - 1, timeout=0)]

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
