"""The trending and asset pages over seeded marts in a real embedded Postgres."""

import json
import re
from collections.abc import Iterator
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine

from tests.integration.test_web_queries import BTC_CLOSES, TSLA_CLOSES, seed_marts
from tests.web_helpers import OPEN_TIERS
from tickerpulse.config import Settings
from tickerpulse.db.marts import sync_assets
from tickerpulse.universe import load_universe
from tickerpulse.web.app import create_app

HTML = {"accept": "text/html"}


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    seed_marts(engine)
    with TestClient(create_app(Settings(_env_file=None, tier_overrides=OPEN_TIERS), engine)) as c:
        yield c


def table_rows(html: str) -> list[str]:
    body = html[html.index("<tbody>") : html.index("</tbody>")]
    return re.findall(r"<tr>(.*?)</tr>", body, re.S)


def figure(html: str) -> dict:
    found = re.search(
        r'<script type="application/json" id="asset-figure">(.*?)</script>', html, re.S
    )
    assert found, "no figure on the page"
    return json.loads(found.group(1))


def test_trending_orders_by_mentions_with_rank_change_sentiment_and_return(
    client: TestClient,
) -> None:
    response = client.get("/")
    assert response.status_code == 200
    btc, tsla, eth, eur = table_rows(response.text)
    assert (
        "crypto:BTC" in btc and "stock:TSLA" in tsla and "crypto:ETH" in eth and "fx:EURUSD" in eur
    )
    assert "▲1" in btc and "up 1" in btc
    assert "▼1" in tsla and "down 1" in tsla
    assert ">new<" in eth
    assert "+0.62" in btc and "s-bullish" in btc and ">bullish<" in btc and "70 % bull" in btc
    assert "-0.41" in tsla and ">somewhat-bearish<" in tsla and "60 % bear" in tsla
    assert "+2.00 %" in btc and "-4.00 %" in tsla and "–" in eur
    assert ">120<" in btc and ">70<" in tsla


def test_trending_links_each_asset_and_draws_a_sparkline_from_its_closes(
    client: TestClient,
) -> None:
    btc, tsla, eth, _ = table_rows(client.get("/").text)
    assert '<a href="/asset/crypto:BTC"><strong>BTC</strong></a>' in btc
    assert '<a href="/asset/stock:TSLA">' in tsla
    assert '<svg class="spark"' in btc and f"over the last {len(BTC_CLOSES)} windows" in btc
    assert "#0a7d38" in btc  # BTC ended the week higher: green
    assert "#b42318" in tsla  # TSLA ended lower: red
    assert "<svg" not in eth  # no prices, no line


def test_trending_says_which_window_and_when_it_was_published(client: TestClient) -> None:
    html = client.get("/").text
    assert "2026-03-03 12:00–18:00 UTC" in html
    assert 'data-start="2026-03-03T12:00:00Z" data-end="2026-03-03T18:00:00Z"' in html
    assert "Published 2026-03-03 18:04 UTC" in html


def test_trending_filters_by_asset_class(client: TestClient) -> None:
    html = client.get("/", params={"class": "crypto"}).text
    rows = table_rows(html)
    assert len(rows) == 2 and "crypto:BTC" in rows[0] and "crypto:ETH" in rows[1]
    assert "stock:TSLA" not in html
    assert '<option value="crypto" selected>' in html
    assert "same rank" in rows[0]  # first among crypto in both windows
    assert "No etf asset was mentioned" in client.get("/", params={"class": "etf"}).text
    assert len(table_rows(client.get("/", params={"class": "bogus"}).text)) == 4


