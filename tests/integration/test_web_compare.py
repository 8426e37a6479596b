"""The compare page: two to five assets' rebased prices and sentiment on one chart."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.web_helpers import OPEN_TIERS
from tickerpulse.config import Settings
from tickerpulse.web.app import create_app

from .test_web_queries import BTC_CLOSES, TSLA_CLOSES, seed_marts


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    seed_marts(engine)
    with TestClient(create_app(Settings(_env_file=None, tier_overrides=OPEN_TIERS), engine)) as c:  # type: ignore[call-arg]
        yield c


def figure(html: str) -> dict:
    found = re.search(
        r'<script type="application/json" id="compare-figure">(.*?)</script>', html, re.S
    )
    assert found, "no chart on the page"
    return json.loads(found.group(1))


def test_prices_are_rebased_to_100_and_sentiment_shares_the_time_axis(client: TestClient) -> None:
    fig = figure(client.get("/compare?assets=TSLA, crypto:BTC").text)
    prices = {t["name"]: t["y"] for t in fig["data"] if t["yaxis"] == "y"}
    assert prices["TSLA"][0] == 100 and prices["BTC"][0] == 100
    assert prices["TSLA"][-1] == pytest.approx(TSLA_CLOSES[-1] / TSLA_CLOSES[0] * 100, rel=1e-4)
    assert prices["BTC"][-1] == pytest.approx(BTC_CLOSES[-1] / BTC_CLOSES[0] * 100, rel=1e-4)
    sentiment = [t for t in fig["data"] if t["yaxis"] == "y2"]
    assert {t["name"] for t in sentiment} == {"TSLA", "BTC"}
    assert fig["layout"]["yaxis"]["title"]["text"] == "Price (first window = 100)"
    assert "(UTC)" in fig["layout"]["title"]["text"]


def test_unknown_names_too_many_and_too_few_are_explained(client: TestClient) -> None:
    html = client.get("/compare?assets=TSLA,NOPE").text
    assert (
        "Not tracked: NOPE" in html and "Name at least two assets to compare (TSLA so far)" in html
    )
    crowded = client.get("/compare?assets=TSLA,BTC,ETH,AAPL,MSFT,NVDA")
    assert crowded.status_code == 422
    assert "At most 5 assets at a time: you named 6." in crowded.text
    assert "Name at least two assets" in client.get("/compare").text


def test_charts_carry_a_readable_label_for_screen_readers(client: TestClient) -> None:
    assert (
        'aria-label="TSLA: price candles per 6-hour window' in client.get("/asset/stock:TSLA").text
    )
    compare = client.get("/compare?assets=TSLA,BTC").text
    assert (
        'aria-label="Rebased prices and social sentiment of TSLA, BTC per 6-hour window"' in compare
    )
