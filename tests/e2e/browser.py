"""What the browser tests share: Debian's chromium, its flags, screenshots and signing in.

Playwright drives ``/usr/bin/chromium`` (installed by ``make browser``, never
``playwright install``). Screenshots go to ``$SCREENSHOT_DIR`` (default: the
test's temp folder) for CI to keep as artifacts, never into git.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
]  # fmt: skip
BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="run `make browser` to install chromium"),
]
"""``pytestmark`` of every browser test module."""


def launch(playwright: Playwright) -> Browser:
    """Headless Debian chromium with the flags the sandboxed CI needs."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)


def screenshot_dir(fallback: Path) -> Path:
    """``$SCREENSHOT_DIR`` if set, else ``fallback``; created if missing."""
    shots = Path(os.environ.get("SCREENSHOT_DIR", fallback))
    shots.mkdir(parents=True, exist_ok=True)
    return shots


def sign_in(page: Page, site: str, email: str, password: str) -> None:
    """Sign in through the real form and wait for the account page."""
    from playwright.sync_api import expect

    page.goto(f"{site}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
