"""The Content-Security-Policy in a real browser: charts draw, the live page streams, nothing is refused."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from bench.serving import serving
from sqlalchemy import Engine

from tests.e2e.browser import BROWSER_MARKS, launch, sign_in
from tests.integration.test_web_queries import seed_marts
from tests.web_helpers import OPEN_TIERS, PASSWORD, add_user, platform_settings
from tickerpulse.streaming.bars import Bar
from tickerpulse.streaming.processor import upsert_live_bars
from tickerpulse.web.app import create_app

if TYPE_CHECKING:
    from playwright.sync_api import ConsoleMessage

pytestmark = BROWSER_MARKS
MINUTE_MS = 60_000
START_MS = 1_764_633_600_000


@pytest.fixture
def site(engine: Engine) -> Iterator[str]:
    seed_marts(engine)
    add_user(engine, "premium@example.com", tier="premium")
    bars = [
        Bar("AAPL", 60, START_MS + i * MINUTE_MS, 1.0, 2.0, 0.5, 1.5, 10.0, 1.2, 3, final=True)
        for i in range(5)
    ]
    with engine.begin() as conn:
        upsert_live_bars(conn, bars)
    with serving(create_app(platform_settings(tier_overrides=OPEN_TIERS), engine)) as base:
        yield base


def test_charts_and_the_live_stream_work_under_the_policy(site: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    refused: list[str] = []

    def note(message: ConsoleMessage) -> None:
        if message.type == "error" and not message.location["url"].endswith("/favicon.ico"):
            refused.append(f"{message.text} ({message.location['url']})")

    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_context().new_page()
        page.on("console", note)
        page.on("pageerror", lambda error: refused.append(str(error)))
        sign_in(page, site, "premium@example.com", PASSWORD)
        for path in ("/asset/crypto:BTC", "/compare?assets=BTC,TSLA"):
            page.goto(site + path)
            page.locator(".chart .main-svg").first.wait_for()
        page.goto(site + "/live?symbols=AAPL")
        page.locator("#live-1-chart .main-svg").first.wait_for()
        expect(page.locator("#live-status")).to_have_text("live")  # the SSE snapshot arrived
        browser.close()
    assert refused == []
