"""A whole cycle on real connectors against local servers: news lands, one broken source doesn't stop it."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pytest_httpserver import HTTPServer
from sqlalchemy import Engine, text

from tests.integration.sources.test_alphavantage import UNTIL, serve
from tests.integration.sources.test_alphavantage import source as av_source
from tickerpulse.config import Settings
from tickerpulse.db.state import ledger
from tickerpulse.domain import Window
from tickerpulse.jobs.cycle import run_cycle
from tickerpulse.sources.finnhub import FinnhubSource
from tickerpulse.sources.http import HttpClient
from tickerpulse.sources.outlets import Outlet
from tickerpulse.sources.rss import RssSource
from tickerpulse.universe import load_universe

from .cycle_helpers import make_context

FIXTURES = Path(__file__).parents[1] / "fixtures" / "news"
WINDOW = Window.containing(datetime(2026, 11, 24, 7, tzinfo=UTC))


def feed_source(server: HTTPServer, *outlets: str) -> RssSource:
    catalog = [
        Outlet(o, o.title(), server.url_for(f"/{o}"), "en", "us", ("stocks",), True)
        for o in outlets
    ]
    return RssSource(catalog, HttpClient("news", sleep=lambda _: None), now=lambda: WINDOW.end)


def test_news_from_real_feeds_reaches_the_marts(
    engine: Engine, lake_dir: Path, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/wire").respond_with_data(
        (FIXTURES / "markets.rss.xml").read_bytes()
    )
    httpserver.expect_request("/desk").respond_with_data(
        (FIXTURES / "crypto.atom.xml").read_bytes()
    )
    sources = {"news": feed_source(httpserver, "wire", "desk")}
    report = run_cycle(make_context(engine, str(lake_dir), None, sources), WINDOW)  # type: ignore[arg-type]
    assert report.stages["land"]["counts"]["news"] == 4
    with engine.connect() as conn:
        docs = dict(conn.execute(text("SELECT title, channel FROM mart_document")).all())
        tagged = {row[0] for row in conn.execute(text("SELECT asset_id FROM mart_document_asset"))}
    assert docs["Nvidia shares climb after record data-center revenue"] == "wire"
    assert docs["Solana developers ship fee-market upgrade to mainnet"] == "desk"
    assert {"stock:NVDA", "fx:EURUSD", "crypto:BTC", "crypto:SOL"} <= tagged


def test_a_source_serving_html_is_ledgered_and_the_others_publish(
    engine: Engine, lake_dir: Path, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/wire").respond_with_data(
        (FIXTURES / "markets.rss.xml").read_bytes()
    )
    httpserver.expect_request("/login").respond_with_data(
        (FIXTURES / "not-a-feed.html").read_bytes(), content_type="text/html"
    )
    sources = {
        "news": feed_source(httpserver, "wire"),
        "telegram": feed_source(httpserver, "login"),
    }
    report = run_cycle(make_context(engine, str(lake_dir), None, sources), WINDOW)  # type: ignore[arg-type]
    land = report.stages["land"]["counts"]
    assert "did not return an RSS/Atom feed" in land["errors"]["telegram"]
    assert land["news"] == 3
    assert report.stages["publish"]["status"] == "ok"
    assert any(row.stage == "land" for row in ledger(engine, limit=10))


def test_finnhub_articles_and_candles_reach_their_marts(
    engine: Engine, lake_dir: Path, httpserver: HTTPServer
) -> None:
    finnhub_fixtures = FIXTURES.parent / "finnhub"
    window = Window.containing(datetime(2026, 3, 2, 6, tzinfo=UTC))  # 06:00-12:00 UTC
    bodies = {
        "/news": "news_general.json", "/company-news": "company_news_aapl.json",
        "/stock/candle": "stock_candle_aapl.json",
    }  # fmt: skip
    for path, name in bodies.items():
        httpserver.expect_request(path).respond_with_data(
            (finnhub_fixtures / name).read_bytes(), content_type="application/json"
        )
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        finnhub_base_url=httpserver.url_for("").rstrip("/"),
        finnhub_symbols=["AAPL"], finnhub_news_categories=["general"],
    )  # fmt: skip
    finnhub = FinnhubSource(settings, HttpClient("finnhub", sleep=lambda _: None), load_universe())
    ctx = dataclasses.replace(
        make_context(engine, str(lake_dir), None, {"finnhub": finnhub}),  # type: ignore[arg-type]
        price_sources=("finnhub",),
    )
    report = run_cycle(ctx, window)
    assert report.stages["publish"]["status"] == "ok"
    with engine.connect() as conn:
        docs = conn.execute(
            text("SELECT channel, source, kind FROM mart_document ORDER BY channel")
        ).all()
        price = conn.execute(
            text("SELECT source, bars, close FROM mart_price_window WHERE asset_id = 'stock:AAPL'")
        ).one()
    # 06:00-12:00 holds the 09:00, 10:10 and 11:00 articles; the day-old company item is earlier
    assert [tuple(d) for d in docs] == [
        ("Bloomberg", "finnhub", "news"), ("CNBC", "finnhub", "news"), ("Yahoo", "finnhub", "news"),
    ]  # fmt: skip
    assert tuple(price) == ("finnhub", 6, 229.5)


def test_alpha_vantage_articles_keep_its_published_sentiment_beside_ours(
    engine: Engine, lake_dir: Path, httpserver: HTTPServer
) -> None:
    serve(httpserver)
    window = Window.containing(UNTIL - timedelta(hours=1))  # 06:00-12:00 UTC, 2 March
    ctx = make_context(engine, str(lake_dir), None, {"alphavantage": av_source(httpserver)})  # type: ignore[dict-item]
    assert run_cycle(ctx, window).stages["publish"]["status"] == "ok"
    with engine.connect() as conn:
        docs = conn.execute(
            text(
                "SELECT channel, provider_sentiment, sentiment_score FROM mart_document"
                " WHERE source = 'alphavantage' ORDER BY channel"
            )
        ).all()
    assert [(channel, theirs) for channel, theirs, _ in docs] == [
        ("Benzinga", 0.21), ("CoinDesk", 0.21), ("Reuters", 0.21),
    ]  # fmt: skip
    assert all(ours is not None for _, _, ours in docs)
