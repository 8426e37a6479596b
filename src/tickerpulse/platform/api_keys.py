"""API keys: ``tp_<id>_<secret>``, shown once, kept as a digest, revocable.

The id part finds the row; the digest of the whole key proves it, in constant time.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tickerpulse.db.platform import ApiKey, Subscription, User
from tickerpulse.platform.crypto import digest, new_token, same

PREFIX = "tp_"
MAX_KEYS = 10


def create_key(session: Session, user: User, *, name: str, now: datetime) -> str:
    """A new key for ``user``; the returned string is the only time it is readable.

    Raises:
        ValueError: When the user already has :data:`MAX_KEYS` live keys.
    """
    live = session.scalars(
        select(ApiKey).where(ApiKey.user_id == user.user_id, ApiKey.revoked_at.is_(None))
    ).all()
    if len(live) >= MAX_KEYS:
        raise ValueError(f"At most {MAX_KEYS} live keys: revoke one first.")
    key_id = secrets.token_hex(6)
    key = f"{PREFIX}{key_id}_{new_token(24)}"
    session.add(
        ApiKey(
            key_id=key_id,
            user_id=user.user_id,
            name=name.strip()[:100] or "key",
            key_hash=digest(key),
            created_at=now,
        )
    )
    return key


def keys_of(session: Session, user_id: int) -> list[ApiKey]:
    """The user's API keys (revoked ones too), oldest first."""
    query = select(ApiKey).where(ApiKey.user_id == user_id).order_by(ApiKey.created_at)
    return list(session.scalars(query))


def key_owner(session: Session, key: str) -> tuple[ApiKey, User, Subscription | None] | None:
    """The live key, its user and subscription for a presented key, or None."""
    if not key.startswith(PREFIX) or key.count("_") < 2:
        return None
    key_id = key[len(PREFIX) :].split("_", 1)[0]
    row = session.execute(
        select(ApiKey, User, Subscription)
        .join(User, User.user_id == ApiKey.user_id)
        .outerjoin(Subscription, Subscription.user_id == User.user_id)
        .where(ApiKey.key_id == key_id, ApiKey.revoked_at.is_(None))
    ).first()
    if row is None or not same(row[0].key_hash, digest(key)):
        return None
    return row[0], row[1], row[2]


def revoke(session: Session, user: User, key_id: str, *, now: datetime) -> bool:
    """Revoke one of the user's keys; False if it is not theirs or already revoked."""
    row = session.get(ApiKey, key_id)
    if row is None or row.user_id != user.user_id or row.revoked_at is not None:
        return False
    row.revoked_at = now
    return True
