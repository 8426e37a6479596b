"""Movers, overview and authors through the real app, for every kind of reader, and their API."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.integration.insight_world import ECHO, LAST, SAGE, SPAMMER, WINDOWS, publish_world
from tests.integration.test_api import new_key
from tests.web_helpers import CACHES, HTML, add_user, platform_settings, sign_in
from tickerpulse.web.app import create_app

READERS = ("anonymous", "free", "pro", "premium")


@pytest.fixture
def world(engine: Engine) -> Engine:
    publish_world(engine)
    for tier in READERS[1:]:
        add_user(engine, f"{tier}@example.com", tier=tier)
    return engine


def reader(engine: Engine, who: str, cache_seconds: float = 0) -> TestClient:
    client = TestClient(create_app(platform_settings(page_cache_seconds=cache_seconds), engine))
    if who != "anonymous":
        sign_in(client, f"{who}@example.com")
    return client


def body_rows(html: str) -> list[str]:
    body = html[html.index("<tbody>") : html.index("</tbody>")]
    return re.findall(r"<tr>(.*?)</tr>", body, re.S)


@CACHES
@pytest.mark.parametrize("who", READERS)
def test_movers_free_readers_get_the_top_10_a_day_behind_pro_and_up_every_one_live(
    world: Engine, who: str, cache_seconds: float
) -> None:
    with reader(world, who, cache_seconds) as client:
        page = client.get("/movers", headers=HTML)
    assert page.status_code == 200
    rows = body_rows(page.text)
    if who in ("anonymous", "free"):
        assert len(rows) == 10 and "a day behind" in page.text
        assert LAST.strftime("%Y-%m-%d %H:%M") not in page.text
    else:
        assert len(rows) == 12 and "a day behind" not in page.text
        assert "crypto:BTC" in rows[0]  # the spike ranks first by mention z-score
        assert LAST.strftime("%Y-%m-%d %H:%M") in page.text


def test_movers_sort_by_sentiment_change_and_filter_by_class(world: Engine) -> None:
    with reader(world, "pro") as client:
        by_tone = body_rows(client.get("/movers?sort=sentiment_change", headers=HTML).text)
        crypto = body_rows(client.get("/movers?class=crypto", headers=HTML).text)
        odd = client.get("/movers?sort=<script>&class=nope", headers=HTML)
    with reader(world, "free") as client:
        capped = body_rows(client.get("/movers?show=all", headers=HTML).text)
    assert len(capped) == 10
    assert "crypto:BTC" in by_tone[0]
    assert len(crypto) == 4 and all("crypto:" in r for r in crypto)
    assert odd.status_code == 200 and "<script>" not in odd.text.split("<main", 1)[1]


@pytest.mark.parametrize("who", READERS)
def test_overview_is_for_everyone_with_a_linked_tile_per_asset_and_a_legend(
    world: Engine, who: str
) -> None:
    with reader(world, who) as client:
        page = client.get("/overview", headers=HTML)
    assert page.status_code == 200
    svg = page.text[page.text.index('<svg class="treemap"') : page.text.index("</svg>")]
    assert len(re.findall(r'<a href="/asset/[\w:]+"', svg)) == 12
    assert "bullish (≥ +0.50)" in unescape(page.text) and "no score" in page.text
    spike = 'aria-label="BTC (crypto): 90 mentions, sentiment -0.50"'
    if who in ("anonymous", "free"):
        assert "a day behind" in page.text and spike not in svg
    else:
        assert spike in svg and "#b35806" in svg  # BTC's bearish swing is drawn dark orange


@pytest.mark.parametrize("who", READERS)
def test_authors_are_premium_and_pro_readers_see_what_they_would_get(
    world: Engine, who: str
) -> None:
    with reader(world, who) as client:
        ranking = client.get("/authors", headers=HTML)
        on_btc = client.get("/asset/crypto:BTC/authors", headers=HTML)
    if who != "premium":
        for page in (ranking, on_btc):
            assert page.status_code == 403
            assert "comes with the Premium plan" in page.text or "Premium" in page.text
            assert SAGE not in page.text
        if who == "pro":
            assert "honest record" in ranking.text
        return
    assert ranking.status_code == 200 and on_btc.status_code == 200
    rows = body_rows(ranking.text)
    assert SAGE in rows[0] and "100 %" in rows[0]
    assert ECHO in rows[-1] and "0 %" in rows[-1]
    assert SPAMMER not in ranking.text and SPAMMER not in on_btc.text
    assert SAGE in on_btc.text and "too few calls" in on_btc.text  # the newbie


def test_the_api_gives_the_numbers_the_pages_show(world: Engine) -> None:
    with reader(world, "premium") as client:
        auth = {"authorization": f"Bearer {new_key(client)}"}
        movers = client.get("/api/v1/movers", headers=auth).json()
        page = body_rows(client.get("/movers", headers=HTML).text)
        overview = client.get("/api/v1/overview", headers=auth).json()
        authors = client.get("/api/v1/authors", headers=auth).json()
        on_btc = client.get("/api/v1/assets/BTC/authors", headers=auth).json()
        missing = client.get("/api/v1/assets/NOPE/authors", headers=auth)
        bad_sort = client.get("/api/v1/movers?sort=drop", headers=auth)
    assert [r["asset_id"] for r in movers["rows"]] == [
        re.search(r"/asset/([\w:]+)", row).group(1)  # type: ignore[union-attr]
        for row in page
    ]
    btc = movers["rows"][0]
    assert (
        f"{btc['mention_z']:+.1f}" in page[0] and f"{btc['share_of_voice'] * 100:.0f} %" in page[0]
    )
    assert len(overview["tiles"]) == 12
    assert authors["rows"][0]["author"] == SAGE and authors["rows"][0]["hit_rate"] == 1.0
    assert authors["rows"][0]["calls"] == len(WINDOWS) - 1
    assert on_btc["asset_id"] == "crypto:BTC" and SAGE in {r["author"] for r in on_btc["rows"]}
    assert missing.status_code == 404 and bad_sort.status_code == 422


@pytest.fixture
def empty_site(engine: Engine) -> Iterator[TestClient]:
    add_user(engine, "premium@example.com", tier="premium")
    with reader(engine, "premium") as client:
        yield client


def test_the_pages_say_so_before_the_first_cycle(empty_site: TestClient) -> None:
    for path in ("/movers", "/overview"):
        page = empty_site.get(path, headers=HTML)
        assert page.status_code == 200 and "No cycle has been published yet" in page.text
    assert "No author has" in empty_site.get("/authors", headers=HTML).text


def test_the_pricing_page_lists_movers_overview_and_authors_by_plan(world: Engine) -> None:
    with reader(world, "anonymous") as client:
        page = unescape(client.get("/pricing", headers=HTML).text)
    plans = {m.group(1): m.group(2) for m in re.finditer(
        r'<h2 id="plan-(\w+)">.*?<ul>(.*?)</ul>', page, re.S)}  # fmt: skip
    assert "Top 10 movers and the market overview, 24 h delayed" in plans["free"]
    assert "Every mover with live windows" in plans["pro"]
    assert "Authors' track records" not in plans["pro"]
    assert "Authors' track records" in plans["premium"]
