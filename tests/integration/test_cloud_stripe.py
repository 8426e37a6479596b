"""Stripe mode through the real ``stripe`` SDK against stripe-mock (Stripe's own API mock).

stripe-mock checks every request against Stripe's OpenAPI description (a wrong
parameter is a 400, as with Stripe) and answers with fixed fixture objects: it
keeps no state, reflects only top-level scalar parameters, and never sends
webhooks. So each test drives the site, then builds the webhook events Stripe
would send from the objects stripe-mock returns, signs them with a test secret
and posts them to ``/billing/webhook``. Where Stripe would echo what we sent and
stripe-mock does not (metadata, the price of an updated item), the test says so.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import stripe
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from tests.web_helpers import add_user, csrf_of, platform_settings, sign_in
from tickerpulse.db.platform import BillingEvent, Payment, Subscription
from tickerpulse.platform import billing
from tickerpulse.web.app import create_app

from ..cloud_emulators import stripe_mock

pytestmark = pytest.mark.cloud

SECRET = "whsec_cloud_test_secret"
PRICES = {"stripe_price_pro": "price_pro_cloud", "stripe_price_premium": "price_premium_cloud"}


@pytest.fixture(scope="module")
def stripe_url() -> Iterator[str]:
    with stripe_mock() as url:
        yield url


def settings_for(api_url: str, api_key: str = "sk_test_cloud", **extra: Any) -> Any:
    return platform_settings(
        payment_provider="stripe", stripe_api_key=api_key, stripe_webhook_secret=SECRET,
        stripe_api_url=api_url, **PRICES, **extra,
    )  # fmt: skip


def sdk(stripe_url: str) -> stripe.StripeClient:
    """The test's own client, to fetch the objects Stripe would put in its events."""
    return stripe.StripeClient("sk_test_cloud", base_addresses={"api": stripe_url})


def post_event(client: TestClient, kind: str, obj: dict[str, Any], event_id: str) -> str:
    """Sign an event as Stripe does and deliver it; returns the handler's outcome."""
    event = {"id": event_id, "object": "event", "type": kind, "api_version": stripe.api_version,
             "created": int(time.time()), "livemode": False, "data": {"object": obj}}  # fmt: skip
    payload = json.dumps(event, default=str)  # decimal fields travel as strings, as from Stripe
    headers = {"stripe-signature": billing.sign_payload(payload, SECRET)}
    answer = client.post("/billing/webhook", content=payload, headers=headers)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["outcome"])


def subscribe_through_checkout(
    client: TestClient, stripe_url: str, user_id: int, tier: str
) -> dict[str, Any]:
    """Checkout on the site, then the completion event built from stripe-mock's objects."""
    token = csrf_of(client.get("/pricing").text)
    out = client.post("/billing/checkout", data={"tier": tier, "csrf_token": token},
                      follow_redirects=False)  # fmt: skip
    assert out.status_code == 303
    assert out.headers["location"].startswith("https://checkout.stripe.com/")  # stripe-mock's URL
    api = sdk(stripe_url)
    # stripe-mock's fixture customer, the one its later subscription objects name too
    customer = api.v1.subscriptions.retrieve("sub_any").customer
    subscription = api.v1.subscriptions.create(
        params={"customer": customer, "items": [{"price": PRICES[f"stripe_price_{tier}"]}]}
    ).to_dict()
    session = api.v1.checkout.sessions.create(
        params={"mode": "subscription", "client_reference_id": str(user_id),
                "success_url": "https://example.com/account", "line_items": [
                    {"price": PRICES[f"stripe_price_{tier}"], "quantity": 1}]}
    ).to_dict()  # fmt: skip
    assert session["client_reference_id"] == str(user_id)
    # what completion adds, and the metadata Stripe echoes but stripe-mock does not reflect
    session |= {"status": "complete", "customer": subscription["customer"],
                "subscription": subscription["id"], "metadata": {"tier": tier}}  # fmt: skip
    assert post_event(client, "checkout.session.completed", session, "evt_cs") == f"{tier} active"
    return subscription


def row(engine: Engine) -> Subscription:
    with Session(engine) as session:
        return session.scalars(select(Subscription)).one()


