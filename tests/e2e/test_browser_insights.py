"""Movers, the market overview and authors in headless Chromium, per reader.

One app over the insight world (:mod:`tests.integration.insight_world`),
published through the real publish stage; each reader gets a browser context.
Pages are checked for what the plan shows or gates, the accessibility basics
of :mod:`tests.e2e.a11y`, and the overview's tiles for keyboard use.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from bench.serving import free_port, serving
from sqlalchemy import create_engine

from tests.conftest import fresh_database
from tests.e2e import a11y
from tests.e2e.browser import BROWSER_MARKS, screenshot_dir, sign_in
from tests.integration.insight_world import SAGE, publish_world
from tests.web_helpers import PASSWORD, add_user, platform_settings
from tickerpulse.web.app import create_app

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

pytestmark = BROWSER_MARKS

READERS = ("anonymous", "free", "pro", "premium")
README_SHOTS = {"movers": 1150, "overview": 950, "authors": 900}
"""The README's pictures of these pages (Premium reader): the top, at most this many px."""


@pytest.fixture(scope="module")
def site(pg_admin_uri: str) -> Iterator[str]:
    with fresh_database(pg_admin_uri) as url:
        engine = create_engine(url)
        publish_world(engine)
        for reader in READERS[1:]:
            add_user(engine, f"{reader}@example.com", tier=reader)
        port = free_port()
        with serving(create_app(platform_settings(web_port=port), engine), port) as base:
            yield base
        engine.dispose()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return screenshot_dir(tmp_path_factory.mktemp("screenshots"))


def save_readme_shot(page: Page, shots: Path, name: str) -> None:
    """The top of the page for the README (``make screenshots`` copies it to docs/screenshots)."""
    (shots / "readme").mkdir(exist_ok=True)
    height = min(page.evaluate("document.documentElement.scrollHeight"), README_SHOTS[name])
    page.screenshot(
        path=shots / "readme" / f"{name}.png", full_page=True,
        clip={"x": 0, "y": 0, "width": 1000, "height": height},
    )  # fmt: skip


def context_for(browser: Browser, site: str, reader: str) -> BrowserContext:
    context = browser.new_context(viewport={"width": 1000, "height": 800})
    if reader != "anonymous":
        sign_in(context.new_page(), site, f"{reader}@example.com", PASSWORD)
    return context


@pytest.mark.parametrize("reader", READERS)
def test_movers_and_overview_show_each_plan_its_share_and_pass_the_basics(
    browser: Browser, site: str, shots: Path, reader: str
) -> None:
    from playwright.sync_api import expect

    context = context_for(browser, site, reader)
    page = context.new_page()
    found: dict[str, list[str]] = {}
    (shots / reader).mkdir(exist_ok=True)
    page.goto(f"{site}/movers")
    rows = page.locator("table.movers tbody tr")
    if reader in ("anonymous", "free"):
        expect(page.get_by_text("Free plan: the top 10, a day behind")).to_be_visible()
        expect(rows).to_have_count(10)
    else:
        expect(rows).to_have_count(12)
        expect(rows.first).to_contain_text("BTC")
    page.screenshot(path=shots / reader / "movers.png", full_page=True)
    if reader == "premium":
        save_readme_shot(page, shots, "movers")
    found["movers"] = a11y.problems(page) + a11y.keyboard_problems(page)
    page.get_by_label("Rank by").select_option("share_of_voice")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(f"{site}/movers?sort=share_of_voice&class=")
    page.goto(f"{site}/overview")
    tiles = page.locator("svg.treemap a")
    expect(tiles).to_have_count(12)
    expect(page.get_by_text("bullish (≥ +0.50)")).to_be_visible()
    page.screenshot(path=shots / reader / "overview.png", full_page=True)
    if reader == "premium":
        save_readme_shot(page, shots, "overview")
    found["overview"] = a11y.problems(page) + a11y.keyboard_problems(page)
    context.close()
    assert not {k: v for k, v in found.items() if v}, found


def test_a_tile_of_the_overview_opens_its_asset_by_keyboard(browser: Browser, site: str) -> None:
    from playwright.sync_api import expect

    context = context_for(browser, site, "pro")
    page = context.new_page()
    page.goto(f"{site}/overview")
    btc = page.locator('svg.treemap a[href="/asset/crypto:BTC"]')
    btc.focus()
    expect(btc).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{site}/asset/crypto:BTC")
    context.close()


@pytest.mark.parametrize("reader", ("pro", "premium"))
def test_authors_are_shown_to_premium_and_previewed_to_pro(
    browser: Browser, site: str, shots: Path, reader: str
) -> None:
    from playwright.sync_api import expect

    context = context_for(browser, site, reader)
    page = context.new_page()
    page.goto(f"{site}/authors")
    (shots / reader).mkdir(exist_ok=True)
    page.screenshot(path=shots / reader / "authors.png", full_page=True)
    if reader == "pro":
        expect(page.get_by_text("comes with the Premium plan").first).to_be_visible()
        expect(page.get_by_text(SAGE)).to_have_count(0)
    else:
        expect(page.locator("table.authors tbody tr").first).to_contain_text(SAGE)
        save_readme_shot(page, shots, "authors")
        page.goto(f"{site}/asset/crypto:BTC/authors")
        expect(page.get_by_role("heading", name="Who talks about BTC")).to_be_visible()
    problems = a11y.problems(page)
    context.close()
    assert not problems, problems


PHONE = {"width": 390, "height": 844}
INSIGHT_PAGES = {
    "movers": "/movers",
    "overview": "/overview",
    "authors": "/authors",
    "asset-authors": "/asset/crypto:BTC/authors",
    "movers-sorted": "/movers?sort=symbol&dir=asc",
}


@pytest.mark.parametrize(
    ("scheme", "width"), [("dark", "desktop"), ("dark", "phone"), ("light", "phone")]
)
def test_insight_pages_fit_a_phone_and_pass_contrast_in_both_schemes(
    browser: Browser, site: str, shots: Path, scheme: str, width: str
) -> None:
    """Movers, overview and authors: no sideways scrolling on a phone, dark text still ≥ 4.5:1."""
    viewport = PHONE if width == "phone" else {"width": 1000, "height": 800}
    context = browser.new_context(
        viewport=viewport, is_mobile=width == "phone", has_touch=width == "phone",
        color_scheme=scheme,
    )  # fmt: skip
    sign_in(context.new_page(), site, "premium@example.com", PASSWORD)
    page = context.new_page()
    found: dict[str, list[str]] = {}
    folder = shots / f"{'mobile' if width == 'phone' else 'desktop'}-{scheme}-insights"
    folder.mkdir(exist_ok=True)
    for name, path in INSIGHT_PAGES.items():
        page.goto(site + path)
        page.screenshot(path=folder / f"{name}.png", full_page=True)
        problems = a11y.problems(page)
        if overflow := a11y.horizontal_overflow(page):
            problems.append(f"{overflow} px wider than the screen")
        if scheme == "dark":
            body = a11y.relative_luminance(
                a11y.parse_css_colour(
                    page.evaluate("getComputedStyle(document.body).backgroundColor")
                )
            )
            if body > 0.05:
                problems.append(f"page background not dark ({body:.2f})")
        if problems:
            found[name] = sorted(set(problems))
    context.close()
    assert not found, found
