"""Billing: the demo's sandbox checkout through the webhook path, Stripe-signed webhooks, grace,
refunds. (What production refuses: tests/integration/test_security_defaults.py.)"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from tests.web_helpers import CACHES, HTML, add_user, csrf_of, platform_settings, sign_in
from tickerpulse.db.platform import BillingEvent, Payment, Subscription, User
from tickerpulse.platform import billing
from tickerpulse.platform.tiers import Tier
from tickerpulse.web.app import create_app

SECRET = "whsec_test_secret"


@CACHES
def test_upgrade_through_the_sandbox_unlocks_the_gated_page(
    engine: Engine, cache_seconds: float
) -> None:
    add_user(engine, "buyer@example.com")
    settings = platform_settings(page_cache_seconds=cache_seconds, demo_mode=True)
    with TestClient(create_app(settings, engine)) as client:
        sign_in(client, "buyer@example.com")
        assert client.get("/predictions", headers=HTML).status_code == 403
        forged = client.post("/billing/sandbox/pay", data={"tier": "premium",
                             "csrf_token": "forged"})  # fmt: skip
        assert forged.status_code == 403 and "another site" in forged.text
        pricing = client.get("/pricing").text
        to_checkout = client.post(
            "/billing/checkout", data={"tier": "premium", "csrf_token": csrf_of(pricing)},
            follow_redirects=False,
        )  # fmt: skip
        assert to_checkout.headers["location"] == "/billing/sandbox/checkout?tier=premium"
        page = client.get(to_checkout.headers["location"]).text
        assert "$49.00" in page
        paid = client.post(
            "/billing/sandbox/pay", data={"tier": "premium", "csrf_token": csrf_of(page)},
            follow_redirects=False,
        )  # fmt: skip
        assert paid.status_code == 303
        assert client.get("/predictions", headers=HTML).status_code == 200
        assert ">Premium<" in client.get("/account").text
    with Session(engine) as session:
        payment = session.scalars(select(Payment)).one()
        assert (payment.amount_cents, payment.kind) == (4900, "charge")
        assert session.scalar(select(func.count()).select_from(BillingEvent)) == 2


def signed(event: dict[str, Any], secret: str = SECRET, at: int | None = None) -> tuple[str, dict]:
    payload = json.dumps(event)
    return payload, {"stripe-signature": billing.sign_payload(payload, secret, at)}


def event(kind: str, obj: dict[str, Any], event_id: str) -> dict[str, Any]:
    return {"id": event_id, "object": "event", "type": kind, "data": {"object": obj}}


@pytest.fixture
def stripe_app(engine: Engine) -> Iterator[tuple[TestClient, int]]:
    settings = platform_settings(
        payment_provider="stripe", stripe_api_key="sk_test_x", stripe_webhook_secret=SECRET,
        stripe_price_pro="price_pro_1", stripe_price_premium="price_premium_1",
    )  # fmt: skip
    user_id = add_user(engine, "s@example.com")
    with TestClient(create_app(settings, engine)) as client:
        yield client, user_id


def completed(user_id: int, event_id: str = "evt_1") -> dict[str, Any]:
    return event(
        "checkout.session.completed",
        {"client_reference_id": str(user_id), "customer": "cus_9", "subscription": "sub_9",
         "metadata": {"tier": "pro"}},
        event_id,
    )  # fmt: skip


def subscription(engine: Engine) -> Subscription:
    with Session(engine) as session:
        return session.scalars(select(Subscription)).one()


def test_webhooks_need_a_valid_fresh_stripe_signature(
    engine: Engine, stripe_app: tuple[TestClient, int]
) -> None:
    client, user_id = stripe_app
    payload, headers = signed(completed(user_id), secret="whsec_forged")
    assert client.post("/billing/webhook", content=payload, headers=headers).status_code == 400
    payload, headers = signed(completed(user_id), at=int(time.time()) - 3600)
    assert client.post("/billing/webhook", content=payload, headers=headers).status_code == 400
    assert client.post("/billing/webhook", content=payload).status_code == 400
    payload, headers = signed(completed(user_id))
    tampered = payload.replace('"pro"', '"premium"')
    assert client.post("/billing/webhook", content=tampered, headers=headers).status_code == 400
    with Session(engine) as session:
        assert session.scalars(select(Subscription)).first() is None
    ok = client.post("/billing/webhook", content=payload, headers=headers)
    assert ok.status_code == 200 and ok.json()["outcome"] == "pro active"


def test_a_replayed_event_changes_nothing(
    engine: Engine, stripe_app: tuple[TestClient, int]
) -> None:
    client, user_id = stripe_app
    client.post("/billing/webhook", content=(p := signed(completed(user_id)))[0], headers=p[1])
    cancel = event("customer.subscription.deleted", {"customer": "cus_9", "id": "sub_9"}, "evt_2")
    client.post("/billing/webhook", content=(c := signed(cancel))[0], headers=c[1])
    assert subscription(engine).status == "canceled"
    replay = client.post("/billing/webhook", content=p[0], headers=signed(completed(user_id))[1])
    assert replay.json()["outcome"] == "duplicate"
    assert subscription(engine).status == "canceled"


def test_failed_payment_keeps_the_plan_for_the_grace_period_then_free(
    engine: Engine, stripe_app: tuple[TestClient, int]
) -> None:
    from tickerpulse.platform.accounts import effective_tier

    client, user_id = stripe_app
    client.post("/billing/webhook", content=(p := signed(completed(user_id)))[0], headers=p[1])
    failed = event("invoice.payment_failed", {"customer": "cus_9", "id": "in_1"}, "evt_3")
    client.post("/billing/webhook", content=(f := signed(failed))[0], headers=f[1])
    row = subscription(engine)
    assert row.status == "past_due" and row.grace_until is not None
    now = datetime.now(UTC)
    assert effective_tier(row, now=now) == Tier.PRO
    assert effective_tier(row, now=now + timedelta(days=8)) == Tier.FREE
    paid = event("invoice.paid", {"customer": "cus_9", "id": "in_1", "amount_paid": 1900}, "evt_4")
    client.post("/billing/webhook", content=(q := signed(paid))[0], headers=q[1])
    assert subscription(engine).status == "active"
    switch = event(
        "customer.subscription.updated",
        {"customer": "cus_9", "id": "sub_9", "status": "active",
         "items": {"data": [{"price": {"id": "price_premium_1"}}]}},
        "evt_5",
    )  # fmt: skip
    client.post("/billing/webhook", content=(s := signed(switch))[0], headers=s[1])
    assert subscription(engine).tier == "premium"
    refund = event(
        "charge.refunded", {"customer": "cus_9", "id": "ch_1", "amount_refunded": 1900}, "evt_6"
    )
    client.post("/billing/webhook", content=(r := signed(refund))[0], headers=r[1])
    with Session(engine) as session:
        net = session.scalar(select(func.sum(Payment.amount_cents)))
    assert net == 0


class FakeStripe(BaseHTTPRequestHandler):
    """Answers Stripe's documented create-session calls with documented response shapes."""

    seen: ClassVar[list[tuple[str, dict[str, list[str]], str]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"])).decode()
        FakeStripe.seen.append((self.path, parse_qs(body), self.headers.get("authorization", "")))
        if self.path == "/v1/checkout/sessions":
            reply = {"id": "cs_test_1", "object": "checkout.session", "mode": "subscription",
                     "url": "https://checkout.stripe.com/c/pay/cs_test_1"}  # fmt: skip
        elif self.path == "/v1/billing_portal/sessions":
            reply = {"id": "bps_1", "object": "billing_portal.session",
                     "url": "https://billing.stripe.com/p/session/bps_1"}  # fmt: skip
        else:
            self.send_response(404)
            self.end_headers()
            return
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        return


def test_stripe_checkout_and_portal_go_through_the_stripe_sdk(engine: Engine) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeStripe)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings = platform_settings(
        payment_provider="stripe", stripe_api_key="sk_test_abc", stripe_webhook_secret=SECRET,
        stripe_api_url=f"http://127.0.0.1:{server.server_port}", stripe_price_pro="price_pro_1",
    )  # fmt: skip
    add_user(engine, "p@example.com", tier="pro")
    buyer_id = add_user(engine, "new@example.com")
    try:
        with TestClient(create_app(settings, engine)) as client:
            sign_in(client, "new@example.com")
            token = csrf_of(client.get("/account").text)
            out = client.post("/billing/checkout", data={"tier": "pro", "csrf_token": token},
                              follow_redirects=False)  # fmt: skip
            client.post("/logout", data={"csrf_token": token})
            sign_in(client, "p@example.com")
            token = csrf_of(client.get("/account").text)
            portal = client.post(
                "/billing/portal", data={"csrf_token": token}, follow_redirects=False
            )
    finally:
        server.shutdown()
    assert out.headers["location"] == "https://checkout.stripe.com/c/pay/cs_test_1"
    assert portal.headers["location"] == "https://billing.stripe.com/p/session/bps_1"
    path, form, auth = FakeStripe.seen[0]
    assert path == "/v1/checkout/sessions" and auth == "Bearer sk_test_abc"
    assert form["line_items[0][price]"] == ["price_pro_1"] and form["mode"] == ["subscription"]
    assert form["client_reference_id"] == [str(buyer_id)]
    with Session(engine) as session:
        user = session.scalars(select(User).where(User.email == "p@example.com")).one()
    assert FakeStripe.seen[1][1]["customer"] == [f"cus_test_{user.user_id}"]


def test_pro_to_premium_in_the_sandbox_charges_the_prorated_difference_once(
    engine: Engine,
) -> None:
    """One upgrade halfway through the period: $19 + (49 - 19) / 2 = $34, not $19 + $49."""
    add_user(engine, "up@example.com")
    settings = platform_settings(demo_mode=True)
    with TestClient(create_app(settings, engine)) as client:
        sign_in(client, "up@example.com")
        page = client.get("/billing/sandbox/checkout?tier=pro").text
        client.post("/billing/sandbox/pay", data={"tier": "pro", "csrf_token": csrf_of(page)})
        assert subscription(engine).current_period_end is not None  # from the paid invoice
        with Session(engine) as session:  # half the 30-day period has gone by
            row = session.scalars(select(Subscription)).one()
            row.current_period_end = datetime.now(UTC) + timedelta(days=15)
            session.commit()
        pricing = client.get("/pricing").text
        assert "Upgrade to Premium" in pricing and "Choose Premium" not in pricing
        upgraded = client.post(
            "/billing/checkout", data={"tier": "premium", "csrf_token": csrf_of(pricing)},
            follow_redirects=False,
        )  # fmt: skip
        assert upgraded.headers["location"] == "/account?notice=billing_upgrade"
        assert "price difference" in client.get(upgraded.headers["location"]).text
    assert subscription(engine).tier == "premium"
    with Session(engine) as session:
        amounts = sorted(p.amount_cents for p in session.scalars(select(Payment)))
    assert 1495 <= amounts[0] <= 1500 and amounts[1] == 1900  # seconds pass during the test
    assert sum(amounts) < 1900 + 4900


def test_a_premium_subscriber_is_offered_a_downgrade_at_the_period_end(engine: Engine) -> None:
    add_user(engine, "down@example.com")
    settings = platform_settings(demo_mode=True)
    with TestClient(create_app(settings, engine)) as client:
        sign_in(client, "down@example.com")
        page = client.get("/billing/sandbox/checkout?tier=premium").text
        client.post("/billing/sandbox/pay", data={"tier": "premium", "csrf_token": csrf_of(page)})
        pricing = client.get("/pricing").text
        assert "Choose Pro" not in pricing and "Downgrade to Pro" in pricing
        assert "end of your billing period" in pricing
        down = client.post(
            "/billing/checkout", data={"tier": "pro", "csrf_token": csrf_of(pricing)},
            follow_redirects=False,
        )  # fmt: skip
        assert down.headers["location"] == "/account?notice=billing_downgrade"
        assert (
            "Downgrade to <strong>Pro</strong> scheduled"
            in client.get("/billing/sandbox/portal").text
        )
    assert subscription(engine).tier == "premium"  # kept until the period ends
    with Session(engine) as session:
        assert [p.amount_cents for p in session.scalars(select(Payment))] == [4900]
