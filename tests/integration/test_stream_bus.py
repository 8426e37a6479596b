"""The bus: the in-process log always; Kafka with ``-m kafka`` against a real broker."""

import threading
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from tickerpulse.domain import Trade
from tickerpulse.lake.store import Lake
from tickerpulse.streaming.bars import BarBuilder
from tickerpulse.streaming.bus import Bus, InProcessBus, Position, partition_for
from tickerpulse.streaming.processor import BarProcessor
from tickerpulse.streaming.wire import encode_trade

T0 = 1_767_366_000_000


def test_one_key_keeps_one_partition_and_its_order() -> None:
    bus = InProcessBus(partitions=3)
    for i in range(30):
        bus.publish("t", f"k{i % 4}", str(i).encode())
    messages = bus.consumer("t", "g").poll(100, 0)
    assert len(messages) == 30
    for key in {m.key for m in messages}:
        mine = [m for m in messages if m.key == key]
        assert {m.partition for m in mine} == {partition_for(key, 3)}
        assert [int(m.value) for m in mine] == sorted(int(m.value) for m in mine)
        assert [m.offset for m in mine] == sorted(m.offset for m in mine)


def test_a_new_consumer_resumes_from_its_groups_commit_with_the_note() -> None:
    bus = InProcessBus()
    for i in range(10):
        bus.publish("t", "k", bytes([i]))
    first = bus.consumer("t", "g")
    assert [m.offset for m in first.poll(4, 0)] == [0, 1, 2, 3]
    first.commit({0: Position(2, "note")})
    again = bus.consumer("t", "g")
    assert again.committed(0) == Position(2, "note")
    assert [m.offset for m in again.poll(100, 0)] == list(range(2, 10))
    assert [m.offset for m in bus.consumer("t", "other").poll(3, 0)] == [
        0,
        1,
        2,
    ]  # groups are apart


def test_a_waiting_consumer_wakes_when_a_message_is_published() -> None:
    bus = InProcessBus()
    consumer = bus.consumer("t", "g")
    assert consumer.poll(10, 0.01) == []
    threading.Timer(0.05, bus.publish, args=("t", "k", b"x")).start()
    started = time.monotonic()
    (message,) = consumer.poll(10, 5)
    assert message.value == b"x" and time.monotonic() - started < 2


def test_retention_bounds_the_log_releases_committed_messages_and_counts_misses() -> None:
    bus = InProcessBus(retention=8)
    reader, slow = bus.consumer("t", "g"), bus.consumer("t", "slow")
    for i in range(11):
        bus.publish("t", "k", bytes([i]))  # over 8 + 25%: trimmed back to the newest 8
    assert [m.offset for m in reader.poll(100, 0)] == list(range(3, 11))
    assert bus.expired == 3
    reader.commit({0: Position(11)})
    for i in range(3):
        bus.publish("t", "k", bytes([i]))  # trimmed again, this time up to the commit
    assert [m.offset for m in slow.poll(100, 0)] == [11, 12, 13]
    assert bus.expired == 3 + 11


def test_trades_published_as_objects_keep_their_symbols_partition_and_order() -> None:
    bus = InProcessBus(partitions=3, retention=40)
    trades = [Trade(f"S{i % 4}", 10.0 + i, T0 + i, 1) for i in range(48)]
    consumer = bus.consumer("t", "g")
    threading.Timer(0.05, bus.publish_trades, args=("t", trades[:24])).start()
    first = consumer.poll(100, 5)  # a waiting consumer wakes, and gets the objects themselves
    assert {id(m.value) for m in first} == {id(t) for t in trades[:24]}
    bus.publish("t", "S1", encode_trade(trades[24]))  # bytes and objects share the log
    bus.publish_trades("t", trades[25:])
    messages = consumer.poll(100, 0)
    assert [m.value for m in messages if not isinstance(m.value, Trade)] == [
        encode_trade(trades[24])
    ]
    carried = [m for m in messages if isinstance(m.value, Trade)]
    assert len(carried) == 23 and all(m.key == m.value.symbol for m in carried)
    for key in {m.key for m in carried}:
        mine = [m for m in carried if m.key == key]
        assert {m.partition for m in mine} == {partition_for(key, 3)}
        assert [m.value.ts_ms for m in mine] == sorted(m.value.ts_ms for m in mine)
    bus.publish_trades("t", [trades[0]] * 40)  # over retention + 25% on one partition: trimmed
    late = bus.consumer("t", "late").poll(1_000, 0)
    assert sum(m.partition == partition_for("S0", 3) for m in late) == 40


