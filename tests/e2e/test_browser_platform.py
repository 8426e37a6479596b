"""A subscriber's whole path in headless Chromium: sign up, verify, upgrade, unlock, API key.

Screenshots of each step go to ``$SCREENSHOT_DIR`` (see :mod:`tests.e2e.browser`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from bench.serving import free_port, serving
from sqlalchemy import Engine

from tests.e2e.browser import BROWSER_MARKS, launch, screenshot_dir, sign_in
from tests.integration.test_web_queries import seed_marts
from tests.web_helpers import PASSWORD, add_user, platform_settings
from tickerpulse.web.app import create_app

pytestmark = BROWSER_MARKS


@pytest.fixture
def site(engine: Engine) -> Iterator[str]:
    seed_marts(engine)
    port = free_port()
    add_user(engine, "operator@example.com", role="admin")
    settings = platform_settings(demo_mode=True, web_port=port)  # sandbox payments, the outbox
    with serving(create_app(settings, engine), port) as base:
        yield base


def test_sign_up_verify_upgrade_unlock_and_call_the_api(site: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    shots = screenshot_dir(tmp_path)
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page()
        page.goto(f"{site}/signup")
        page.get_by_label("E-mail").fill("reader@example.com")
        page.get_by_label("Password").fill("a long enough password")
        page.get_by_role("button", name="Sign up").click()
        expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()

        sign_in(page, site, "operator@example.com", PASSWORD)  # only the admin sees live links
        page.goto(f"{site}/dev/outbox")
        page.get_by_role("link", name="/verify?token=").first.click()
        expect(page.get_by_text("Your e-mail is confirmed")).to_be_visible()
        sign_in(page, site, "reader@example.com", "a long enough password")
        page.screenshot(path=shots / "account-free.png", full_page=True)

        page.goto(f"{site}/predictions")
        expect(page.get_by_text("comes with the Premium plan")).to_be_visible()
        page.screenshot(path=shots / "predictions-gated.png", full_page=True)

        page.goto(f"{site}/pricing")
        page.get_by_role("button", name="Choose Premium").click()
        page.get_by_role("button", name="Pay $49.00 (sandbox)").click()
        expect(page.get_by_text("Payment received")).to_be_visible()
        page.goto(f"{site}/predictions")
        expect(page.get_by_role("heading", name="Next-window predictions")).to_be_visible()
        page.screenshot(path=shots / "predictions-premium.png", full_page=True)

        page.goto(f"{site}/account")
        page.get_by_label("Key name").fill("notebook")
        page.get_by_role("button", name="Create a key").click()
        key = page.locator("#api-key").inner_text().strip()
        browser.close()
    answer = httpx.get(f"{site}/api/v1/trending", headers={"authorization": f"Bearer {key}"})
    assert answer.status_code == 200 and answer.json()["rows"][0]["asset_id"] == "crypto:BTC"
