from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from tickerpulse.config import Settings
from tickerpulse.db.marts import sync_assets
from tickerpulse.db.models import MartAssetWindow, MartDocument, MartDocumentAsset, MartPriceWindow
from tickerpulse.universe import load_universe
from tickerpulse.web.app import create_app

LATEST = datetime(2026, 3, 3, 12, tzinfo=UTC)
PREVIOUS = LATEST - timedelta(hours=6)


def stat(
    window: datetime, asset_id: str, mentions: int, sentiment: float, **kw: object
) -> MartAssetWindow:
    return MartAssetWindow(
        window_start=window, asset_id=asset_id, source_class=kw.get("source_class", "all"),
        source=kw.get("source", "all"), mentions=mentions, unique_authors=mentions,
        sentiment_mean=sentiment, bull_share=0.5, bear_share=0.2, dispersion=0.3,
    )  # fmt: skip


def price(window: datetime, asset_id: str, close: float, ret: float) -> MartPriceWindow:
    return MartPriceWindow(
        window_start=window, asset_id=asset_id, open=close / (1 + ret), high=close * 1.01,
        low=close * 0.98, close=close, volume=1000.0, bars=6, prev_close=close / (1 + ret),
        return_pct=ret,
    )  # fmt: skip


@pytest.fixture
def seeded(engine: Engine) -> Engine:
    sync_assets(engine, load_universe())
    with Session(engine) as s:
        s.add_all([
            stat(PREVIOUS, "crypto:BTC", 50, 0.1), stat(PREVIOUS, "stock:TSLA", 80, -0.2),
            stat(LATEST, "crypto:BTC", 120, 0.62), stat(LATEST, "stock:TSLA", 70, -0.41),
            stat(LATEST, "fx:EURUSD", 5, 0.0),
            stat(LATEST, "stock:TSLA", 40, -0.5, source_class="social", source="reddit"),
            stat(LATEST, "stock:TSLA", 30, -0.3, source_class="news", source="news"),
            stat(LATEST, "stock:TSLA", 40, -0.5, source_class="social", source="all"),
            price(PREVIOUS, "stock:TSLA", 250.0, 0.01), price(LATEST, "stock:TSLA", 240.0, -0.04),
            price(PREVIOUS, "crypto:BTC", 60000.0, 0.0), price(LATEST, "crypto:BTC", 61200.0, 0.02),
        ])  # fmt: skip
        for i, (title, label) in enumerate(
            [("Old TSLA news", "bearish"), ("New TSLA news", "bullish")]
        ):
            doc_id = f"news:reuters:{i}"
            s.add(MartDocument(
                doc_id=doc_id, window_start=LATEST, kind="news", source="news", channel="reuters",
                created_at=LATEST + timedelta(hours=i), title=title, text="body <b>x</b>",
                url="https://example.com", sentiment_score=0.5, sentiment_label=label,
            ))  # fmt: skip
            s.add(MartDocumentAsset(doc_id=doc_id, asset_id="stock:TSLA", window_start=LATEST,
                                    method="cashtag", relevance=0.8))  # fmt: skip
        s.commit()
    return engine


@pytest.fixture
def client(seeded: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(), seeded)) as c:
        yield c


def test_trending_orders_by_mentions_with_rank_change_sentiment_and_return(
    client: TestClient,
) -> None:
    html = client.get("/").text
    btc, tsla, eur = html.index("crypto:BTC"), html.index("stock:TSLA"), html.index("fx:EURUSD")
    assert btc < tsla < eur
    assert "▲1" in html and "▼1" in html  # BTC climbed past TSLA
    assert "+0.62" in html and "-0.41" in html
    assert "+2.00 %" in html and "-4.00 %" in html
    assert "2026-03-03 12:00–18:00 UTC" in html
    assert '<svg class="spark"' in html


def test_trending_filters_by_asset_class(client: TestClient) -> None:
    html = client.get("/", params={"class": "crypto"}).text
    assert "crypto:BTC" in html and "stock:TSLA" not in html


def test_asset_page_has_aligned_figure_breakdown_and_newest_documents_first(
    client: TestClient,
) -> None:
    html = client.get("/asset/stock:TSLA").text
    assert '"type": "candlestick"' in html and "240.0" in html and "-0.5" in html
    assert "Window start (UTC)" in html
    assert html.index("New TSLA news") < html.index("Old TSLA news")
    assert "reddit" in html
    assert "body &lt;b&gt;x&lt;/b&gt;" in html  # texts are escaped


def test_bare_symbol_redirects_and_unknown_asset_is_404(client: TestClient) -> None:
    response = client.get("/asset/tsla", follow_redirects=False)
    assert response.status_code == 307 and response.headers["location"] == "/asset/stock:TSLA"
    missing = client.get("/asset/NOPE")
    assert missing.status_code == 404 and "No asset called" in missing.text


def test_empty_database_shows_why_there_is_no_data(engine: Engine) -> None:
    sync_assets(engine, load_universe())
    with TestClient(create_app(Settings(), engine)) as c:
        assert "No cycle has been published yet" in c.get("/").text
        assert "have been published yet" in c.get("/asset/stock:AAPL").text
        assert c.get("/healthz").json() == {"status": "ok", "latest_window": None}


def test_plotly_is_served_locally_never_from_a_cdn(client: TestClient) -> None:
    js = client.get("/vendor/plotly.min.js")
    assert js.status_code == 200 and "javascript" in js.headers["content-type"]
    assert "max-age" in js.headers["cache-control"]
    for page in ("/", "/asset/stock:TSLA"):
        assert "cdn" not in client.get(page).text.lower()
