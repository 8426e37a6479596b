"""Accounts in the database: sign-up, single-use e-mail tokens, sign-in with throttling, sessions.

Functions take an open session and ``now`` and leave committing to the caller,
so a route commits once and tests control the clock. Tokens handed out are
random; only their digests are stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from tickerpulse.db.platform import (
    AlertRule,
    ApiKey,
    AuthToken,
    LoginAttempt,
    Payment,
    Subscription,
    UsageDaily,
    User,
    UserSession,
    WatchlistItem,
)
from tickerpulse.web.crypto import digest, new_token, verify_password
from tickerpulse.web.tiers import Tier

SESSION_TTL = timedelta(days=14)
TOKEN_TTL = {"verify": timedelta(days=2), "reset": timedelta(hours=1)}
THROTTLE_WINDOW = timedelta(minutes=15)
IP_FAILURE_FACTOR = 4
STAFF_ROLES = ("editor", "admin")
PASSWORD_MIN, PASSWORD_MAX = 10, 256
_EMAIL = re.compile(r"^[^@\s<>\"']{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}$")


class AccountError(ValueError):
    """A request about an account that cannot be honoured; the message is for the reader."""


def normalize_email(email: str) -> str:
    """The address as stored: trimmed and lower-case.

    Raises:
        AccountError: If it does not look like an e-mail address.
    """
    cleaned = email.strip().lower()
    if not _EMAIL.match(cleaned):
        raise AccountError("Please give a valid e-mail address, like name@example.com.")
    return cleaned


def check_password(password: str) -> None:
    """Refuse passwords that are too short or absurdly long.

    Raises:
        AccountError: With the rule the password broke.
    """
    if len(password) < PASSWORD_MIN:
        raise AccountError(f"Choose a password of at least {PASSWORD_MIN} characters.")
    if len(password) > PASSWORD_MAX:
        raise AccountError(f"Passwords are limited to {PASSWORD_MAX} characters.")


def find_user(session: Session, email: str) -> User | None:
    """The user with this (already normalised) address."""
    return session.scalars(select(User).where(User.email == email)).first()


def create_user(
    session: Session,
    hasher: PasswordHasher,
    *,
    email: str,
    password: str,
    now: datetime,
    role: str = "user",
    verified: bool = False,
) -> User:
    """Add a user with a hashed password.

    Raises:
        AccountError: For a bad address or password, or an address already taken.
    """
    address = normalize_email(email)
    check_password(password)
    if find_user(session, address) is not None:
        raise AccountError("There is already an account with this address.")
    user = User(
        email=address,
        password_hash=hasher.hash(password),
        role=role,
        time_zone="UTC",
        created_at=now,
        email_verified_at=now if verified else None,
    )
    session.add(user)
    session.flush()
    return user


def issue_token(session: Session, user: User, *, purpose: str, now: datetime) -> str:
    """A new single-use token for ``purpose`` (verify or reset); earlier unused ones lapse."""
    session.execute(
        update(AuthToken)
        .where(
            AuthToken.user_id == user.user_id,
            AuthToken.purpose == purpose,
            AuthToken.used_at.is_(None),
        )
        .values(used_at=now)
    )
    token = new_token()
    session.add(
        AuthToken(
            token_hash=digest(token),
            user_id=user.user_id,
            purpose=purpose,
            expires_at=now + TOKEN_TTL[purpose],
        )
    )
    return token


def consume_token(session: Session, token: str, *, purpose: str, now: datetime) -> User | None:
    """The token's user, marking it used; None if unknown, used, expired or for another use."""
    row = session.get(AuthToken, digest(token), with_for_update=True)
    if row is None or row.purpose != purpose or row.used_at is not None or row.expires_at <= now:
        return None
    row.used_at = now
    return session.get(User, row.user_id)


