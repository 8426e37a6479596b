"""The live latency benchmark's attribution: each trade timed to the first bar event showing it."""

import json

import pytest
from bench.live_latency import AttributionError, _latencies

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