# --- Kafka ---------------------------------------------------------------------------------------


@pytest.fixture
def kafka_bus(kafka_bootstrap: str) -> Bus:
    """A KafkaBus on the session's real broker (see conftest.py)."""
    from tickerpulse.streaming.kafka_bus import KafkaBus

    return KafkaBus(kafka_bootstrap)


@pytest.mark.kafka
def test_kafka_round_trip_with_manual_commit_and_note(kafka_bus: Bus) -> None:
    from tickerpulse.streaming.kafka_bus import KafkaBus

    assert isinstance(kafka_bus, KafkaBus)
    topic, group = f"test.{uuid.uuid4().hex[:8]}", f"g-{uuid.uuid4().hex[:8]}"
    kafka_bus.ensure_topic(topic, partitions=2)
    for i in range(20):
        kafka_bus.publish(topic, f"k{i % 3}", str(i).encode())
    assert kafka_bus.flush(10) == 0
    consumer = kafka_bus.consumer(topic, group)
    got = []
    deadline = time.monotonic() + 30
    while len(got) < 20 and time.monotonic() < deadline:
        got.extend(consumer.poll(100, 1))
    assert sorted(int(m.value) for m in got) == list(range(20))
    last = {m.partition: m.offset for m in got}
    consumer.commit({p: Position(o + 1, '{"next":1}') for p, o in last.items()})
    for p, o in last.items():
        assert consumer.committed(p) == Position(o + 1, '{"next":1}')
    consumer.close()
    again = kafka_bus.consumer(topic, group)
    assert again.poll(100, 3) == []  # everything was committed
    again.close()
    kafka_bus.close()


@pytest.mark.kafka
def test_kafka_processor_gives_the_same_bars_as_the_pure_builder(
    kafka_bus: Bus, engine: Engine, lake_dir: Path
) -> None:
    from tickerpulse.streaming.kafka_bus import KafkaBus

    assert isinstance(kafka_bus, KafkaBus)
    topic = f"trades.raw.{uuid.uuid4().hex[:8]}"
    kafka_bus.ensure_topic(topic, partitions=3)
    trades = [
        Trade(f"S{i % 5}", 100 + (i * 7919 % 101) / 10, T0 + i * 250, 1 + i % 4)
        for i in range(4_000)
    ]
    kafka_bus.publish_trades(topic, trades)  # each as its JSON record, keyed by symbol
    assert kafka_bus.flush(10) == 0
    proc = BarProcessor(
        kafka_bus.consumer(topic, f"bars-{uuid.uuid4().hex[:8]}"), engine, Lake(str(lake_dir))
    )
    deadline = time.monotonic() + 60
    while proc.stats.messages < len(trades) and time.monotonic() < deadline:
        proc.step()
    proc.finish()
    proc.consumer.close()
    builder = BarBuilder()  # in event-time order, so partitioning cannot change a bar
    expected = [b for t in trades for b in builder.add(t)] + builder.flush()
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT symbol, interval_s, bar_start, open, close, volume, trades, final FROM live_bar"
            )
        ).all()
    assert sorted(tuple(r) for r in rows) == sorted(
        (b.symbol, b.interval_s, b.start, b.open, b.close, b.volume, b.trades, True)
        for b in expected
    )
    assert proc.stats.bars_closed == len(expected)
    kafka_bus.close()
