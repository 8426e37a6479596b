"""The live latency benchmark's attribution: each trade timed to the first bar event showing it."""

import json

from bench.live_latency import _latencies

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
        event(
            (T0 + 600) / 1000, "A", 1, start="2026-03-02T14:35:00+00:00"
        ),  # a 5-min bar? no: other start, no trades sent
    ]
    latencies, measured = _latencies(sent, events, since_ms=T0 + 120)
    assert measured == 3  # the first trade is before the warm-up cut
    assert sorted(round(v) for v in latencies) == [50, 200, 250]
