"""The Alpha Vantage connector against a local server answering in Alpha Vantage's formats."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tickerpulse.config import Settings
from tickerpulse.enrich.normalize import normalize_documents, normalize_prices
from tickerpulse.sources.alphavantage import (
    AlphaVantageSource,
    av_ticker_sentiment,
    missing_credentials,
    runs_left_today,
)
from tickerpulse.sources.base import Cursor, Page, envelope
from tickerpulse.sources.http import HttpClient
from tickerpulse.universe import load_universe

FIXTURES = Path(__file__).parents[2] / "fixtures" / "alphavantage"
UNTIL = datetime(2026, 3, 2, 12, tzinfo=UTC)
NOON = datetime(2026, 3, 2, 12, 30, tzinfo=UTC)
KEY = "av-secret-key-42"
SERIES = {
    "TIME_SERIES_INTRADAY": "intraday_aapl.json",
    "DIGITAL_CURRENCY_DAILY": "digital_currency_daily_btc.json",
    "FX_DAILY": "fx_daily_eurusd.json",
}


def body(name: str) -> Response:
    return Response((FIXTURES / name).read_text(), content_type="application/json")


def serve(server: HTTPServer, overrides: dict[str, str] | None = None) -> list[dict[str, str]]:
    """Alpha Vantage's single endpoint; ``overrides`` maps a function to another fixture."""
    asked: list[dict[str, str]] = []

    def handler(request: Request) -> Response:
        args = dict(request.args)
        assert args.pop("apikey") == KEY
        asked.append(args)
        function = args["function"]
        name = (overrides or {}).get(function) or SERIES.get(function, "news_sentiment.json")
        return body(name)

    server.expect_request("/query").respond_with_handler(handler)
    return asked


def source(
    server: HTTPServer, *, now: datetime = NOON, priority: list[str] | None = None, **extra: Any
) -> AlphaVantageSource:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        alphavantage_api_key=KEY,
        alphavantage_base_url=server.url_for("/query"),
        alphavantage_symbols=["AAPL", "crypto:BTC", "fx:EURUSD"],
        **extra,
    )
    client = HttpClient("alphavantage", sleep=lambda _: None)
    av = AlphaVantageSource(settings, client, load_universe(), lambda: list(priority or []))
    av.now = lambda: now
    return av


def lines(pages: list[Page]) -> list[bytes]:
    return [line for page in pages for line in page.lines]


def stored(pages: list[Page]) -> Cursor:
    return json.loads(json.dumps(pages[-1].cursor))  # what the database keeps


def test_news_first_then_series_in_priority_order_all_normalized(httpserver: HTTPServer) -> None:
    asked = serve(httpserver)
    pages = list(source(httpserver, priority=["crypto:BTC"]).fetch({}, until=UNTIL))
    assert [a["function"] for a in asked] == [
        "NEWS_SENTIMENT", "DIGITAL_CURRENCY_DAILY", "TIME_SERIES_INTRADAY", "FX_DAILY",
    ]  # fmt: skip
    assert asked[0]["time_from"] == "20260302T0600" and asked[0]["tickers"].startswith("CRYPTO:BTC")
    docs = normalize_documents("alphavantage", lines(pages))
    assert docs.table.num_rows == 3 and not docs.quarantined  # the 12:45 item is after noon
    assert sorted(docs.table.column("channel").to_pylist()) == ["Benzinga", "CoinDesk", "Reuters"]
    bars = normalize_prices("alphavantage", lines(pages)).table.to_pylist()
    aapl = sorted((b["ts"], b["close"]) for b in bars if b["asset_id"] == "stock:AAPL")
    # US/Eastern 10:00 and 11:00 on 2 March (EST, UTC-5) are 15:00 and 16:00 UTC
    assert aapl == [
        (datetime(2026, 3, 2, 15, tzinfo=UTC), 228.4),
        (datetime(2026, 3, 2, 16, tzinfo=UTC), 229.0),
    ]
    eur = [b for b in bars if b["asset_id"] == "fx:EURUSD"]
    assert len(eur) == 2 and all(b["interval"] == "1d" and b["volume"] == 0 for b in eur)
    btc = {b["ts"].day: b for b in bars if b["asset_id"] == "crypto:BTC"}
    assert btc[2]["close"] == 64388.1 and btc[2]["volume"] == 1520.33
    cursor = stored(pages)
    assert cursor["budget"] == {"day": "2026-03-02", "used": 4}
    assert cursor["news"]["time_from"] == "20260302T1130"


