"""The live path as `tickerpulse stream` runs it: replay → in-process bus → bars → online model."""

import threading

import pytest
from sqlalchemy import Engine, text

from tests.web_helpers import platform_settings
from tickerpulse.streaming.service import replay_feed, run_live


def test_replay_feed_splits_history_from_the_live_rest_and_resumes_after_stored_bars() -> None:
    now = 1_772_461_800_000
    past, live = replay_feed(["A", "B"], now_ms=now, rate=10, warmup_minutes=2, resume_ms=None)
    assert len(past) == 1_200 and past[0].ts_ms == now - 120_000
    assert all(t.ts_ms < now for t in past) and next(live).ts_ms == now
    later, _ = replay_feed(
        ["A", "B"], now_ms=now, rate=10, warmup_minutes=2, resume_ms=now - 30_000
    )
    assert later[0].ts_ms == now - 30_000 and len(later) == 300


def test_the_stream_command_path_fills_live_bars_and_calls(engine: Engine) -> None:
    settings = platform_settings(
        stream_symbols=["AAPL", "MSFT"], stream_warmup_minutes=5, stream_replay_rate=40
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
    assert sorted(symbols) == ["AAPL", "MSFT"]
    assert calls == report.calls >= 2 * 3


@pytest.mark.kafka
def test_the_stream_command_path_runs_over_a_real_kafka_broker(
    engine: Engine, kafka_bootstrap: str
) -> None:
    settings = platform_settings(
        stream_symbols=["AAPL"], stream_warmup_minutes=2, stream_replay_rate=40,
        kafka_bootstrap=kafka_bootstrap,
    )  # fmt: skip
    report = run_live(settings, engine, None, stop=threading.Event(), seconds=3.0)
    assert report.bus == "kafka"
    assert report.counters["dropped_trades"] == 0
    assert report.processor["messages"] == report.warmup_trades + report.counters["trades"]
    with engine.connect() as conn:
        finals = conn.execute(
            text("SELECT count(*) FROM live_bar WHERE interval_s = 60 AND final")
        ).scalar_one()
    assert finals >= 1
