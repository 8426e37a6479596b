"""The Finnhub connector against a local server speaking Finnhub's documented REST formats."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tickerpulse.config import Settings
from tickerpulse.enrich.normalize import normalize_documents, normalize_prices
from tickerpulse.sources.base import Page
from tickerpulse.sources.finnhub import FinnhubSource, build, missing_credentials
from tickerpulse.sources.http import AuthError, HttpClient
from tickerpulse.universe import load_universe

FIXTURES = Path(__file__).parents[2] / "fixtures" / "finnhub"
UNTIL = datetime(2026, 3, 2, 12, tzinfo=UTC)
KEY = "finnhub-test-key-123"


def reply(name: str, status: int = 200) -> Response:
    return Response((FIXTURES / name).read_text(), status=status, content_type="application/json")


class FakeClock:
    """Time that moves only when the client sleeps."""

    def __init__(self) -> None:
        self.now = 1_000.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def settings(server: HTTPServer, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "finnhub_api_key": KEY, "finnhub_base_url": server.url_for("").rstrip("/"),
        "finnhub_symbols": ["AAPL", "crypto:BTC", "fx:EURUSD"], "finnhub_news_categories": ["general"],
        **extra,
    }  # fmt: skip
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def source(server: HTTPServer, clock: FakeClock | None = None, **extra: Any) -> FinnhubSource:
    clock = clock or FakeClock()
    client = HttpClient(
        "finnhub", headers={"X-Finnhub-Token": KEY}, sleep=clock.sleep, clock=lambda: clock.now
    )
    return FinnhubSource(settings(server, **extra), client, load_universe())


def serve_all(
    server: HTTPServer, candles: Response | None = None
) -> dict[str, list[dict[str, str]]]:
    """Every endpoint; returns the query parameters each path was asked with."""
    asked: dict[str, list[dict[str, str]]] = {}

    def handler(request: Request) -> Response:
        assert request.headers.get("X-Finnhub-Token") == KEY
        asked.setdefault(request.path, []).append(dict(request.args))
        if request.path == "/news":
            return reply(
                "news_general_after_mark.json" if "minId" in request.args else "news_general.json"
            )
        if request.path == "/company-news":
            return reply("company_news_aapl.json")
        if candles is not None and request.path.endswith("/candle"):
            return candles
        return reply({"/stock/candle": "stock_candle_aapl.json", "/crypto/candle": "crypto_candle_btc.json"}
                     .get(request.path, "candle_no_data.json"))  # fmt: skip

    server.expect_request(re.compile(".*")).respond_with_handler(handler)
    return asked


def lines(pages: list[Page]) -> list[bytes]:
    return [line for page in pages for line in page.lines]


def items(pages: list[Page]) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in lines(pages)]


def test_first_run_lands_news_and_candles_that_normalize(httpserver: HTTPServer) -> None:
    asked = serve_all(httpserver)
    pages = list(source(httpserver).fetch({}, until=UNTIL))
    landed = items(pages)
    news = [i["item"]["id"] for i in landed if i["context"]["feed"] == "news"]
    assert news == [7130451, 7130457, 128774001, 128774322]  # the 13:00 item is after noon
    docs = normalize_documents("finnhub", lines(pages))
    assert docs.table.num_rows == 4 and not docs.quarantined
    row = {r["doc_id"]: r for r in docs.table.to_pylist()}["finnhub:7130457"]
    assert row["channel"] == "Bloomberg" and row["kind"] == "news"
    assert row["created_at"] == datetime(2026, 3, 2, 10, 10, tzinfo=UTC)
    bars = normalize_prices("finnhub", lines(pages)).table.to_pylist()
    assert {b["asset_id"] for b in bars} == {"stock:AAPL", "crypto:BTC"}  # EURUSD: no_data
    assert all(b["interval"] == "1h" and b["source"] == "finnhub" for b in bars) and len(bars) == 9
    assert asked["/crypto/candle"][0]["symbol"] == "BINANCE:BTCUSDT"
    assert asked["/forex/candle"][0]["symbol"] == "OANDA:EUR_USD"
    assert asked["/company-news"][0] == {"symbol": "AAPL", "from": "2026-03-01", "to": "2026-03-02"}
    cursor = pages[-1].cursor
    assert cursor["news"] == {"general": 7130457}
    assert cursor["company"]["AAPL"] == {"from": "2026-03-02", "ids": [128774322]}
    assert cursor["prices"]["stock:AAPL"] == 1772438400 + 3 * 3600


def test_a_second_run_asks_from_the_marks_and_drops_repeated_company_news(
    httpserver: HTTPServer,
) -> None:
    asked = serve_all(httpserver)
    finnhub = source(httpserver)
    first = list(finnhub.fetch({}, until=UNTIL))
    second = list(finnhub.fetch(first[-1].cursor, until=UNTIL))
    assert [i["item"]["id"] for i in items(second)] == [7130460]  # only the news after the mark
    assert asked["/news"][1]["minId"] == "7130457"
    assert int(asked["/stock/candle"][1]["from"]) > int(asked["/stock/candle"][0]["from"])


def test_premium_candles_refused_keep_the_news_and_say_why(httpserver: HTTPServer) -> None:
    serve_all(httpserver, candles=reply("premium_required.json", status=403))
    pages = list(source(httpserver).fetch({}, until=UNTIL))
    assert len(items(pages)) == 4 and all(i["context"]["feed"] == "news" for i in items(pages))
    error = pages[-1].cursor["health"]["prices"]["last_error"]
    assert "prices unavailable for this key" in error and "access to this resource" in error


def test_a_crash_between_pages_neither_loses_nor_repeats_news(httpserver: HTTPServer) -> None:
    serve_all(httpserver)
    walk = source(httpserver).fetch({}, until=UNTIL)
    first = next(walk)  # the market news page is landed, then the process dies
    stored = json.loads(json.dumps(first.cursor))
    rest = list(source(httpserver).fetch(stored, until=UNTIL))
    ids = [i["item"]["id"] for i in items([first, *rest]) if i["context"]["feed"] == "news"]
    assert ids.count(7130457) == 1 and 128774322 in ids and len(ids) == len(set(ids))


def test_a_429_waits_for_retry_after(httpserver: HTTPServer) -> None:
    answers = [Response("{}", status=429, headers={"Retry-After": "3"}), reply("news_general.json")]
    httpserver.expect_request("/news").respond_with_handler(lambda _: answers.pop(0))
    clock = FakeClock()
    client = HttpClient("finnhub", sleep=clock.sleep, clock=lambda: clock.now, min_interval=1.0)
    finnhub = FinnhubSource(settings(httpserver, finnhub_symbols=[]), client, load_universe())
    pages = list(finnhub.fetch({}, until=UNTIL))
    assert len(items(pages)) == 2
    assert clock.sleeps == [3]  # the Retry-After wait already covers the pacing interval


def test_pacing_spaces_calls_to_the_plan(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/quote").respond_with_response(reply("quote_aapl.json"))
    clock = FakeClock()
    client = HttpClient("finnhub", sleep=clock.sleep, clock=lambda: clock.now, min_interval=1.0)
    finnhub = FinnhubSource(settings(httpserver), client, load_universe())
    for _ in range(3):
        assert finnhub.check() == "quote AAPL: 229.5"
    assert clock.sleeps == [pytest.approx(1.0), pytest.approx(1.0)]


def test_a_refused_key_is_an_auth_error_without_the_key(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/news").respond_with_response(reply("invalid_key.json", status=401))
    with pytest.raises(AuthError) as refused:
        list(source(httpserver).fetch({}, until=UNTIL))
    assert KEY not in str(refused.value) and "401" in str(refused.value)


def test_credentials_and_build() -> None:
    assert missing_credentials(Settings(_env_file=None)) == ["FINNHUB_API_KEY"]  # type: ignore[call-arg]
    configured = Settings(_env_file=None, finnhub_api_key=KEY)  # type: ignore[call-arg]
    assert missing_credentials(configured) == []
    built = build(configured)
    assert built.client.min_interval == 1.0 and [a.asset_id for a in built.assets][:2] == [
        "stock:AAPL", "stock:MSFT",
    ]  # fmt: skip