def test_a_restart_keeps_the_budget_and_news_mark(httpserver: HTTPServer) -> None:
    asked = serve(httpserver)
    first = list(source(httpserver).fetch({}, until=UNTIL))
    again = list(source(httpserver).fetch(stored(first), until=UNTIL))
    assert asked[4]["time_from"] == "20260302T1130"
    news = [orjson.loads(x) for x in lines(again) if orjson.loads(x)["context"]["feed"] == "news"]
    assert news == []  # the 11:30 item at the mark is not landed twice
    assert stored(again)["budget"]["used"] == 8


def test_a_small_budget_is_shared_across_the_days_runs_and_resets_next_day(
    httpserver: HTTPServer,
) -> None:
    asked = serve(httpserver)
    early = datetime(2026, 3, 2, 0, 30, tzinfo=UTC)
    first = list(source(httpserver, now=early, alphavantage_daily_budget=3).fetch({}, until=early))
    assert [a["function"] for a in asked] == ["NEWS_SENTIMENT"]  # 3 left over 4 runs: 1 now
    late = datetime(2026, 3, 2, 18, 30, tzinfo=UTC)
    list(source(httpserver, now=late, alphavantage_daily_budget=3).fetch(stored(first), until=late))
    assert len(asked) == 3  # the last run of the day may spend what is left
    next_day = datetime(2026, 3, 3, 0, 30, tzinfo=UTC)
    pages = list(
        source(httpserver, now=next_day, alphavantage_daily_budget=3).fetch(
            stored(first), until=next_day
        )
    )
    assert stored(pages)["budget"] == {"day": "2026-03-03", "used": 1}
    assert [runs_left_today(datetime(2026, 3, 2, h, tzinfo=UTC)) for h in (0, 6, 12, 18)] == [
        4,
        3,
        2,
        1,
    ]


def test_a_note_body_with_http_200_stops_the_source_for_the_day(httpserver: HTTPServer) -> None:
    asked = serve(httpserver, {"NEWS_SENTIMENT": "note_limit.json"})
    pages = list(source(httpserver).fetch({}, until=UNTIL))
    cursor = stored(pages)
    assert len(asked) == 1 and cursor["budget"]["used"] == 25
    assert "25 requests per day" in cursor["health"]["limit"]["message"]
    list(source(httpserver).fetch(cursor, until=UNTIL))
    assert len(asked) == 1  # nothing more today


def test_an_information_body_is_a_limit_too(httpserver: HTTPServer) -> None:
    serve(httpserver, {"NEWS_SENTIMENT": "information_limit.json"})
    cursor = stored(list(source(httpserver).fetch({}, until=UNTIL)))
    assert "demo-key" in cursor["health"]["limit"]["message"]


def test_an_error_message_fails_one_request_and_the_others_go_on(httpserver: HTTPServer) -> None:
    asked = serve(httpserver, {"TIME_SERIES_INTRADAY": "error_message.json"})
    pages = list(source(httpserver).fetch({}, until=UNTIL))
    health = stored(pages)["health"]
    assert "Invalid API call" in health["stock:AAPL"]["last_error"]
    assert health["fx:EURUSD"]["last_error"] is None and len(asked) == 4
    assert KEY not in json.dumps(health)


def test_alpha_vantage_sentiment_is_kept_for_comparison() -> None:
    feed = json.loads((FIXTURES / "news_sentiment.json").read_text())["feed"]
    assert av_ticker_sentiment(feed[1]) == [
        {"ticker": "CRYPTO:BTC", "relevance": 0.83, "score": -0.21, "label": "Somewhat-Bearish"},
        {"ticker": "FOREX:USD", "relevance": 0.1, "score": 0.0, "label": "Neutral"},
    ]
    assert (
        av_ticker_sentiment({"ticker_sentiment": [{"ticker": "X", "relevance_score": "?"}]}) == []
    )


def test_alpha_vantage_published_score_lands_on_the_document_beside_ours() -> None:
    item = json.loads((FIXTURES / "news_sentiment.json").read_text())["feed"][0]
    odd = {"n/a": None, 3.0: None, None: None, "-0.4": -0.4, 0.21: 0.21}
    items = [
        {**item, "url": f"{item['url']}?{n}", "overall_sentiment_score": score}
        for n, score in enumerate(odd)
    ]
    docs = normalize_documents(
        "alphavantage",
        [envelope(i, fetched_at=NOON, context={"feed": "news"}) for i in items],
    )
    assert not docs.quarantined  # an odd published score never costs us the article
    by_url = {row["url"]: row["provider_sentiment"] for row in docs.table.to_pylist()}
    assert [by_url[i["url"]] for i in items] == list(odd.values())


def test_credentials() -> None:
    assert missing_credentials(Settings(_env_file=None)) == ["ALPHAVANTAGE_API_KEY"]  # type: ignore[call-arg]
    assert missing_credentials(Settings(_env_file=None, alphavantage_api_key=KEY)) == []  # type: ignore[call-arg]
