"""Accounts in the database: sign-up, single-use e-mail tokens, sign-in with back-off, sessions.

Functions take an open session and ``now`` and leave committing to the caller,
so a route commits once and tests control the clock. Tokens handed out are
random; only their digests are stored. An unknown address costs a sign-in the
same password hash as a known one, so the answer's timing does not tell them apart.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import delete, select, update
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
from tickerpulse.platform.crypto import digest, new_token, verify_password
from tickerpulse.platform.passwords import password_problem
from tickerpulse.platform.signin_limits import LoginLimits, forget_old_attempts, seconds_to_wait
from tickerpulse.platform.tiers import Tier

SESSION_TTL = timedelta(days=14)
SESSION_IDLE = timedelta(hours=12)
SEEN_GRANULARITY = timedelta(minutes=1)
"""A session's ``last_seen_at`` is written at most this often (not on every request)."""
TOKEN_TTL = {"verify": timedelta(days=2), "reset": timedelta(hours=1)}
STAFF_ROLES = ("editor", "admin")
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


def check_password(password: str, *, email: str | None = None) -> None:
    """Refuse passwords that are too short, absurdly long, common or a simple pattern.

    Raises:
        AccountError: With the rule the password broke.
    """
    problem = password_problem(password, email=email)
    if problem is not None:
        raise AccountError(problem)


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
    check_password(password, email=address)
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


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in: the user, or why not."""

    user: User | None
    error: str | None = None
    unverified: bool = False
    """The password was right but the address is not confirmed yet."""
    retry_after: int = 0
    """Seconds this address must wait from this IP before its password is checked again."""


_dummy_hashes: dict[tuple[int, int, int], str] = {}
_dummy_lock = threading.Lock()


def dummy_hash(hasher: PasswordHasher) -> str:
    """A hash of a random password with ``hasher``'s cost, checked for unknown addresses."""
    cost = (hasher.time_cost, hasher.memory_cost, hasher.parallelism)
    with _dummy_lock:
        if cost not in _dummy_hashes:
            _dummy_hashes[cost] = hasher.hash(new_token())
        return _dummy_hashes[cost]


def authenticate(
    session: Session,
    hasher: PasswordHasher,
    *,
    email: str,
    password: str,
    ip: str,
    now: datetime,
    limits: LoginLimits,
) -> SignIn:
    """Check a sign-in, recording the attempt; a pair that must wait is refused before hashing.

    An unknown address is checked against a dummy hash of the same cost, so it
    answers as slowly as a known one with a wrong password.
    """
    address = email.strip().lower()[:254]
    ip = ip[:64]
    wait = seconds_to_wait(session, email=address, ip=ip, now=now, limits=limits)
    if wait > 0:
        return SignIn(
            None,
            f"Too many failed sign-ins from here: try again in {wait} seconds,"
            " or reset your password.",
            retry_after=wait,
        )
    forget_old_attempts(session, now=now)
    user = find_user(session, address)
    stored = dummy_hash(hasher) if user is None else user.password_hash
    ok = verify_password(hasher, stored, password) and user is not None
    session.add(LoginAttempt(email=address, ip=ip, at=now, succeeded=ok))
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
            last_seen_at=now,
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
    session: Session, token: str, *, now: datetime, idle: timedelta = SESSION_IDLE
) -> tuple[User, Subscription | None] | None:
    """The signed-in user of a session cookie and their subscription, if the session is live.

    A session is live within its 14 days and while it was used in the last
    ``idle``; using it counts as activity (written at most once a minute).
    """
    token_hash = digest(token)
    row = session.execute(
        select(User, Subscription, UserSession.last_seen_at)
        .join(UserSession, UserSession.user_id == User.user_id)
        .outerjoin(Subscription, Subscription.user_id == User.user_id)
        .where(
            UserSession.token_hash == token_hash,
            UserSession.expires_at > now,
            UserSession.last_seen_at > now - idle,
        )
    ).first()
    if row is None:
        return None
    if row[2] < now - SEEN_GRANULARITY:
        session.execute(
            update(UserSession).where(UserSession.token_hash == token_hash).values(last_seen_at=now)
        )
    return row[0], row[1]


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
    check_password(password, email=user.email)
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
