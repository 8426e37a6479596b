"""Webhook signatures as a receiver checks them, and the per-user secrets they use."""

from __future__ import annotations

import hashlib
import hmac

from tickerpulse.platform.webhooks.signing import derive_secret, signature, verify

SECRET = "tpwh_" + "ab" * 32
BODY = b'{"type":"alerts.fired","alerts":[]}'
T = 1_765_000_000


def test_the_header_is_hmac_sha256_over_timestamp_dot_body() -> None:
    expected = hmac.new(SECRET.encode(), f"{T}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert signature(SECRET, T, BODY) == f"t={T},v1={expected}"


def test_a_receiver_accepts_the_signed_body_and_nothing_else() -> None:
    header = signature(SECRET, T, BODY)
    assert verify(SECRET, header, BODY, now=T + 10)
    assert not verify(SECRET, header, BODY + b" ", now=T)  # body changed
    assert not verify("tpwh_other", header, BODY, now=T)  # another secret
    assert not verify(SECRET, header, BODY, now=T + 301)  # replayed later
    assert not verify(SECRET, header.replace(f"t={T}", f"t={T + 1}"), BODY, now=T)
    assert not verify(SECRET, "v1=deadbeef", BODY, now=T)
    assert not verify(SECRET, "garbage", BODY, now=T)


def test_secrets_differ_per_user_per_nonce_and_per_site_key() -> None:
    key = b"site-key"
    one = derive_secret(key, 1, "n1")
    assert one == derive_secret(key, 1, "n1") and one.startswith("tpwh_") and len(one) == 69
    assert len({one, derive_secret(key, 2, "n1"), derive_secret(key, 1, "n2"),
                derive_secret(b"other", 1, "n1")}) == 4  # fmt: skip