def test_asset_page_figure_holds_the_seeded_prices_sentiment_and_mentions(
    client: TestClient,
) -> None:
    response = client.get("/asset/stock:TSLA")
    assert response.status_code == 200
    fig = figure(response.text)
    candles, social, news, social_n, news_n = fig["data"]
    assert candles["type"] == "candlestick"
    assert candles["close"] == [c for c in TSLA_CLOSES if c is not None]
    assert candles["x"][-1] == "2026-03-03 12:00"
    assert social["y"][-2:] == [-0.1, -0.5] and news["y"][-2:] == [-0.35, -0.3]
    assert social_n["y"][-1] == 40 and news_n["y"][-1] == 30
    assert len(social["x"]) == len(TSLA_CLOSES)  # the window without a price is still there
    layout = fig["layout"]
    assert "UTC" in layout["xaxis"]["title"]["text"]
    assert layout["yaxis"]["title"]["text"] == "Price (USD)"
    assert layout["yaxis2"]["range"] == [-1, 1]
    # /static/site.js draws each <name>-figure into its <name>-chart (no inline script)
    assert '<div id="asset-chart"' in response.text and "/static/site.js" in response.text


def test_asset_page_lists_sources_and_newest_documents_first(client: TestClient) -> None:
    html = client.get("/asset/stock:TSLA").text
    breakdown = table_rows(html[html.index('id="breakdown-title"') :])
    assert [re.search(r"<td>(\w+)</td>", row).group(1) for row in breakdown] == [
        "news", "reddit", "x",
    ]  # fmt: skip
    docs = html[html.index('id="docs-title"') :]
    assert (
        docs.index("New TSLA news")
        < docs.index("TSLA &lt;b&gt;meh&lt;/b&gt;")
        < docs.index("Old TSLA news")
    )
    assert "BTC only" not in docs
    assert "javascript:" not in html  # a non-http link is not rendered
    assert 'href="https://example.com/new"' in docs
    assert ">bullish<" in docs and ">bearish<" in docs


def test_asset_page_headline_shows_the_latest_window(client: TestClient) -> None:
    html = unescape(client.get("/asset/stock:TSLA").text)
    assert "Latest window:" in html and "2026-03-03 12:00–18:00 UTC" in html
    assert "240.00" in html and "-4.00 %" in html


def test_bare_symbol_redirects_to_the_asset_id(client: TestClient) -> None:
    response = client.get("/asset/tsla", follow_redirects=False)
    assert response.status_code == 307 and response.headers["location"] == "/asset/stock:TSLA"
    assert client.get("/asset/BTC").url.path == "/asset/crypto:BTC"


def test_unknown_asset_is_a_404_page_that_says_so(client: TestClient) -> None:
    for path in ("/asset/NOPE", "/asset/stock:NOPE"):
        response = client.get(path)
        assert response.status_code == 404
        assert "No asset called" in unescape(response.text) and 'href="/"' in response.text


def test_unknown_path_is_html_for_browsers_and_json_otherwise(client: TestClient) -> None:
    page = client.get("/nowhere", headers=HTML)
    assert page.status_code == 404 and "There is no page at /nowhere" in page.text
    api = client.get("/nowhere")
    assert api.status_code == 404 and api.json() == {"detail": "Not Found"}


def test_asset_without_data_says_so(client: TestClient) -> None:
    html = client.get("/asset/stock:AAPL").text
    assert "No prices or mentions of AAPL have been published" in html
    assert "asset-figure" not in html and "plotly.min.js" not in html


def test_empty_database_pages_say_why_there_is_no_data(engine: Engine) -> None:
    sync_assets(engine, load_universe())
    with TestClient(create_app(Settings(_env_file=None, tier_overrides=OPEN_TIERS), engine)) as c:
        for path in ("/", "/asset/stock:AAPL"):
            response = c.get(path)
            assert response.status_code == 200
            assert "No cycle has been published yet" in response.text
            # customers are not told commands; operators see them (test_site_words.py)
            assert "make demo" not in response.text and "tickerpulse cycle" not in response.text
        assert c.get("/healthz").json() == {"status": "ok", "latest_window": None}