def throttled(session: Session, *, email: str, ip: str, now: datetime, max_failures: int) -> bool:
    """Whether this address or IP failed too often in the last 15 minutes."""
    since = now - THROTTLE_WINDOW
    failures = select(func.count()).where(
        LoginAttempt.at >= since, LoginAttempt.succeeded.is_(False)
    )
    by_email = session.scalar(failures.where(LoginAttempt.email == email)) or 0
    by_ip = session.scalar(failures.where(LoginAttempt.ip == ip)) or 0
    return by_email >= max_failures or by_ip >= max_failures * IP_FAILURE_FACTOR


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in: the user, or why not."""

    user: User | None
    error: str | None = None
    unverified: bool = False
    """The password was right but the address is not confirmed yet."""


def authenticate(
    session: Session,
    hasher: PasswordHasher,
    *,
    email: str,
    password: str,
    ip: str,
    now: datetime,
    max_failures: int,
) -> SignIn:
    """Check a sign-in, recording the attempt; throttled addresses are refused before hashing."""
    address = email.strip().lower()[:254]
    if throttled(session, email=address, ip=ip, now=now, max_failures=max_failures):
        return SignIn(None, "Too many failed sign-ins. Wait 15 minutes or reset your password.")
    user = find_user(session, address)
    ok = user is not None and verify_password(hasher, user.password_hash, password)
    session.add(LoginAttempt(email=address, ip=ip[:64], at=now, succeeded=ok))
    if not ok or user is None:
        return SignIn(None, "That e-mail and password do not match an account.")
    if user.email_verified_at is None:
        return SignIn(
            None, "Please confirm your e-mail first: we sent you a link (or resend it).", True
        )
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return SignIn(user)


def start_session(session: Session, user: User, *, now: datetime) -> str:
    """A new session for ``user``: the cookie value to hand to the browser."""
    token = new_token()
    session.add(
        UserSession(
            token_hash=digest(token),
            user_id=user.user_id,
            created_at=now,
            expires_at=now + SESSION_TTL,
        )
    )
    return token


def end_session(session: Session, token: str) -> None:
    """Forget a session (sign-out)."""
    session.execute(delete(UserSession).where(UserSession.token_hash == digest(token)))


def end_all_sessions(session: Session, user_id: int) -> None:
    """Forget every session of a user (password changed or reset)."""
    session.execute(delete(UserSession).where(UserSession.user_id == user_id))


def session_user(
    session: Session, token: str, *, now: datetime
) -> tuple[User, Subscription | None] | None:
    """The signed-in user of a session cookie and their subscription, if the session is live."""
    row = session.execute(
        select(User, Subscription)
        .join(UserSession, UserSession.user_id == User.user_id)
        .outerjoin(Subscription, Subscription.user_id == User.user_id)
        .where(UserSession.token_hash == digest(token), UserSession.expires_at > now)
    ).first()
    return None if row is None else (row[0], row[1])


def effective_tier(subscription: Subscription | None, *, now: datetime) -> Tier:
    """The tier a subscription grants now: paid while active, or past due within its grace."""
    if subscription is None:
        return Tier.FREE
    if subscription.status in ("active", "trialing"):
        return Tier.parse(subscription.tier)
    if subscription.status == "past_due" and (
        subscription.grace_until is not None and subscription.grace_until > now
    ):
        return Tier.parse(subscription.tier)
    return Tier.FREE


def reader_tier(user: User, subscription: Subscription | None, *, now: datetime) -> Tier:
    """The tier a user reads at: staff see everything, others what their subscription grants."""
    if user.role in STAFF_ROLES:
        return Tier.PREMIUM
    return effective_tier(subscription, now=now)


def change_password(session: Session, hasher: PasswordHasher, user: User, password: str) -> None:
    """Set a new password and sign out every session of the user.

    Raises:
        AccountError: If the new password breaks the rules.
    """
    check_password(password)
    user.password_hash = hasher.hash(password)
    end_all_sessions(session, user.user_id)


def export_user(session: Session, user: User) -> dict[str, Any]:
    """Everything we keep about a user, as JSON-ready data (the export before deletion)."""

    def rows(model: Any, *columns: str) -> list[dict[str, Any]]:
        found = session.scalars(select(model).where(model.user_id == user.user_id))
        return [{c: _jsonable(getattr(r, c)) for c in columns} for r in found]

    return {
        "user": {
            "email": user.email,
            "role": user.role,
            "time_zone": user.time_zone,
            "created_at": _jsonable(user.created_at),
            "email_verified_at": _jsonable(user.email_verified_at),
        },
        "subscription": rows(Subscription, "tier", "status", "provider", "current_period_end"),
        "payments": rows(Payment, "payment_id", "amount_cents", "currency", "kind", "at"),
        "api_keys": rows(ApiKey, "key_id", "name", "created_at", "revoked_at"),
        "watchlist": rows(WatchlistItem, "asset_id", "added_at"),
        "alert_rules": rows(AlertRule, "asset_id", "kind", "threshold", "email", "created_at"),
        "usage": rows(UsageDaily, "day", "route", "kind", "requests"),
    }


def delete_user(session: Session, user: User) -> None:
    """Remove a user and, by cascade, their sessions, tokens, keys, lists and alerts."""
    session.execute(delete(UsageDaily).where(UsageDaily.user_id == user.user_id))
    session.delete(user)


def _jsonable(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value
