"""The live latency benchmark's attribution: each trade timed to the first bar event showing it."""

import json

import pytest
from bench.live_latency import AttributionError, LatencyResult, Skipped, _latencies, live_section

T0 = 1_772_461_800_000  # a minute boundary


def event(
    arrived_s: float, symbol: str, trades: int, start: str = "2026-03-02T14:30:00+00:00"
) -> tuple[float, str]:
    body = {"symbol": symbol, "interval_s": 60, "bar_start": start, "trades": trades}
    return arrived_s, json.dumps(body)


def test_each_trade_counts_once_at_the_first_event_that_includes_it() -> None:
    sent = [("A", T0 + 100), ("B", T0 + 150), ("A", T0 + 200), ("A", T0 + 300)]
    events = [
        event((T0 + 250) / 1000, "A", 2),  # the first two A trades
        event((T0 + 260) / 1000, "A", 2),  # the same again: nothing new
        event((T0 + 400) / 1000, "B", 1),
        event((T0 + 500) / 1000, "A", 3),
        (0.0, json.dumps({"symbol": "A", "prob_up": 0.5})),  # a call, not a bar
        (0.0, json.dumps({"symbol": "A", "interval_s": 300, "bar_start": "x", "trades": 9})),
    ]
    latencies, measured = _latencies(sent, events, since_ms=T0 + 120)
    assert measured == 3  # the first trade is before the warm-up cut
    assert sorted(round(v) for v in latencies) == [50, 200, 250]


# The source made its first batch before the stream subscribed and sent it once it had;
# the bars count those trades like any other.
BEFORE_SUBSCRIPTION = [("A", T0 + 10), ("A", T0 + 20)]
AFTER_SUBSCRIPTION = [("A", T0 + 1_000), ("A", T0 + 1_100), ("A", T0 + 1_200)]
BARS = [
    event((T0 + 1_050) / 1000, "A", 3),  # the two early trades and the one at +1,000
    event((T0 + 1_250) / 1000, "A", 5),
]


def test_trades_sent_before_subscription_keep_their_place_in_the_bar() -> None:
    sent = BEFORE_SUBSCRIPTION + AFTER_SUBSCRIPTION
    latencies, measured = _latencies(sent, BARS, since_ms=T0 + 1_000)
    assert measured == 3
    assert [round(v) for v in latencies] == [50, 150, 50]


def test_a_sent_list_missing_the_early_trades_fails_instead_of_going_negative() -> None:
    # What the source used to write: its list cleared once everyone had subscribed,
    # which timed the trade at +1,200 against the event at +1,050.
    with pytest.raises(AttributionError, match="before it"):
        _latencies(AFTER_SUBSCRIPTION, BARS, since_ms=T0 + 1_000)


def test_a_trade_shown_before_it_was_made_raises() -> None:
    with pytest.raises(AttributionError, match="before it"):
        _latencies([("A", T0 + 500)], [event((T0 + 400) / 1000, "A", 1)], since_ms=T0)


def test_a_bar_counting_more_trades_than_were_sent_raises() -> None:
    with pytest.raises(AttributionError, match="counts 2 trades, only 1"):
        _latencies([("A", T0 + 100)], [event((T0 + 400) / 1000, "A", 2)], since_ms=T0)


def _result(bus: str, rate: int, p99: float) -> LatencyResult:
    stages = {
        "decode": {"cpu_s": 0.5, "wall_s": 0.6, "calls": 400, "items": 100_000},
        "bars": {"cpu_s": 0.25, "wall_s": 0.3, "calls": 40, "items": 100_000},
        "write": {"cpu_s": 0.05, "wall_s": 0.9, "calls": 40, "items": 480},
    }
    return LatencyResult(
        bus=bus, rate=rate, sent=100_000, measured=90_000, visible=90_000, p50=p99 / 2, p99=p99,
        worst=p99 + 1, listen_p50=p99 / 2 - 1, listen_p99=p99 - 2, load_before=0.4, load=1.1,
        sent_rate=rate, stream_cpu_s=1.0, stages=stages,
    )  # fmt: skip


def test_the_section_gives_each_bus_its_rows_verdicts_load_and_the_slowest_rates_profile() -> None:
    section = live_section(
        [
            _result("in-process", 10_000, 150.0),
            _result("in-process", 50_000, 800.0),
            Skipped("kafka", "kafka.sh start failed: no java"),
        ],
        seconds=20,
    )
    assert "| in-process | 50,000 | 50,000 | 90,000 | 90,000 | 400 | 800 |" in section
    assert "| kafka | — | skipped: kafka.sh start failed: no java |" in section
    assert "in-process at 10,000/s met (p99 150 ms, load 1.1)" in section
    assert "in-process at 50,000/s **not met** (p99 800 ms, load 1.1)" in section
    assert "0.4 → 1.1" in section
    # the profile is the 50k run's: per trade, 0.5 CPU s over 100,000 trades is 5 µs
    assert "Where the time goes at 50,000 trades/s on the in-process bus" in section
    assert "| decode: websocket JSON → trades (client) | 5.00 | 50% | 0.60 | 400 |" in section
    assert (
        "| other: websocket frames, event loop, GC, librdkafka's own threads (Kafka) | 2.00 | 20% |"
        in section
    )
    assert "latency added at p50 / p99 | 1 / 2 ms |" in section
    assert "at 10,000 trades/s on" not in section
