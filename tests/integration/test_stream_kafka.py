"""Kafka reliability on a real broker: a processor killed with SIGKILL, a broker restarted,
malformed messages — each time the bars equal an uninterrupted run's, nothing lost."""

import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import orjson
import pytest
from bench.kafka_broker import Broker
from sqlalchemy import Engine, create_engine

from tickerpulse.domain import Trade
from tickerpulse.lake.store import Lake
from tickerpulse.streaming.kafka_bus import KafkaBus, KafkaConsumer
from tickerpulse.streaming.processor import BarProcessor
from tickerpulse.streaming.wire import encode_trade

from ..conftest import fresh_database
from .conftest import FAST_GROUP
from .test_stream_processor import (
    T0,
    as_rows,
    db_rows,
    disordered_trades,
    expected_bars,
    lake_parts,
)

pytestmark = pytest.mark.kafka
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def other_url(pg_admin_uri: str) -> Iterator[str]:
    with fresh_database(pg_admin_uri) as url:
        yield url


def publish(bus: KafkaBus, topic: str, trades: list[Trade]) -> None:
    for t in trades:
        bus.publish(topic, t.symbol, encode_trade(t))
    assert bus.flush(60) == 0 and bus.delivery_errors == 0


def drain(proc: BarProcessor, until_messages: int, timeout_s: float = 90) -> None:
    """Step until ``until_messages`` were read and then one more quiet poll."""
    deadline = time.monotonic() + timeout_s
    while proc.stats.messages < until_messages:
        assert time.monotonic() < deadline, f"read {proc.stats.messages} of {until_messages}"
        proc.step()
    while proc.step():
        pass


def reference_run(bootstrap: str, topic: str, engine: Engine, lake: Path, total: int) -> None:
    """The uninterrupted run: its own group over the same topic, in this process."""
    bus = KafkaBus(bootstrap)
    proc = BarProcessor(bus.consumer(topic, f"ref-{uuid.uuid4().hex[:6]}"), engine, Lake(str(lake)))
    drain(proc, total)
    proc.finish()
    proc.consumer.close()
    bus.close()


def test_messages_of_one_symbol_keep_one_partition_and_their_order(
    kafka_bootstrap: str, new_topic: Callable[..., str]
) -> None:
    topic = new_topic(partitions=3)
    bus = KafkaBus(kafka_bootstrap)
    assert (
        bus.producer_config
        | {"acks": "all", "enable.idempotence": True, "compression.type": "zstd"}
        == bus.producer_config
    )
    trades = [Trade(f"S{i % 7}", 100.0 + i, T0 + i, 1.0) for i in range(700)]
    publish(bus, topic, trades)
    consumer = bus.consumer(topic, f"g-{uuid.uuid4().hex[:6]}")
    got = []
    deadline = time.monotonic() + 30
    while len(got) < len(trades) and time.monotonic() < deadline:
        got.extend(consumer.poll(1_000, 1))
    consumer.close()
    bus.close()
    assert len(got) == len(trades)
    for symbol in {t.symbol for t in trades}:
        mine = [m for m in got if m.key == symbol]
        assert len({m.partition for m in mine}) == 1
        assert [orjson.loads(m.value)["t"] for m in mine] == [
            t.ts_ms for t in trades if t.symbol == symbol
        ]
    assert len({m.partition for m in got}) > 1  # the symbols do spread over partitions


