"""The live page end to end: uvicorn, a Premium reader's SSE stream, the processor on replayed trades."""

import itertools
import re
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
from bench.serving import serving
from sqlalchemy import Engine

from tests.web_helpers import HTML, add_user, platform_settings, sign_in
from tickerpulse.domain import Trade
from tickerpulse.streaming.bars import BarBuilder
from tickerpulse.streaming.bus import TRADES_TOPIC, InProcessBus
from tickerpulse.streaming.predictions import PredictionWriter
from tickerpulse.streaming.processor import BarProcessor
from tickerpulse.streaming.replay import synthetic_trades
from tickerpulse.web.app import create_app
from tickerpulse.web.live import sse

from .test_stream_processor import SYMBOLS, T0, publish

WATCHED = ["AAPL", "MSFT"]


def read_events(
    response: httpx.Response, into: list[tuple[str, Any]], stop: threading.Event
) -> None:
    """Parse SSE lines into (event, data) pairs until the stream ends or ``stop`` is set."""
    event = "message"
    try:
        for line in response.iter_lines():
            if stop.is_set():
                return
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                into.append((event, orjson.loads(line[6:])))
            elif line.startswith(": "):
                into.append(("heartbeat", None))
            elif not line:
                event = "message"
    except (httpx.HTTPError, httpx.StreamError):
        if not stop.is_set():
            raise  # closed by the test itself otherwise


