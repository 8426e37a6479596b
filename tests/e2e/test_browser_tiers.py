"""Every main page for every kind of reader in headless Chromium: what shows, what is gated.

One app and one browser serve the whole module; each reader (anonymous, Free,
Pro, Premium, admin) gets a browser context of their own. Each page is saved
as a full-page screenshot to ``$SCREENSHOT_DIR/<reader>/<page>.png`` (CI keeps
them as artifacts; ``make screenshots`` writes them to ``docs/screenshots-raw`` and
copies the README's, under ``readme/``, to ``docs/screenshots``)
and checked for the accessibility basics of :mod:`tests.e2e.a11y`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from bench.serving import free_port, serving
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session

from tests.conftest import fresh_database
from tests.e2e import a11y
from tests.e2e.browser import BROWSER_MARKS, screenshot_dir, sign_in
from tests.integration.test_alert_delivery import deliver
from tests.integration.test_web_news import seed_news
from tests.integration.test_web_queries import (
    LATEST,
    WINDOWS,
    W,
    document,
    prices,
    stat,
    weak_btc_relation,
)
from tests.web_helpers import PASSWORD, add_user, platform_settings
from tickerpulse.db.models import MartPrediction
from tickerpulse.db.platform import AlertRule
from tickerpulse.platform import accounts, watchlists
from tickerpulse.web.app import create_app

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

pytestmark = BROWSER_MARKS

READERS = ("anonymous", "free", "pro", "premium", "admin")
PRO_GATE = "comes with the Pro plan"
PREMIUM_GATE = "comes with the Premium plan"
TOP = "Top 16 assets"  # BTC, TSLA, ETH, EURUSD and the busy ones
SIGN_IN = "Forgot your password?"  # anonymous readers are sent to the sign-in form


@dataclass(frozen=True)
class MainPage:
    """A page to visit, and what each reader should find on it."""

    name: str
    path: str
    shows: dict[str, str]
    """Reader → a text that must be visible (the real content or the upgrade prompt);
    a reader missing here does not visit the page."""
    hides: dict[str, str]
    """Reader → a text that must not be on the page (what the gate keeps back)."""


def _by_tier(below: str, at_or_above: str, first_allowed: str) -> dict[str, str]:
    allowed = READERS[READERS.index(first_allowed) :]
    return {r: at_or_above if r in allowed else below for r in READERS}


PAGES = (
    MainPage(
        "trending", "/",
        shows=_by_tier("Free plan: the top 20, a day behind", TOP, "pro"),
        hides=_by_tier(TOP, "a day behind", "pro"),
    ),
    MainPage(
        "asset", "/asset/crypto:BTC",
        shows={**_by_tier(PRO_GATE, "weak positive", "pro"), "pro": PREMIUM_GATE},
        hides=_by_tier("weak positive", "comes with the", "premium") | {"pro": PRO_GATE},
    ),
    MainPage(
        "news", "/news",
        shows=_by_tier(f"News analytics {PRO_GATE}", "Alpha Vantage's sentiment beside ours", "pro"),
        hides=_by_tier("Most covered assets", PRO_GATE, "pro"),
    ),
    MainPage(
        "compare", "/compare?assets=BTC,TSLA",
        shows=_by_tier(f"Comparing assets {PRO_GATE}", "Compare assets", "pro"),
        hides=_by_tier("Compare assets", PRO_GATE, "pro"),
    ),
    MainPage(
        "predictions", "/predictions",
        shows=_by_tier(f"Predictions {PREMIUM_GATE}", "calls, most confident first", "premium"),
        hides=_by_tier("most confident first", PREMIUM_GATE, "premium"),
    ),
    MainPage(
        "live", "/live",
        shows=_by_tier(f"The live stream {PREMIUM_GATE}", "Live: 1-minute bars", "premium"),
        hides=_by_tier("Live: 1-minute bars", PREMIUM_GATE, "premium"),
    ),
    MainPage(
        "watchlist", "/watchlist",
        shows=_by_tier(f"Watchlists {PREMIUM_GATE}", "Your watchlist", "premium"),
        hides=_by_tier("Your watchlist", PREMIUM_GATE, "premium"),
    ),
    MainPage(
        "alerts", "/alerts",
        shows=_by_tier(f"Alerts {PREMIUM_GATE}", "Latest alerts", "premium"),
        hides=_by_tier("Latest alerts", PREMIUM_GATE, "premium"),
    ),
    MainPage(
        "webhook", "/alerts/webhook",
        shows=_by_tier(f"Alerts by webhook {PREMIUM_GATE}", "Checking a delivery", "premium"),
        hides=_by_tier("Checking a delivery", PREMIUM_GATE, "premium"),
    ),
    MainPage("pricing", "/pricing", shows=dict.fromkeys(READERS, "Plans"), hides={}),
    MainPage("search", "/search?q=dollar", shows=dict.fromkeys(READERS, "best first"), hides={}),
    MainPage(
        "methodology", "/methodology",
        shows=dict.fromkeys(READERS, "Relation statistics: what they mean"), hides={},
    ),
    MainPage(
        "account", "/account",
        shows=_by_tier(SIGN_IN, "Your account", "free"),
        hides={"anonymous": "Your account"},
    ),
    MainPage(
        "admin", "/admin",
        shows={"anonymous": SIGN_IN, "admin": "Admin console"}
        | dict.fromkeys(("free", "pro", "premium"), "This page is for administrators"),
        hides=dict.fromkeys(("anonymous", "free", "pro", "premium"), "Admin console"),
    ),
    MainPage("signup", "/signup", shows={"anonymous": "Create your account"}, hides={}),
)  # fmt: skip

AV_ARTICLES = (
    ("bullish", "Reuters", 0.41),
    ("bullish", "Reuters", 0.22),
    ("neutral", "Reuters", 0.05),
    ("bearish", "Reuters", -0.12),
    ("bullish", "Benzinga", 0.38),
    ("bearish", "Benzinga", -0.3),
    ("neutral", "Motley Fool", 0.18),
    ("bullish", "Motley Fool", 0.27),
)
"""Alpha Vantage articles (our label, outlet, Alpha Vantage's published score)."""

README_READER = "premium"
README_PAGES = {"trending": 1300, "asset": 1600, "news": 2400, "predictions": 1000,
                "methodology": 1500, "webhook": 1100, "search": 700}  # fmt: skip
"""The README's screenshots and how much of each page they show, in px from the top
(``make screenshots`` copies them to docs/screenshots)."""

MOBILE = {"width": 390, "height": 844}
LONG_EMAIL = "margaret.hamilton-smith@example-trading.com"
"""A realistic long address: the account bar must still fit a phone."""
MOBILE_PAGES = (
    "trending", "asset", "news", "compare", "predictions", "live", "watchlist", "alerts",
    "webhook", "methodology", "search",
)  # fmt: skip


BUSY = (
    "stock:NVDA",
    "stock:AAPL",
    "crypto:SOL",
    "stock:MSFT",
    "stock:AMD",
    "crypto:DOGE",
    "stock:AMZN",
    "stock:META",
    "crypto:XRP",
    "stock:GOOGL",
    "etf:SPY",
    "stock:COIN",
)
"""Extra assets with a week of mentions and prices, so the pages look like a real cycle's."""


def busy_assets() -> list[object]:
    """Mentions and prices of the :data:`BUSY` assets, and BTC's mentions by source."""
    rows: list[object] = []
    for n, asset_id in enumerate(BUSY):
        tone = ((n * 37) % 11 - 5) / 10
        rows += [stat(w, asset_id, 30 - n + 3 * (i % 3), tone) for i, w in enumerate(WINDOWS)]
        rows += prices(asset_id, [100.0 + n + ((i * (n + 3)) % 7) for i in range(len(WINDOWS))])
    for i, w in enumerate(WINDOWS[:-1]):  # BTC by source class, for the asset page's chart
        tone = ((i * 5) % 9 - 4) / 10
        rows += [stat(w, "crypto:BTC", 30 + 4 * i, tone, "social"),
                 stat(w, "crypto:BTC", 6 + i, tone / 2, "news")]  # fmt: skip
    rows += [
        stat(LATEST, "crypto:BTC", 95, 0.66, "social"), stat(LATEST, "crypto:BTC", 25, 0.45, "news"),
        stat(LATEST, "crypto:BTC", 60, 0.7, "social", "reddit"),
        stat(LATEST, "crypto:BTC", 35, 0.58, "social", "x"),
        stat(LATEST, "crypto:BTC", 25, 0.45, "news", "news"),
    ]  # fmt: skip
    return rows


def seed_site(engine: Engine) -> None:
    """The page tests' marts and news, a relation, predictions, and one account per reader."""
    seed_news(engine)
    now = datetime.now(UTC)
    with Session(engine) as session:
        relation = weak_btc_relation()  # with a verdict as long as the published ones
        relation.verdict = (
            "weak positive relation (r = 0.20, 95% CI 0.10…0.30, n = 200, BH q = 0.020) — in"
            " past data, not a forecast"
        )
        session.add(relation)
        session.add_all(
            MartPrediction(
                window_start=LATEST + W, asset_id=asset_id, model="logistic",
                model_key="logistic:v1", prob_up=prob, auc=0.56, auc_ci_low=0.52,
                auc_ci_high=0.6, hit_rate=0.55, n=400, verdict="slightly better than chance",
            )
            for asset_id, prob in (("crypto:BTC", 0.64), ("stock:TSLA", 0.38), ("crypto:ETH", 0.52))
        )  # fmt: skip
        session.add_all(busy_assets())
        for i, (label, outlet, theirs) in enumerate(AV_ARTICLES):
            asset_id = ("crypto:BTC", "stock:NVDA", "stock:TSLA")[i % 3]
            session.add_all(
                document(f"alphavantage:{i}", asset_id, LATEST, LATEST + timedelta(minutes=20 * i),
                         label, source="alphavantage", channel=outlet, provider_sentiment=theirs,
                         title=f"{outlet} on {asset_id}")
            )  # fmt: skip
        for i, (label, channel) in enumerate(
            (("bullish", "cnbc"), ("neutral", "reuters-business"), ("bearish", "coindesk"))
        ):
            session.add_all(
                document(f"news:x{i}", "crypto:BTC", LATEST, LATEST + timedelta(hours=i), label,
                         channel=channel, title=f"Bitcoin story {i}", url=f"https://example.com/{i}")
            )  # fmt: skip
        session.commit()
    for reader in ("free", "pro", "premium"):
        add_user(engine, f"{reader}@example.com", tier=reader)
    add_user(engine, LONG_EMAIL, tier="premium")
    add_user(engine, "admin@example.com", role="admin")
    with Session(engine) as session:
        premium = accounts.find_user(session, "premium@example.com")
        assert premium is not None
        for asset_id in ("crypto:BTC", "stock:TSLA"):
            watchlists.add(session, user_id=premium.user_id, asked=asset_id, now=now)
        session.add(
            AlertRule(
                user_id=premium.user_id, asset_id="crypto:BTC", kind="price_move", threshold=1.0,
                email=False, created_at=now,
            )
        )  # fmt: skip
        session.commit()
    deliver(engine, LATEST)


@pytest.fixture(scope="module")
def site(pg_admin_uri: str) -> Iterator[str]:
    """The app over the seeded database, served on loopback for the whole module."""
    with fresh_database(pg_admin_uri) as url:
        engine = create_engine(url)
        seed_site(engine)
        port = free_port()
        with serving(create_app(platform_settings(web_port=port), engine), port) as base:
            yield base
        engine.dispose()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the screenshots go."""
    return screenshot_dir(tmp_path_factory.mktemp("screenshots"))


def save_readme_shot(page: Page, path: Path, most: int) -> None:
    """The top of the page, at most ``most`` px tall, for the README."""
    path.parent.mkdir(exist_ok=True)
    height = min(page.evaluate("document.documentElement.scrollHeight"), most)
    page.screenshot(
        path=path, full_page=True, clip={"x": 0, "y": 0, "width": 1000, "height": height}
    )


def reader_context(browser: Browser, site: str, reader: str, **options: object) -> BrowserContext:
    """A fresh context, signed in as ``reader`` unless anonymous."""
    context = browser.new_context(**options)  # type: ignore[arg-type]
    if reader != "anonymous":
        sign_in(context.new_page(), site, f"{reader}@example.com", PASSWORD)
    return context


def open_page(page: Page, url: str) -> None:
    """Go to ``url`` and wait until its Plotly charts (if any) have drawn."""
    page.goto(url)
    if page.locator(".chart").count():
        page.locator(".chart .main-svg").first.wait_for()


@pytest.mark.parametrize("reader", READERS)
def test_each_page_shows_what_the_readers_plan_includes_and_gates_the_rest(
    browser: Browser, site: str, shots: Path, reader: str
) -> None:
    from playwright.sync_api import expect

    context = reader_context(browser, site, reader, viewport={"width": 1000, "height": 800})
    page = context.new_page()
    found: dict[str, list[str]] = {}
    for main in (p for p in PAGES if reader in p.shows):
        open_page(page, site + main.path)
        (shots / reader).mkdir(exist_ok=True)
        page.screenshot(path=shots / reader / f"{main.name}.png", full_page=True)
        if reader == README_READER and main.name in README_PAGES:
            save_readme_shot(page, shots / "readme" / f"{main.name}.png", README_PAGES[main.name])
        expect(page.get_by_text(main.shows[reader]).first).to_be_visible()
        if reader in main.hides:
            expect(page.get_by_text(main.hides[reader])).to_have_count(0)
        problems = a11y.problems(page) + a11y.keyboard_problems(page)
        if problems:
            found[main.name] = sorted(set(problems))
    context.close()
    assert not found, found


PHONE_READERS = {"anonymous": "", "premium": "premium@example.com",
                 "admin": "admin@example.com", "long-email": LONG_EMAIL}  # fmt: skip
PHONE_EXTRA = {"account": "/account", "api-docs": "/api/v1/docs", "pricing": "/pricing"}


@pytest.mark.parametrize("reader", PHONE_READERS)
def test_main_pages_fit_a_phone_without_sideways_scrolling(
    browser: Browser, site: str, shots: Path, reader: str
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport=MOBILE, is_mobile=True, has_touch=True)
    if PHONE_READERS[reader]:
        sign_in(context.new_page(), site, PHONE_READERS[reader], PASSWORD)
    page = context.new_page()
    wide: dict[str, int] = {}
    paths = {p.name: p.path for p in PAGES if p.name in MOBILE_PAGES} | PHONE_EXTRA
    for name, path in paths.items():
        open_page(page, site + path)
        (shots / f"mobile-{reader}").mkdir(exist_ok=True)
        page.screenshot(path=shots / f"mobile-{reader}" / f"{name}.png", full_page=True)
        if overflow := a11y.horizontal_overflow(page):
            wide[name] = overflow
        bar = page.locator(".account-nav")
        account = (
            bar.get_by_role("button", name="Sign out")
            if PHONE_READERS[reader]
            else bar.get_by_role("link", name="Sign up", exact=True)
        )
        expect(account).to_be_in_viewport(ratio=1)  # never cut off at the right edge
        search = page.get_by_role("combobox", name="Search assets by symbol or name")
        expect(search).to_be_in_viewport(ratio=1)
    open_page(page, site + "/asset/crypto:BTC")
    heights = page.locator("table.relation td.verdict").evaluate_all(
        "cells => cells.map(c => c.getBoundingClientRect().height)"
    )
    context.close()
    assert not wide, f"pages wider than the phone (px): {wide}"
    if PHONE_READERS[reader]:  # the relation panel is for Pro and up
        assert heights and max(heights) < 160, f"verdict cells squeezed into tall rows: {heights}"


DARK_PAGES = ("trending", "asset", "news", "compare", "predictions", "live", "watchlist", "alerts",
              "webhook", "pricing", "methodology", "account", "search")  # fmt: skip
DARK_README = {"trending": 1300, "asset": 1600}


def _luminance_of(page: Page, script: str) -> float:
    return a11y.relative_luminance(a11y.parse_css_colour(page.evaluate(script)))


@pytest.mark.parametrize("reader", ["anonymous", "premium"])
def test_the_dark_scheme_passes_the_same_contrast_checks_with_dark_charts(
    browser: Browser, site: str, shots: Path, reader: str
) -> None:
    """prefers-color-scheme: dark turns pages and Plotly charts dark, text still ≥ 4.5:1."""
    context = reader_context(
        browser, site, reader, viewport={"width": 1000, "height": 800}, color_scheme="dark"
    )
    page = context.new_page()
    found: dict[str, list[str]] = {}
    for main in (p for p in PAGES if p.name in DARK_PAGES and reader in p.shows):
        open_page(page, site + main.path)
        (shots / f"dark-{reader}").mkdir(exist_ok=True)
        page.screenshot(path=shots / f"dark-{reader}" / f"{main.name}.png", full_page=True)
        if reader == README_READER and main.name in DARK_README:
            save_readme_shot(
                page, shots / "readme" / f"{main.name}-dark.png", DARK_README[main.name]
            )
        body = _luminance_of(page, "getComputedStyle(document.body).backgroundColor")
        if body > 0.05:
            found.setdefault(main.name, []).append(f"page background not dark ({body:.2f})")
        if page.locator(".chart .main-svg").count():
            paper = _luminance_of(
                page, "getComputedStyle(document.querySelector('.chart .main-svg')).backgroundColor"
            )
            if paper > 0.05:
                found.setdefault(main.name, []).append(f"chart paper not dark ({paper:.2f})")
        found.setdefault(main.name, []).extend(a11y.problems(page))
    context.close()
    found = {name: sorted(set(p)) for name, p in found.items() if p}
    assert not found, found


def test_main_pages_in_the_dark_scheme_on_a_phone(browser: Browser, site: str, shots: Path) -> None:
    context = browser.new_context(
        viewport=MOBILE, is_mobile=True, has_touch=True, color_scheme="dark"
    )
    sign_in(context.new_page(), site, "premium@example.com", PASSWORD)
    page = context.new_page()
    found: dict[str, list[str]] = {}
    for main in (p for p in PAGES if p.name in ("trending", "asset", "alerts", "methodology")):
        open_page(page, site + main.path)
        (shots / "mobile-dark").mkdir(exist_ok=True)
        page.screenshot(path=shots / "mobile-dark" / f"{main.name}.png", full_page=True)
        if problems := a11y.problems(page):
            found[main.name] = sorted(set(problems))
    context.close()
    assert not found, found
