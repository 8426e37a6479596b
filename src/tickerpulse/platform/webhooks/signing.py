"""Webhook signatures: the per-user signing secret and the ``X-Tickerpulse-Signature`` header.

A delivery carries ``X-Tickerpulse-Signature: t=<unix seconds>,v1=<hex>``, where
``v1`` is HMAC-SHA256 under the user's signing secret of ``"<t>." + body`` (the
raw request body as sent). A receiver recomputes it, compares in constant
time and refuses a ``t`` far from its own clock (a replayed delivery).

The secret is never stored: it is derived from the site's ``SECRET_KEY`` and
a random nonce kept per user (``HMAC(SECRET_KEY, "webhook-secret:" user nonce)``),
so a copy of the database alone cannot forge a delivery. Rotating draws a new
nonce; changing ``SECRET_KEY`` changes every user's secret (they rotate to see
the new one).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

SIGNATURE_HEADER = "X-Tickerpulse-Signature"
DELIVERY_HEADER = "X-Tickerpulse-Delivery"
SECRET_PREFIX = "tpwh_"
TOLERANCE_SECONDS = 300
"""How far from the receiver's clock a signature's timestamp may be (the documented default)."""


def new_nonce() -> str:
    """A fresh random nonce for a user's secret (stored; the secret is not)."""
    return secrets.token_hex(16)


def derive_secret(site_key: bytes, user_id: int, nonce: str) -> str:
    """The user's signing secret: ``tpwh_`` and 64 hex digits."""
    message = f"webhook-secret:{user_id}:{nonce}".encode()
    return SECRET_PREFIX + hmac.new(site_key, message, hashlib.sha256).hexdigest()


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The header value for ``body`` sent at ``timestamp`` (unix seconds)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(
    secret: str, header: str, body: bytes, *, now: int, tolerance: int = TOLERANCE_SECONDS
) -> bool:
    """Whether ``header`` signs ``body`` under ``secret`` within ``tolerance`` seconds of ``now``.

    What a receiver runs (documented in docs/security.md); used by the tests.
    """
    fields: dict[str, list[str]] = {}
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        fields.setdefault(name, []).append(value)
    try:
        timestamp = int(fields["t"][0])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body).split("v1=", 1)[1]
    return any(hmac.compare_digest(expected, v) for v in fields.get("v1", []))
