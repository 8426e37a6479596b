"""Secrets in and out: random tokens, their digests, HMAC signatures and password hashing.

Only digests of tokens are stored, so a leaked table opens no session; the
argon2 cost is set from the settings (``make bench`` reports what a login costs).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from tickerpulse.config import Settings


def new_token(nbytes: int = 32) -> str:
    """A URL-safe random token of ``nbytes`` bytes of entropy."""
    return secrets.token_urlsafe(nbytes)


def digest(token: str) -> str:
    """The SHA-256 hex digest a token is stored and looked up by."""
    return hashlib.sha256(token.encode()).hexdigest()


def sign(key: bytes, message: str) -> str:
    """An HMAC-SHA256 signature of ``message`` (hex)."""
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def same(a: str, b: str) -> bool:
    """Constant-time string comparison."""
    return hmac.compare_digest(a.encode(), b.encode())


def password_hasher(settings: Settings) -> PasswordHasher:
    """An argon2id hasher with the configured cost."""
    return PasswordHasher(
        time_cost=settings.argon2_time_cost,
        memory_cost=settings.argon2_memory_kib,
        parallelism=settings.argon2_parallelism,
    )


def verify_password(hasher: PasswordHasher, stored: str, password: str) -> bool:
    """Whether ``password`` matches the stored hash (False for a malformed hash too)."""
    try:
        return hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def secret_key(settings: Settings) -> bytes:
    """``SECRET_KEY``, or in demo mode a random key kept in ``<home>/secret_key``.

    Outside demo mode a key made per machine would differ between the web
    processes of one site (each Cloud Run instance its own), so it is required.

    Raises:
        RuntimeError: If ``SECRET_KEY`` is unset outside demo mode.
    """
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value().encode()
    if not settings.demo_mode:
        raise RuntimeError("SECRET_KEY is not set (required outside demo mode)")
    path: Path = settings.home / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip().encode()