def test_checkout_plan_upgrade_portal_and_cancellation_through_stripe(
    engine: Engine, stripe_url: str
) -> None:
    user_id = add_user(engine, "stripe@example.com")
    with TestClient(create_app(settings_for(stripe_url), engine)) as client:
        sign_in(client, "stripe@example.com")
        subscription = subscribe_through_checkout(client, stripe_url, user_id, "pro")
        assert (row(engine).tier, row(engine).subscription_id) == ("pro", subscription["id"])

        pricing = client.get("/pricing").text
        assert "Upgrade to Premium" in pricing and "Choose Premium" not in pricing
        upgrade = client.post("/billing/checkout", data={"tier": "premium",
                              "csrf_token": csrf_of(pricing)}, follow_redirects=False)  # fmt: skip
        # the subscription was updated in place (stripe-mock accepted the prorated update):
        # no second Checkout, so no second subscription and no second full charge
        assert upgrade.headers["location"] == "/account?notice=billing_upgrade"
        updated = sdk(stripe_url).v1.subscriptions.update(subscription["id"]).to_dict()
        updated["items"]["data"][0]["price"]["id"] = PRICES["stripe_price_premium"]  # as Stripe
        assert post_event(client, "customer.subscription.updated", updated, "evt_up").startswith(
            "premium"
        )
        assert row(engine).tier == "premium"

        portal = client.post("/billing/portal", data={"csrf_token": csrf_of(pricing)},
                             follow_redirects=False)  # fmt: skip
        assert portal.status_code == 303 and portal.headers["location"].startswith("https://")
        # the reader cancels on Stripe's portal page; Stripe then sends the deleted subscription
        canceled = sdk(stripe_url).v1.subscriptions.cancel(subscription["id"]).to_dict()
        assert post_event(client, "customer.subscription.deleted", canceled, "evt_del") == (
            "canceled"
        )
        assert row(engine).status == "canceled"


def test_a_premium_subscriber_downgrades_at_the_period_end(engine: Engine, stripe_url: str) -> None:
    user_id = add_user(engine, "premium@example.com")
    with TestClient(create_app(settings_for(stripe_url), engine)) as client:
        sign_in(client, "premium@example.com")
        subscribe_through_checkout(client, stripe_url, user_id, "premium")
        pricing = client.get("/pricing").text
        assert "Downgrade to Pro" in pricing and "Choose Pro" not in pricing
        assert "end of your billing period" in pricing
        down = client.post("/billing/checkout", data={"tier": "pro",
                           "csrf_token": csrf_of(pricing)}, follow_redirects=False)  # fmt: skip
        assert down.headers["location"] == "/account?notice=billing_downgrade"
        assert "at the end of the billing period" in client.get(down.headers["location"]).text
    assert (row(engine).tier, row(engine).status) == ("premium", "active")  # kept until then


def test_stripe_refusing_a_call_tells_the_reader_and_changes_nothing(
    engine: Engine, stripe_url: str
) -> None:
    add_user(engine, "refused@example.com")
    add_user(engine, "upgrader@example.com", tier="pro")
    # stripe-mock answers 401 authentication_error to a key that is not a test key
    with TestClient(create_app(settings_for(stripe_url, api_key="rk_wrong"), engine)) as client:
        for email, tier in (("refused@example.com", "pro"), ("upgrader@example.com", "premium")):
            sign_in(client, email)
            token = csrf_of(client.get("/pricing").text)
            answer = client.post("/billing/checkout", data={"tier": tier, "csrf_token": token},
                                 follow_redirects=False)  # fmt: skip
            assert answer.status_code == 502
            assert "nothing was changed" in answer.text and "rk_wrong" not in answer.text
            portal = client.post("/billing/portal", data={"csrf_token": token},
                                 follow_redirects=False)  # fmt: skip
            assert portal.status_code in (303, 502)  # 303 to /pricing for a reader without one
            client.post("/logout", data={"csrf_token": token})
    with Session(engine) as session:
        rows = session.scalars(select(Subscription)).all()
        assert [(r.tier, r.status) for r in rows] == [("pro", "active")]
        assert session.scalar(select(func.count()).select_from(Payment)) == 0
        assert session.scalar(select(func.count()).select_from(BillingEvent)) == 0


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A server that accepts connections and never answers (Stripe timing out)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    listener.close()


def test_stripe_not_answering_in_time_tells_the_reader_and_changes_nothing(
    engine: Engine, silent_server: str
) -> None:
    add_user(engine, "slow@example.com", tier="pro")
    settings = settings_for(silent_server, stripe_timeout_seconds=0.5)
    with TestClient(create_app(settings, engine)) as client:
        sign_in(client, "slow@example.com")
        token = csrf_of(client.get("/pricing").text)
        started = time.monotonic()
        answer = client.post("/billing/checkout", data={"tier": "premium", "csrf_token": token},
                             follow_redirects=False)  # fmt: skip
        portal = client.post("/billing/portal", data={"csrf_token": token}, follow_redirects=False)
        took = time.monotonic() - started
    assert answer.status_code == portal.status_code == 502
    assert "try again" in answer.text
    assert took < 5  # the reader waits the timeout once per call, no retries
    assert (row(engine).tier, row(engine).status) == ("pro", "active")
