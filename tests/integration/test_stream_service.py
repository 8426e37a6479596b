"""The live path as `tickerpulse stream` runs it: replay → in-process bus → bars → online model."""

import threading

import pytest
from sqlalchemy import Engine, text

from tests.web_helpers import platform_settings
from tickerpulse.streaming.processor import DEFAULT_GROUP
from tickerpulse.streaming.service import replay_feed, run_live
from tickerpulse.streaming.world import LiveAnchor, load_anchors

ANCHORS = [
    LiveAnchor("BINANCE:BTCUSDT", "crypto", 51_461.0, 2e-4),
    LiveAnchor("BINANCE:ETHUSDT", "crypto", 2_950.0, 2e-4),
]


def test_replay_feed_splits_history_from_the_live_rest_and_resumes_after_stored_bars() -> None:
    now = 1_772_461_800_000
    past, live = replay_feed(ANCHORS, now_ms=now, rate=10, warmup_minutes=2, resume_ms=None)
    assert len(past) == 1_200 and past[0].ts_ms == now - 120_000
    first = next(live)
    assert all(t.ts_ms < now for t in past) and first is not None and first.ts_ms == now
    later, _ = replay_feed(ANCHORS, now_ms=now, rate=10, warmup_minutes=2, resume_ms=now - 30_000)
    assert later[0].ts_ms == now - 30_000 and len(later) == 300


def test_the_replay_goes_on_from_each_assets_published_close(engine: Engine) -> None:
    with engine.begin() as conn:
        for start, close in (("2026-12-05 12:00+00", 50_000.0), ("2026-12-05 18:00+00", 51_461.0)):
            conn.execute(
                text(
                    "INSERT INTO mart_price_window (window_start, asset_id, open, high, low,"
                    " close, volume, bars) VALUES (:s, 'crypto:BTC', 1, 1, 1, :c, 1, 6)"
                ),
                {"s": start, "c": close},
            )
        conn.execute(
            text(
                "INSERT INTO mart_price_window (window_start, asset_id, open, high, low, close,"
                " volume, bars) VALUES ('2026-12-04 18:00+00', 'etf:SPY', 1, 1, 1, 601.5, 1, 6)"
            )
        )
    btc, spy, other = load_anchors(engine, ["BINANCE:BTCUSDT", "SPY", "ZZZZ"])
    assert (btc.asset_class, btc.price) == ("crypto", 51_461.0)
    assert (spy.asset_class, spy.price) == ("etf", 601.5)
    assert (other.asset_class, other.price) == ("stock", 100.0)
    past, _ = replay_feed(
        [btc], now_ms=1_796_000_000_000, rate=5, warmup_minutes=30, resume_ms=None
    )
    assert past and all(51_461 * 0.95 < t.price < 51_461 * 1.05 for t in past)


def test_the_stream_command_path_fills_live_bars_and_calls(engine: Engine) -> None:
    settings = platform_settings(
        stream_symbols=["BINANCE:BTCUSDT", "BINANCE:ETHUSDT"],  # trade at any hour
        stream_warmup_minutes=5,
        stream_replay_rate=40,
    )
    ready = threading.Event()
    report = run_live(settings, engine, None, stop=threading.Event(), seconds=1.5, ready=ready)
    assert ready.is_set() and report.source == "replay" and report.bus == "in-process"
    assert report.warmup_trades == 5 * 60 * 40
    assert report.counters["trades"] > 0 and report.counters["dropped_trades"] == 0
    assert report.processor["messages"] == report.warmup_trades + report.counters["trades"]
    with engine.connect() as conn:
        symbols = conn.execute(
            text("SELECT DISTINCT symbol FROM live_bar WHERE interval_s = 60 AND final")
        ).scalars()
        calls = conn.execute(text("SELECT count(*) FROM live_prediction")).scalar_one()
    assert sorted(symbols) == ["BINANCE:BTCUSDT", "BINANCE:ETHUSDT"]
    assert calls == report.calls >= 2 * 3
    # where the time went: every stage of the path timed, each trade counted once per stage
    stages = report.stages
    assert {"decode", "publish", "poll", "bus decode", "bars", "write", "commit"} <= set(stages)
    assert stages["decode"]["items"] == stages["publish"]["items"] == report.counters["trades"]
    assert stages["bars"]["items"] == report.processor["messages"]
    assert 0 < sum(s["cpu_s"] for s in stages.values()) <= report.cpu_s


@pytest.mark.kafka
def test_the_stream_command_path_runs_over_a_real_kafka_broker(
    engine: Engine, kafka_bootstrap: str
) -> None:
    settings = platform_settings(
        stream_symbols=["BINANCE:BTCUSDT"], stream_warmup_minutes=2, stream_replay_rate=40,
        kafka_bootstrap=kafka_bootstrap,
    )  # fmt: skip
    report = run_live(settings, engine, None, stop=threading.Event(), seconds=3.0)
    assert report.bus == "kafka"
    # it left the consumer group on the way out: a restarted service is given the
    # partitions at once, not after the broker gives up on a silent member
    from confluent_kafka.admin import AdminClient  # the kafka extra, as the -m kafka step has

    admin = AdminClient({"bootstrap.servers": kafka_bootstrap})
    [described] = admin.describe_consumer_groups([DEFAULT_GROUP]).values()
    assert described.result(timeout=10).members == []
    assert report.counters["dropped_trades"] == 0
    assert report.processor["messages"] == report.warmup_trades + report.counters["trades"]
    with engine.connect() as conn:
        finals = conn.execute(
            text("SELECT count(*) FROM live_bar WHERE interval_s = 60 AND final")
        ).scalar_one()
    assert finals >= 1
