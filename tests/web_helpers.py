"""Helpers for tests of the web platform: settings, users per tier, signing in, CSRF tokens."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from tickerpulse.config import Settings
from tickerpulse.platform import accounts
from tickerpulse.platform.billing import activate_subscription
from tickerpulse.platform.crypto import password_hasher
from tickerpulse.platform.tiers import Feature

PASSWORD = "correct horse battery"
OPEN_TIERS = {feature.value: "free" for feature in Feature}
"""A matrix that gives every feature to everyone: for tests about page content, not gating."""
HTML = {"accept": "text/html"}
CACHES = pytest.mark.parametrize("cache_seconds", [0, 30], ids=["uncached", "cached"])
"""Run a test with the app's caches off and on: what a reader may see must not change."""


TEST_TRANSPORT = {
    "secret_key": "tests-only-secret-key",
    "allowed_hosts": ["testserver", "localhost", "127.0.0.1"],
    "cookie_secure": False,
}
"""What the test clients need: a fixed key, the test client's host, cookies over plain HTTP.

The production defaults of these are tested on their own in test_security_defaults.py."""


def platform_settings(**overrides: object) -> Settings:
    """Settings for platform tests (caches off unless ``page_cache_seconds`` is given).

    Outside demo mode, as ``tickerpulse serve``; pass ``demo_mode=True`` for the
    demo's sandbox payments and outbox page.
    """
    values = {"page_cache_seconds": 0, **TEST_TRANSPORT, **overrides}
    return Settings(_env_file=None, **values)  # type: ignore[call-arg, arg-type]


def add_user(
    engine: Engine,
    email: str,
    *,
    tier: str | None = None,
    role: str = "user",
    verified: bool = True,
) -> int:
    """A user with ``PASSWORD`` and, for a paid tier, an active subscription; returns the id."""
    now = datetime.now(UTC)
    with Session(engine) as session:
        user = accounts.create_user(
            session, password_hasher(platform_settings()), email=email, password=PASSWORD,
            now=now, role=role, verified=verified,
        )  # fmt: skip
        if tier is not None and tier != "free":
            activate_subscription(
                session, user.user_id, tier=tier, provider="sandbox",
                customer_id=f"cus_test_{user.user_id}", subscription_id=f"sub_{user.user_id}",
                now=now,
            )  # fmt: skip
        session.commit()
        return user.user_id


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> None:
    """Sign in through the real form (GET for the token, POST the form)."""
    token = csrf_of(client.get("/login").text)
    response = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token},
        follow_redirects=False,
    )  # fmt: skip
    assert response.status_code == 303, response.text