def test_processor_killed_with_sigkill_mid_stream_resumes_to_identical_bars(
    kafka_bootstrap: str,
    new_topic: Callable[..., str],
    engine: Engine,
    other_url: str,
    tmp_path: Path,
) -> None:
    topic = new_topic(partitions=3)
    trades = disordered_trades()
    bus = KafkaBus(kafka_bootstrap)
    half = len(trades) // 2
    publish(bus, topic, trades[:half])
    group = f"crash-{uuid.uuid4().hex[:6]}"
    command = [sys.executable, "-m", "tests.integration.kafka_worker", kafka_bootstrap, topic, group,
               other_url, str(tmp_path / "crashed")]  # fmt: skip

    first = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, text=True)
    assert first.stdout is not None
    for line in first.stdout:
        if (
            line.startswith('{"batches"') and orjson.loads(line)["batches"] >= 4
        ):  # several batches written and committed …
            break
    first.kill()  # … and whatever it was doing now is cut short: SIGKILL, no clean-up
    first.wait(10)

    publish(bus, topic, trades[half:])  # the rest arrives while it is down
    bus.close()
    second = subprocess.run(
        [*command, "3"], cwd=REPO, capture_output=True, text=True, timeout=240, check=True
    )
    (done,) = [
        orjson.loads(x)["done"] for x in second.stdout.splitlines() if x.startswith('{"done"')
    ]

    reference_run(kafka_bootstrap, topic, engine, tmp_path / "whole", len(trades))
    other = create_engine(other_url)
    assert db_rows(other) == db_rows(engine)
    other.dispose()
    assert lake_parts(tmp_path / "crashed") == lake_parts(tmp_path / "whole")
    assert done["replayed"] > 0  # it rebuilt the open bars from re-read trades
    assert done["messages"] - done["replayed"] <= len(trades) - 4 * 300 + 300


@pytest.mark.parametrize("how", ["stop", "kill"])
def test_stream_survives_a_broker_restart_with_identical_bars(
    own_broker: Broker, engine: Engine, how: str
) -> None:
    topic = f"trades.raw.{uuid.uuid4().hex[:6]}"
    bus = KafkaBus(own_broker.bootstrap, consumer_config=FAST_GROUP)
    bus.ensure_topic(topic, partitions=3)
    trades = [
        Trade(f"S{i % 5}", 100 + (i * 7919 % 101) / 10, T0 + i * 100, 1 + i % 4)
        for i in range(6_000)
    ]
    third = len(trades) // 3
    publish(bus, topic, trades[:third])
    proc = BarProcessor(bus.consumer(topic, "bars"), engine, batch_size=200, poll_timeout_s=0.1)
    failures: list[BaseException] = []
    stop = threading.Event()

    def run() -> None:
        try:
            proc.run(stop)
        except BaseException as exc:
            failures.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    deadline = time.monotonic() + 60
    while proc.stats.batches < 3:
        assert time.monotonic() < deadline and not failures, failures
        time.sleep(0.05)

    own_broker.stop() if how == "stop" else own_broker.kill()
    for t in trades[third : 2 * third]:  # published while the broker is down: held by the producer
        bus.publish(topic, t.symbol, encode_trade(t))
    time.sleep(2)
    own_broker.start()
    publish(bus, topic, trades[2 * third :])
    deadline = time.monotonic() + 120
    while proc.stats.messages - proc.stats.replayed < len(trades):
        assert time.monotonic() < deadline and not failures, (proc.stats, failures)
        time.sleep(0.1)
    stop.set()
    worker.join(30)
    assert not failures
    assert (
        isinstance(proc.consumer, KafkaConsumer) and proc.consumer.errors > 0
    )  # it saw the outage
    proc.finish()
    proc.consumer.close()
    bus.close()
    assert db_rows(engine) == as_rows(expected_bars(trades))


def test_malformed_messages_on_kafka_are_quarantined_and_counted(
    kafka_bootstrap: str, new_topic: Callable[..., str], engine: Engine
) -> None:
    topic = new_topic(partitions=1)
    bus = KafkaBus(kafka_bootstrap)
    trades = [Trade("AAPL", 10.0 + i, T0 + i * 1_000, 1) for i in range(6)]
    publish(bus, topic, trades[:3])
    for junk in (b"not json", b'{"s":"AAPL","p":-1,"t":1,"v":1}', b""):
        bus.publish(topic, "AAPL", junk)
    publish(bus, topic, trades[3:])
    proc = BarProcessor(bus.consumer(topic, f"g-{uuid.uuid4().hex[:6]}"), engine)
    drain(proc, len(trades) + 3)
    proc.finish()
    proc.consumer.close()
    bus.close()
    assert proc.stats.malformed == 3
    assert proc.stats.quarantine == ["not json", '{"s":"AAPL","p":-1,"t":1,"v":1}', ""]
    assert db_rows(engine) == as_rows(expected_bars(trades))
