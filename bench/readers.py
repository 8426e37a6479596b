"""A Premium reader for the load benchmarks: verified user, active plan, session and API key."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from tickerpulse.config import Settings
from tickerpulse.platform import accounts, api_keys
from tickerpulse.platform.billing import activate_subscription
from tickerpulse.platform.crypto import password_hasher
from tickerpulse.web.auth import SESSION_COOKIE, cookie_name


def premium_reader(engine: Engine, settings: Settings, email: str) -> dict[str, str]:
    """Create a Premium user; returns their session cookie and API key as request headers."""
    now = datetime.now(UTC)
    with Session(engine) as session:
        user = accounts.create_user(
            session, password_hasher(settings), email=email,
            password="a long enough password", now=now, verified=True,
        )  # fmt: skip
        activate_subscription(
            session, user.user_id, tier="premium", provider="sandbox", customer_id=None,
            subscription_id=None, now=now,
        )  # fmt: skip
        cookie = accounts.start_session(session, user, now=now)
        key = api_keys.create_key(session, user, name="bench", now=now)
        session.commit()
    name = cookie_name(SESSION_COOKIE, secure=settings.secure_cookies)  # as the server reads it
    return {"cookie": f"{name}={cookie}", "authorization": f"Bearer {key}"}
