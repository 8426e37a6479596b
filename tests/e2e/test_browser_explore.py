"""Ticker search by keyboard alone, a sorted table and the CSV links, in headless Chromium.

The browser tiers module's seeded site, served on loopback; each reader in a
context of their own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from bench.serving import free_port, serving
from sqlalchemy import create_engine

from tests.conftest import fresh_database
from tests.e2e import a11y
from tests.e2e.browser import BROWSER_MARKS
from tests.e2e.test_browser_tiers import reader_context, seed_site
from tests.web_helpers import platform_settings
from tickerpulse.web.app import create_app

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = BROWSER_MARKS


@pytest.fixture(scope="module")
def site(pg_admin_uri: str) -> Iterator[str]:
    """The app over the browser tests' seeded database, served for the module."""
    with fresh_database(pg_admin_uri) as url:
        engine = create_engine(url)
        seed_site(engine)
        port = free_port()
        with serving(create_app(platform_settings(web_port=port), engine), port) as base:
            yield base
        engine.dispose()


def tab_to(page: Page, element_id: str, most: int = 30) -> None:
    """Press Tab until the element with ``element_id`` has the focus (keyboard only)."""
    for _ in range(most):
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached #{element_id}")


def table_symbols(page: Page) -> list[str]:
    return page.locator("table.trending tbody td.asset strong").all_inner_texts()


@pytest.mark.parametrize("reader", ["anonymous", "free", "premium"])
def test_search_suggests_and_opens_an_asset_with_the_keyboard_alone(
    browser: Browser, site: str, reader: str
) -> None:
    from playwright.sync_api import expect

    context = reader_context(browser, site, reader, viewport={"width": 1000, "height": 800})
    page = context.new_page()
    page.goto(site + "/")
    tab_to(page, "site-search")
    box = page.get_by_role("combobox", name="Search assets by symbol or name")
    page.keyboard.type("nvid")
    listbox = page.get_by_role("listbox", name="Matching assets")
    expect(listbox).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("ArrowDown")
    first = listbox.get_by_role("option").first
    expect(first).to_have_attribute("aria-selected", "true")
    expect(first).to_contain_text("NVDA")
    expect(box).to_have_attribute("aria-activedescendant", re.compile("site-search-option-0"))
    page.keyboard.press("Escape")
    expect(listbox).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")
    page.keyboard.press("ArrowDown")  # opens the suggestions again
    expect(listbox).to_be_visible()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/asset/stock:NVDA$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("NVDA")
    context.close()


def test_free_text_without_a_choice_opens_the_results_page(browser: Browser, site: str) -> None:
    from playwright.sync_api import expect

    context = reader_context(browser, site, "anonymous", viewport={"width": 1000, "height": 800})
    page = context.new_page()
    page.goto(site + "/")
    tab_to(page, "site-search")
    page.keyboard.type("euro dollar")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search\?q=euro\+dollar"))
    expect(page.get_by_role("link", name="EURUSD")).to_be_visible()
    assert not a11y.problems(page) + a11y.keyboard_problems(page)
    context.close()


@pytest.mark.parametrize("reader", ["anonymous", "pro"])
def test_a_table_sorts_by_its_headings_and_the_link_can_be_shared(
    browser: Browser, site: str, reader: str
) -> None:
    from playwright.sync_api import expect

    context = reader_context(browser, site, reader, viewport={"width": 1000, "height": 800})
    page = context.new_page()
    page.goto(site + "/")
    default = table_symbols(page)
    page.get_by_role("link", name=re.compile("^Mentions")).focus()
    page.keyboard.press("Enter")  # largest first: the ranking itself
    page.wait_for_url(re.compile(r"sort=mentions&dir=desc"))
    assert table_symbols(page) == default
    page.get_by_role("link", name=re.compile("^Mentions")).click()
    page.wait_for_url(re.compile(r"sort=mentions&dir=asc"))
    assert table_symbols(page) == list(reversed(default))
    expect(page.locator('th[aria-sort="ascending"]')).to_contain_text("Mentions")
    shared = page.url
    other = reader_context(browser, site, reader)  # a reader on the same plan opens the link
    again = other.new_page()
    again.goto(shared)
    assert table_symbols(again) == list(reversed(default))
    other.close()
    assert not a11y.problems(page)
    context.close()


@pytest.mark.parametrize("reader", ["free", "pro"])
def test_the_csv_link_downloads_for_pro_and_shows_the_plan_to_free(
    browser: Browser, site: str, reader: str
) -> None:
    from playwright.sync_api import expect

    context = reader_context(browser, site, reader, viewport={"width": 1000, "height": 800})
    page = context.new_page()
    page.goto(site + "/?sort=symbol&dir=asc")
    link = page.get_by_role("link", name=re.compile("Download CSV"))
    if reader == "free":
        link.click()
        expect(page.get_by_text("comes with the Pro plan")).to_be_visible()
    else:
        with page.expect_download() as download:
            link.click()
        assert download.value.suggested_filename.startswith("tickerpulse-trending-6h-all-")
        text = download.value.path().read_text()
        assert text.startswith("rank,asset_id,symbol") and "return_pct (%)" in text
    context.close()
