"""A Premium reader's watchlist and alerts in headless Chromium, and the prompt a Pro reader sees.

Screenshots go to ``$SCREENSHOT_DIR`` (see :mod:`tests.e2e.browser`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from bench.serving import free_port, serving
from sqlalchemy import Engine

from tests.e2e.browser import BROWSER_MARKS, launch, screenshot_dir, sign_in
from tests.integration.test_alert_delivery import deliver
from tests.integration.test_web_queries import LATEST, seed_marts
from tests.web_helpers import PASSWORD, add_user, platform_settings
from tickerpulse.web.app import create_app

pytestmark = BROWSER_MARKS


@pytest.fixture
def site(engine: Engine) -> Iterator[str]:
    seed_marts(engine)
    add_user(engine, "premium@example.com", tier="premium")
    add_user(engine, "pro@example.com", tier="pro")
    port = free_port()
    with serving(create_app(platform_settings(web_port=port), engine), port) as base:
        yield base


def test_watch_an_asset_set_a_rule_and_read_the_alert(
    site: str, engine: Engine, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    shots = screenshot_dir(tmp_path)

    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page()
        sign_in(page, site, "premium@example.com", PASSWORD)
        page.goto(f"{site}/asset/crypto:BTC")
        page.get_by_role("button", name="Add to watchlist").click()
        expect(page.get_by_text("Added to your watchlist.")).to_be_visible()
        expect(page.get_by_role("button", name="Remove from watchlist")).to_be_visible()

        page.goto(f"{site}/watchlist")
        expect(page.get_by_role("link", name="BTC", exact=True)).to_be_visible()
        page.screenshot(path=shots / "watchlist-premium.png", full_page=True)

        page.goto(f"{site}/alerts")
        page.get_by_label("Asset", exact=True).fill("BTC")
        page.get_by_label("Price move").check()
        page.get_by_label("Threshold").fill("1")
        page.get_by_role("button", name="Save rule").click()
        expect(page.get_by_text("Alert rule saved")).to_be_visible()
        deliver(engine, LATEST)  # what the next cycle's publish stage does
        page.reload()
        expect(page.get_by_text("BTC: price rose 2.00 % in 6 hours")).to_be_visible()
        expect(page.get_by_title("unread alerts")).to_have_text("1 unread")
        page.screenshot(path=shots / "alerts-premium.png", full_page=True)
        page.get_by_role("button", name="Mark all 1 as read").click()
        expect(page.get_by_title("unread alerts")).to_have_count(0)

        other = browser.new_page()
        sign_in(other, site, "pro@example.com", PASSWORD)
        other.goto(f"{site}/watchlist")
        expect(other.get_by_text("comes with the Premium plan")).to_be_visible()
        other.screenshot(path=shots / "watchlist-gated.png", full_page=True)
        browser.close()
