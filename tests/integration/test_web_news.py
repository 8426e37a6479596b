"""The news analytics page and its coverage query over seeded marts."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from tests.web_helpers import OPEN_TIERS
from tickerpulse.config import Settings
from tickerpulse.db.marts import sync_outlets
from tickerpulse.sources.outlets import load_outlets
from tickerpulse.web import queries
from tickerpulse.web.app import create_app

from .test_web_queries import LATEST, PREVIOUS, document, seed_marts


def seed_news(engine: Engine) -> None:
    seed_marts(engine)
    sync_outlets(engine, load_outlets())
    rows: list[object] = [
        *document("news:t1", "stock:TSLA", LATEST, LATEST, "bullish", channel="cnbc"),
        *document("news:t2", "stock:TSLA", LATEST, LATEST, "bearish", channel="reuters-business"),
        *document("news:b1", "crypto:BTC", LATEST, LATEST, "bullish", channel="coindesk"),
        *document("news:b2", "crypto:BTC", PREVIOUS, PREVIOUS, "bullish", channel="coindesk"),
        *document("news:e1", "crypto:ETH", LATEST, LATEST, "bearish", channel="coindesk"),
    ]  # fmt: skip
    with Session(engine) as session:
        session.add_all(rows)
        session.commit()


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    seed_news(engine)
    with TestClient(create_app(Settings(_env_file=None, tier_overrides=OPEN_TIERS), engine)) as c:  # type: ignore[call-arg]
        yield c


def section_rows(html: str, caption: str) -> list[str]:
    table = html[html.index(caption) :]
    body = table[table.index("<tbody>") : table.index("</tbody>")]
    return [
        re.sub(r"<[^>]+>|\s+", " ", r).strip() for r in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def test_coverage_counts_outlets_and_how_far_apart_their_tone_is(engine: Engine) -> None:
    seed_news(engine)
    with Session(engine) as session:
        rows = queries.news_coverage(session, since=LATEST)
    by_asset = {r.asset_id: r for r in rows}
    tsla, btc, eth = by_asset["stock:TSLA"], by_asset["crypto:BTC"], by_asset["crypto:ETH"]
    # TSLA: outlets at +0.7 and -0.7 (and the seeded reuters article) disagree
    assert tsla.outlets >= 2 and tsla.tone_spread is not None and tsla.tone_spread > 0.35
    assert (btc.articles, btc.outlets, btc.tone_spread) == (2, 2, 0.0)  # both bullish
    assert (eth.articles, eth.outlets, eth.tone_spread) == (1, 1, None)


def test_news_page_groups_by_region_with_a_chart_and_the_covered_assets(client: TestClient) -> None:
    html = client.get("/news?by=region&period=6h").text
    regions = section_rows(html, "Articles and tone by region")
    assert any(r.startswith("us ") for r in regions) and any(
        r.startswith("global ") for r in regions
    )
    found = re.search(
        r'<script type="application/json" id="news-figure">(.*?)</script>', html, re.S
    )
    assert found
    bars = json.loads(found.group(1))["data"][0]
    assert bars["orientation"] == "h" and sum(bars["x"]) == sum(int(r.split()[1]) for r in regions)
    assert "News articles by region, the latest window (UTC)" in found.group(1)
    coverage = section_rows(html, "Assets by news articles")
    assert any(r.startswith("TSLA") and "split" in r for r in coverage)
    assert any(r.startswith("BTC") and "agree" in r for r in coverage)
    assert any(r.startswith("ETH") and "one outlet" in r for r in coverage)


def test_a_longer_period_counts_older_windows_and_bad_parameters_fall_back(
    client: TestClient,
) -> None:
    week = section_rows(client.get("/news?by=outlet&period=7d").text, "Articles and tone by outlet")
    latest = section_rows(
        client.get("/news?by=outlet&period=6h").text, "Articles and tone by outlet"
    )
    counts = [
        next(r for r in rows if r.startswith("coindesk")).split()[1] for rows in (latest, week)
    ]
    assert counts == ["2", "3"]  # the week adds coindesk's article of the previous window
    fallback = client.get("/news?by=nonsense&period=1y").text
    assert "Articles and tone by outlet, last 24 h" in fallback


def test_the_news_page_says_why_it_is_empty(engine: Engine) -> None:
    with TestClient(create_app(Settings(_env_file=None, tier_overrides=OPEN_TIERS), engine)) as c:  # type: ignore[call-arg]
        assert "No cycle has been published yet" in c.get("/news").text