def wait_for(check: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


@pytest.fixture
def site(engine: Engine) -> Iterator[tuple[str, Any]]:
    add_user(engine, "premium@example.com", tier="premium")
    app = create_app(platform_settings(live_heartbeat_seconds=0.3), engine)
    with serving(app) as url:
        yield url, app


def test_a_premium_reader_sees_bars_and_calls_arrive_over_sse(
    engine: Engine, site: tuple[str, Any]
) -> None:
    url, app = site
    feed = list(itertools.islice(synthetic_trades(SYMBOLS, start_ms=T0, rate=6, seed=2), 6 * 360))
    events: list[tuple[str, Any]] = []
    stop = threading.Event()
    with httpx.Client(base_url=url, timeout=30) as client:
        sign_in(client, "premium@example.com")  # type: ignore[arg-type]
        with client.stream("GET", "/live/stream", params={"symbols": ",".join(WATCHED)}) as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            reader = threading.Thread(target=read_events, args=(stream, events, stop), daemon=True)
            reader.start()
            wait_for(lambda: any(e == "snapshot" for e, _ in events))
            assert app.state.live_hub.subscribers == 1 and app.state.live_hub.stats.listening

            bus = InProcessBus()
            publish(bus, feed)
            proc = BarProcessor(
                bus.consumer(TRADES_TOPIC, "bars"), engine, batch_size=400, poll_timeout_s=0.01,
                on_closed=PredictionWriter(),
            )  # fmt: skip
            proc.run(idle_exit_s=0.05)
            proc.finish()

            builder = BarBuilder()
            expected = [b for t in feed for b in builder.add(t)] + builder.flush()
            wanted = {
                (b.symbol, b.start.isoformat(), b.close)
                for b in expected
                if b.interval_s == 60 and b.symbol in WATCHED
            }
            wait_for(
                lambda: (
                    wanted
                    <= {
                        (d["symbol"], d["bar_start"], d["close"])
                        for e, d in events
                        if e == "bar" and d["final"]
                    }
                )
            )
            wait_for(lambda: any(e == "heartbeat" for e, _ in events))
            stop.set()
        reader.join(timeout=5)
        bars = [d for e, d in events if e == "bar"]
        calls = [d for e, d in events if e == "prediction"]
        assert {d["symbol"] for d in bars} == set(WATCHED)  # only the symbols asked for
        assert all(d["interval_s"] == 60 for d in bars)
        assert calls and {d["symbol"] for d in calls} <= set(WATCHED)
        assert all(0 < d["prob_up"] < 1 for d in calls)
        # the client hung up: its subscription ends at the next heartbeat
        wait_for(lambda: app.state.live_hub.subscribers == 0, timeout=5)

        page = client.get("/live", headers=HTML)
        assert page.status_code == 200
        assert re.search(r'<script src="/static/live\.js\?v=[0-9a-f]{16}" defer>', page.text)
        assert 'new EventSource("/live/stream?symbols="' in client.get("/static/live.js").text
        assert "AAPL, 1-minute bars (UTC)" in page.text
        assert "All symbols" in page.text and 'href="/live"' in page.text


def test_a_new_subscriber_gets_a_snapshot_of_stored_bars_first(
    engine: Engine, site: tuple[str, Any]
) -> None:
    url, _ = site
    bus = InProcessBus()
    publish(bus, [Trade("AAPL", 10.0 + i, T0 + i * 20_000, 1) for i in range(12)])
    proc = BarProcessor(bus.consumer(TRADES_TOPIC, "bars"), engine, on_closed=PredictionWriter())
    proc.run(idle_exit_s=0.05)
    with httpx.Client(base_url=url, timeout=30) as client:
        sign_in(client, "premium@example.com")  # type: ignore[arg-type]
        with client.stream("GET", "/live/stream") as stream:
            lines = stream.iter_lines()
            assert next(lines) == "retry: 3000"
            assert next(lines) == ""
            assert next(lines) == "event: snapshot"
            shot = orjson.loads(next(lines)[6:])
    assert shot["symbols"] == ["AAPL"]
    assert [b["close"] for b in shot["bars"]["AAPL"]] == [12.0, 15.0, 18.0, 21.0]
    assert [b["final"] for b in shot["bars"]["AAPL"]] == [True, True, True, False]
    assert shot["calls"]["AAPL"]["based_on"] == "2026-03-02T14:32:00+00:00"
    assert shot["metrics"]["AAPL"]["n"] == 1 and shot["overall"]["n"] == 1


def test_an_event_is_one_json_line() -> None:
    assert sse("bar", '{"a":1}') == 'event: bar\ndata: {"a":1}\n\n'


def test_the_page_shows_the_symbols_asked_for_and_names_the_unknown_ones(engine: Engine) -> None:
    from fastapi.testclient import TestClient

    bus = InProcessBus()
    publish(bus, [Trade(s, 10.0 + i, T0 + i * 20_000, 1) for i in range(8) for s in SYMBOLS])
    BarProcessor(bus.consumer(TRADES_TOPIC, "bars"), engine).run(idle_exit_s=0.05)
    add_user(engine, "premium@example.com", tier="premium")
    with TestClient(create_app(platform_settings(), engine)) as client:
        sign_in(client, "premium@example.com")
        asked = client.get("/live", params={"symbols": "aapl, NOPE,msft,aapl"}, headers=HTML).text
        default = client.get("/live", headers=HTML).text
    assert "AAPL, 1-minute bars (UTC)" in asked and "MSFT, 1-minute bars (UTC)" in asked
    assert "No live bars for: NOPE." in asked and "TSLA, 1-minute" not in asked
    assert default.count(", 1-minute bars (UTC)") == 4  # the four most traded by default


def test_the_live_snapshot_labels_symbols_whose_market_is_closed(engine: Engine) -> None:
    from datetime import UTC, datetime

    from sqlalchemy.orm import Session

    from tickerpulse.web.live import snapshot

    symbols = ["AAPL", "BINANCE:BTCUSDT", "OANDA:EUR_USD"]
    with Session(engine) as session:
        sunday_night = snapshot(
            session, symbols=symbols, now=datetime(2026, 12, 6, 1, 40, tzinfo=UTC)
        )
        monday_session = snapshot(
            session, symbols=symbols, now=datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
        )
    assert sunday_night["closed"] == ["AAPL", "OANDA:EUR_USD"]
    assert monday_session["closed"] == []
