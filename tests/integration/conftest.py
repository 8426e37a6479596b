"""Kafka for the ``-m kafka`` tests: a real single-node broker, started by the tests themselves.

``KAFKA_BOOTSTRAP`` set: the tests use that broker. Otherwise one throwaway broker
per session on free ports (deploy/kafka/kafka.sh, the script ``make kafka`` runs),
so parallel sessions never share one. A test that restarts a broker gets its own.
"""

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from bench.kafka_broker import Broker, BrokerUnavailable, throwaway_broker

from tickerpulse.streaming.kafka_bus import KafkaBus

# a killed consumer's partitions pass to its successor after seconds, not the default 45 s
FAST_GROUP = {"session.timeout.ms": 6_000, "heartbeat.interval.ms": 500}


def _broker(state: Path) -> Iterator[Broker]:
    try:
        with throwaway_broker(state) as broker:
            yield broker
    except BrokerUnavailable as exc:
        pytest.fail(f"could not start a Kafka broker for the tests: {exc}")


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Where the session's broker listens."""
    given = os.environ.get("KAFKA_BOOTSTRAP")
    if given:
        yield given
        return
    for broker in _broker(tmp_path_factory.mktemp("kafka")):
        yield broker.bootstrap


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[Broker]:
    """A broker for this test alone, which it may stop, kill and start again."""
    yield from _broker(tmp_path / "kafka")


@pytest.fixture
def new_topic(kafka_bootstrap: str) -> Callable[..., str]:
    """Make a topic with a fresh name on the session's broker: ``new_topic(partitions=3)``."""

    def make(partitions: int = 3, bootstrap: str = kafka_bootstrap) -> str:
        name = f"trades.raw.{uuid.uuid4().hex[:8]}"
        bus = KafkaBus(bootstrap)
        bus.ensure_topic(name, partitions=partitions)
        bus.close()
        return name

    return make