def test_healthz_reports_the_latest_window(client: TestClient) -> None:
    assert client.get("/healthz").json() == {
        "status": "ok", "latest_window": "2026-03-03T12:00:00Z",
    }  # fmt: skip


def test_times_stay_utc_whatever_the_database_session_time_zone(database_url: str) -> None:
    tokyo = create_engine(database_url, connect_args={"options": "-c TimeZone=Asia/Tokyo"})
    try:
        seed_marts(tokyo)
        with TestClient(
            create_app(Settings(_env_file=None, tier_overrides=OPEN_TIERS), tokyo)
        ) as c:
            assert "2026-03-03 12:00–18:00 UTC" in c.get("/").text
            assert figure(c.get("/asset/stock:TSLA").text)["data"][0]["x"][-1] == "2026-03-03 12:00"
    finally:
        tokyo.dispose()


def test_plotly_is_the_local_finance_bundle_fingerprinted_and_gzipped(client: TestClient) -> None:
    html = client.get("/asset/stock:TSLA").text
    src = re.search(r'<script src="(/static/plotly-finance\.min\.js\?v=[0-9a-f]{16})" defer>', html)
    assert src, "the asset page loads the local partial plotly bundle"
    raw = client.get(src.group(1), headers={"accept-encoding": "identity"})
    assert raw.status_code == 200 and "javascript" in raw.headers["content-type"]
    assert raw.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert raw.content.startswith(b"/**") and 1_000_000 < len(raw.content) < 1_500_000
    assert b"candlestick" in raw.content  # the finance bundle draws our candles
    packed = client.get(src.group(1), headers={"accept-encoding": "gzip"})
    assert packed.headers["content-encoding"] == "gzip"
    assert int(packed.headers["content-length"]) < 500_000 and packed.content == raw.content
    # without the current hash the file may be kept but must be revalidated
    stale = client.get("/static/plotly-finance.min.js?v=old")
    assert stale.headers["cache-control"] == "no-cache"
    again = client.get(src.group(1), headers={"if-none-match": raw.headers["etag"]})
    assert again.status_code == 304 and not again.content
    for page in ("/", "/asset/stock:TSLA", "/asset/stock:AAPL"):
        assert "cdn." not in client.get(page).text.lower()


def test_pages_css_and_scripts_are_fingerprinted_and_the_favicon_is_an_svg(
    client: TestClient,
) -> None:
    html = client.get("/").text
    for name in ("site.css", "site.js", "favicon.svg"):
        url = re.search(rf'"(/static/{re.escape(name)}\?v=[0-9a-f]{{16}})"', html)
        assert url, f"{name} is linked with its content hash"
        answer = client.get(url.group(1))
        assert answer.status_code == 200 and "immutable" in answer.headers["cache-control"]
    icon = client.get("/favicon.ico")  # follows the redirect to the SVG
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/svg+xml"
    assert client.get("/static/nothing.js").status_code == 404


def test_pages_and_api_answers_are_gzipped_when_the_client_accepts_it(client: TestClient) -> None:
    page = client.get("/asset/stock:TSLA", headers={"accept-encoding": "gzip"})
    assert page.headers["content-encoding"] == "gzip" and "<html" in page.text
    assert int(page.headers["content-length"]) < len(page.content) / 2
    plain = client.get("/asset/stock:TSLA", headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.text == page.text


def test_trending_period_and_source_filters_change_the_ranking_and_labels(
    client: TestClient,
) -> None:
    day = client.get("/?period=24h").text
    assert "over the last 24 h" in day and "Return (24 h)" in day
    assert 'value="24h" selected' in day
    reddit = client.get("/?source=reddit").text
    rows = table_rows(reddit)
    assert len(rows) == 1 and "TSLA" in rows[0] and "on reddit" in reddit
    fallback = client.get("/?period=1y&source=myspace").text
    assert "over the last 6 h" in fallback and 'value="" selected' in fallback
