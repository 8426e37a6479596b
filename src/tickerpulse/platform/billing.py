"""Billing: payment providers (a local sandbox, Stripe) and the webhook events that change plans.

Both providers speak Stripe's event format and signature scheme
(``Stripe-Signature: t=<unix>,v1=<HMAC-SHA256 of "<t>.<body>">``), so one
handler, :func:`apply_event`, keeps the ``subscription`` table right whoever
sent the event. Events are applied once: their id goes into ``billing_event``
in the same transaction, so a replay (or Stripe's retries) changes nothing.

Only Stripe's events arrive over HTTP (``/billing/webhook``, signed with
``STRIPE_WEBHOOK_SECRET``). The sandbox (demo mode only) hands its events to the
same handler inside the process, signed with a random secret of that process,
so no one outside can forge one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import stripe
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session
from stripe._base_address import BaseAddresses

from tickerpulse.config import Settings
from tickerpulse.db.platform import BillingEvent, Payment, Subscription, User
from tickerpulse.platform.plan_change import (
    PlanChange,
    direction,
    prorated_cents,
    sandbox_period,
    stripe_change_plan,
)
from tickerpulse.platform.tiers import Tier
from tickerpulse.platform.webhook_payloads import parse_event

SIGNATURE_TOLERANCE_S = 300
PLAN_PRICE_CENTS = {Tier.PRO: 1900, Tier.PREMIUM: 4900}
"""What the plans cost a month, as the pricing page shows them (USD cents)."""


class WebhookRejected(ValueError):
    """A webhook whose signature, age or body is not acceptable (answered with 400)."""


def sign_payload(payload: str, secret: str, timestamp: int | None = None) -> str:
    """A ``Stripe-Signature`` header value for ``payload`` (the sandbox signs its events so)."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def verify_event(payload: str, signature: str | None, secret: str) -> dict[str, Any]:
    """Check a webhook's signature and age with the Stripe library and parse its body.

    Raises:
        WebhookRejected: If the signature is missing, wrong or older than five minutes.
    """
    try:
        stripe.WebhookSignature.verify_header(
            payload, signature, secret, tolerance=SIGNATURE_TOLERANCE_S
        )
        event = parse_event(payload)  # typed and bounded: a malformed event is refused here
    except (stripe.SignatureVerificationError, ValueError) as error:
        raise WebhookRejected(str(error)) from None
    if not isinstance(event, dict) or not isinstance(event.get("id"), str):
        raise WebhookRejected("an event needs an id")
    return event


def receive(
    session: Session,
    payload: str,
    signature: str | None,
    *,
    settings: Settings,
    now: datetime,
    secret: str | None = None,
) -> Applied:
    """Verify a signed webhook body and apply its event once (the caller commits).

    Args:
        session: The request's session.
        payload: The body as received.
        signature: The ``Stripe-Signature`` header.
        settings: The app's settings.
        now: The time the event is recorded at.
        secret: The signing secret; default: ``STRIPE_WEBHOOK_SECRET``.

    Raises:
        WebhookRejected: If the signature, age or body is not acceptable.
    """
    event = verify_event(payload, signature, secret or webhook_secret(settings))
    return apply_event(session, event, settings=settings, now=now)


def webhook_secret(settings: Settings) -> str:
    """Stripe's webhook secret (the only events accepted over HTTP are Stripe's).

    Raises:
        RuntimeError: If ``STRIPE_WEBHOOK_SECRET`` is not set (start-up refuses that first).
    """
    if settings.stripe_webhook_secret is None:
        raise RuntimeError("PAYMENT_PROVIDER=stripe needs STRIPE_WEBHOOK_SECRET")
    return settings.stripe_webhook_secret.get_secret_value()


def tier_for_price(settings: Settings, price_id: str | None) -> Tier | None:
    """Which tier a Stripe price id sells."""
    prices = {settings.stripe_price_pro: Tier.PRO, settings.stripe_price_premium: Tier.PREMIUM}
    return prices.get(price_id or "")


def price_for_tier(settings: Settings, tier: Tier) -> str:
    """The Stripe price id of a paid tier."""
    return settings.stripe_price_pro if tier == Tier.PRO else settings.stripe_price_premium


@dataclass(frozen=True)
class Applied:
    """What handling an event did, for the webhook's answer and the logs."""

    event_id: str
    outcome: str


def apply_event(
    session: Session, event: dict[str, Any], *, settings: Settings, now: datetime
) -> Applied:
    """Record an event once and update the subscription it is about.

    Handles checkout.session.completed, customer.subscription.updated/deleted,
    invoice.paid, invoice.payment_failed (grace period) and charge.refunded;
    other types are recorded and ignored. The caller commits.
    """
    event_id, kind = str(event["id"]), str(event.get("type", ""))
    inserted = session.execute(
        insert(BillingEvent)
        .values(event_id=event_id, event_type=kind[:64], received_at=now, payload=event)
        .on_conflict_do_nothing()
        .returning(BillingEvent.event_id)
    ).first()
    if inserted is None:
        return Applied(event_id, "duplicate")
    obj = event.get("data", {}).get("object", {})
    handler = _HANDLERS.get(kind)
    if handler is None:
        return Applied(event_id, "ignored")
    return Applied(event_id, handler(session, obj, settings, now))


def _checkout_completed(
    session: Session, obj: dict[str, Any], settings: Settings, now: datetime
) -> str:
    user = session.get(User, int(obj.get("client_reference_id") or 0))
    tier_name = (obj.get("metadata") or {}).get("tier")
    if user is None or tier_name not in ("pro", "premium"):
        return "no such user or tier"
    activate_subscription(
        session, user.user_id, tier=tier_name, provider=settings.payments,
        customer_id=obj.get("customer"), subscription_id=obj.get("subscription"), now=now,
    )  # fmt: skip
    return f"{tier_name} active"


def activate_subscription(
    session: Session,
    user_id: int,
    *,
    tier: str,
    provider: str,
    customer_id: str | None,
    subscription_id: str | None,
    now: datetime,
) -> Subscription:
    """Make ``tier`` the user's active plan (new or replacing their subscription row)."""
    row = session.get(Subscription, user_id) or Subscription(user_id=user_id)
    row.tier, row.status, row.provider = tier, "active", provider
    row.customer_id, row.subscription_id = customer_id, subscription_id
    row.grace_until, row.updated_at = None, now
    session.add(row)
    return row


def _subscription_row(session: Session, obj: dict[str, Any]) -> Subscription | None:
    customer = obj.get("customer")
    return session.scalars(select(Subscription).where(Subscription.customer_id == customer)).first()


def _subscription_updated(
    session: Session, obj: dict[str, Any], settings: Settings, now: datetime
) -> str:
    row = _subscription_row(session, obj)
    if row is None:
        return "unknown customer"
    items = (obj.get("items") or {}).get("data") or []
    price = (items[0].get("price") or {}).get("id") if items else None
    tier = tier_for_price(settings, price)
    if tier is not None:
        row.tier = tier.name.lower()
    status = str(obj.get("status", row.status))
    row.status = "canceled" if status in ("canceled", "unpaid", "incomplete_expired") else status
    if status == "active":
        row.grace_until = None
    if isinstance(obj.get("current_period_end"), int):
        row.current_period_end = datetime.fromtimestamp(obj["current_period_end"], UTC)
    row.updated_at = now
    return f"{row.tier} {row.status}"


def _subscription_deleted(
    session: Session, obj: dict[str, Any], settings: Settings, now: datetime
) -> str:
    row = _subscription_row(session, obj)
    if row is None:
        return "unknown customer"
    row.status, row.grace_until, row.updated_at = "canceled", None, now
    return "canceled"


def _payment_failed(
    session: Session, obj: dict[str, Any], settings: Settings, now: datetime
) -> str:
    row = _subscription_row(session, obj)
    if row is None:
        return "unknown customer"
    if row.status != "past_due":
        row.grace_until = now + timedelta(days=settings.billing_grace_days)
    row.status, row.updated_at = "past_due", now
    return f"past due, grace until {row.grace_until:%Y-%m-%d}"


def _invoice_paid(session: Session, obj: dict[str, Any], settings: Settings, now: datetime) -> str:
    row = _subscription_row(session, obj)
    lines = (obj.get("lines") or {}).get("data") or []
    period_end = (lines[0].get("period") or {}).get("end") if lines else None
    if row is not None and isinstance(period_end, int):
        row.current_period_end = datetime.fromtimestamp(period_end, UTC)
    _record_payment(
        session, f"{obj.get('id')}", row, int(obj.get("amount_paid") or 0), obj, "charge", now
    )
    if row is not None and row.status == "past_due":
        row.status, row.grace_until, row.updated_at = "active", None, now
    return "paid"


def _refunded(session: Session, obj: dict[str, Any], settings: Settings, now: datetime) -> str:
    row = _subscription_row(session, obj)
    amount = -int(obj.get("amount_refunded") or 0)
    _record_payment(session, f"refund:{obj.get('id')}", row, amount, obj, "refund", now)
    return f"refunded {-amount} cents"


def _record_payment(
    session: Session,
    payment_id: str,
    row: Subscription | None,
    amount: int,
    obj: dict[str, Any],
    kind: str,
    now: datetime,
) -> None:
    session.execute(
        insert(Payment)
        .values(
            payment_id=payment_id[:128],
            user_id=None if row is None else row.user_id,
            amount_cents=amount,
            currency=str(obj.get("currency") or "usd")[:8],
            kind=kind,
            at=now,
        )
        .on_conflict_do_update(index_elements=[Payment.payment_id], set_={"amount_cents": amount})
    )


class _Handler(Protocol):
    def __call__(
        self, session: Session, obj: dict[str, Any], settings: Settings, now: datetime
    ) -> str: ...


_HANDLERS: dict[str, _Handler] = {
    "checkout.session.completed": _checkout_completed,
    "customer.subscription.updated": _subscription_updated,
    "customer.subscription.deleted": _subscription_deleted,
    "invoice.payment_failed": _payment_failed,
    "invoice.paid": _invoice_paid,
    "charge.refunded": _refunded,
}


class PaymentProvider(Protocol):
    """Where a reader is sent to pay or to manage their subscription."""

    def checkout_url(self, *, user: User, tier: Tier, success_url: str, cancel_url: str) -> str:
        """A URL that takes the reader through paying for ``tier``."""
        ...

    def portal_url(self, *, customer_id: str, return_url: str) -> str:
        """A URL where the reader manages (cancels, changes) their subscription."""
        ...

    def change_plan(self, *, subscription: Subscription, tier: Tier, now: datetime) -> PlanChange:
        """Move a subscriber to another paid plan (see :mod:`tickerpulse.platform.plan_change`)."""
        ...


class SandboxProvider:
    """The demo's provider: a local fake checkout page, no Stripe account needed.

    Its events are signed with :attr:`secret`, random per process and never shown,
    and delivered in-process (the webhook route takes Stripe's events only).
    """

    def __init__(self) -> None:
        self.secret = "whsec_sandbox_" + secrets.token_hex(32)
        self.pending: dict[int, PlanChange] = {}
        """Downgrades waiting for their period's end, by user (the sandbox has no clock)."""

    def checkout_url(self, *, user: User, tier: Tier, success_url: str, cancel_url: str) -> str:
        """The sandbox checkout page for ``tier``."""
        return f"/billing/sandbox/checkout?tier={tier.name.lower()}"

    def portal_url(self, *, customer_id: str, return_url: str) -> str:
        """The sandbox portal page."""
        return "/billing/sandbox/portal"

    def change_plan(self, *, subscription: Subscription, tier: Tier, now: datetime) -> PlanChange:
        """Stripe's arithmetic on the sandbox's 30-day period; the caller sends the events.

        Raises:
            ValueError: When ``tier`` is the current plan.
        """
        current = Tier.parse(subscription.tier)
        way = direction(current, tier)
        if way is None:
            raise ValueError(f"already on {tier.label}")
        start, end = sandbox_period(subscription.current_period_end, now)
        if way == "downgrade":
            change = PlanChange(tier, "downgrade", end, 0)
            self.pending[subscription.user_id] = change
            return change
        self.pending.pop(subscription.user_id, None)
        due = prorated_cents(PLAN_PRICE_CENTS[current], PLAN_PRICE_CENTS[tier], start, end, now)
        return PlanChange(tier, "upgrade", now, due)


class StripeProvider:
    """Stripe Checkout and the customer portal through the official SDK."""

    def __init__(self, settings: Settings) -> None:
        if settings.stripe_api_key is None:
            raise RuntimeError("PAYMENT_PROVIDER=stripe needs STRIPE_API_KEY")
        base: BaseAddresses = {}
        if settings.stripe_api_url:
            base["api"] = settings.stripe_api_url
        self.settings = settings
        self.client = stripe.StripeClient(
            settings.stripe_api_key.get_secret_value(),
            base_addresses=base,
            http_client=stripe.RequestsClient(timeout=settings.stripe_timeout_seconds),
            max_network_retries=0,  # a reader is waiting: fail fast, they can press again
        )

    def checkout_url(self, *, user: User, tier: Tier, success_url: str, cancel_url: str) -> str:
        """Create a subscription Checkout Session and return its URL."""
        metadata = {"tier": tier.name.lower(), "user_id": str(user.user_id)}
        checkout = self.client.v1.checkout.sessions.create(
            params={
                "mode": "subscription",
                "line_items": [{"price": price_for_tier(self.settings, tier), "quantity": 1}],
                "success_url": success_url,
                "cancel_url": cancel_url,
                "client_reference_id": str(user.user_id),
                "customer_email": user.email,
                "metadata": metadata,
                "subscription_data": {"metadata": metadata},
            }
        )
        if not checkout.url:
            raise RuntimeError("Stripe returned a checkout session without a URL")
        return checkout.url

    def portal_url(self, *, customer_id: str, return_url: str) -> str:
        """Create a customer-portal session and return its URL."""
        portal = self.client.v1.billing_portal.sessions.create(
            params={"customer": customer_id, "return_url": return_url}
        )
        return portal.url

    def change_plan(self, *, subscription: Subscription, tier: Tier, now: datetime) -> PlanChange:
        """Update the Stripe subscription (prorated) or schedule a downgrade at period end.

        Raises:
            stripe.StripeError: When Stripe refuses or does not answer.
            ValueError: When the subscription is unknown to Stripe or ``tier`` is current.
        """
        if subscription.subscription_id is None:
            raise ValueError("no Stripe subscription to change")
        return stripe_change_plan(
            self.client,
            subscription_id=subscription.subscription_id,
            current=Tier.parse(subscription.tier),
            new=tier,
            prices={t: price_for_tier(self.settings, t) for t in PLAN_PRICE_CENTS},
            plan_cents=PLAN_PRICE_CENTS,
            now=now,
        )


def make_provider(settings: Settings) -> PaymentProvider | None:
    """The payment provider in force; None when payments are off (``PAYMENT_PROVIDER=none``).

    Raises:
        RuntimeError: For the sandbox outside demo mode (start-up refuses that first).
    """
    if settings.payments == "stripe":
        return StripeProvider(settings)
    if settings.payments == "sandbox":
        if not settings.demo_mode:
            raise RuntimeError("the sandbox checkout runs in demo mode only (DEMO_MODE=1)")
        return SandboxProvider()
    return None


def sandbox_events(
    settings: Settings,
    user: User,
    subscription: Subscription | None,
    action: str,
    tier: Tier,
    *,
    now: datetime,
    amount_cents: int | None = None,
) -> list[dict[str, Any]]:
    """The Stripe-format events the sandbox sends for a reader's action.

    Actions: ``pay`` (checkout completed, invoice paid), ``switch`` (subscription
    updated to ``tier``), ``upgrade`` (updated to ``tier`` and a proration invoice
    of ``amount_cents`` paid), ``fail`` (invoice payment failed), ``recover``
    (invoice paid again), ``refund`` (last invoice refunded) and ``cancel``.
    """
    stamp = int(now.timestamp() * 1000)
    customer = subscription.customer_id if subscription else f"cus_sandbox_{user.user_id}"
    sub_id = subscription.subscription_id if subscription else f"sub_sandbox_{user.user_id}"
    price = PLAN_PRICE_CENTS.get(tier, 0)

    def event(kind: str, obj: dict[str, Any], n: int = 0) -> dict[str, Any]:
        return {
            "id": f"evt_sandbox_{user.user_id}_{stamp}_{n}",
            "object": "event",
            "type": kind,
            "created": int(now.timestamp()),
            "livemode": False,
            "data": {"object": {"customer": customer, **obj}},
        }

    invoice = {"object": "invoice", "subscription": sub_id, "currency": "usd"}
    start, end = plan_change_period(subscription, now)
    period = {"lines": {"data": [{"period": {"start": start, "end": end}}]}}
    if action == "pay":
        return [
            event(
                "checkout.session.completed",
                {
                    "id": f"cs_sandbox_{stamp}",
                    "object": "checkout.session",
                    "mode": "subscription",
                    "client_reference_id": str(user.user_id),
                    "subscription": sub_id,
                    "metadata": {"tier": tier.name.lower(), "user_id": str(user.user_id)},
                },
            ),
            event(
                "invoice.paid",
                {**invoice, **period, "id": f"in_sandbox_{stamp}", "amount_paid": price},
                1,
            ),
        ]
    if action in ("switch", "upgrade"):
        item = {"price": {"id": price_for_tier(settings, tier)}}
        obj = {
            "id": sub_id,
            "object": "subscription",
            "status": "active",
            "items": {"data": [item]},
        }
        if action == "switch":
            return [event("customer.subscription.updated", obj)]
        due = {"id": f"in_sandbox_proration_{stamp}", "amount_paid": amount_cents or 0}
        return [
            event("customer.subscription.updated", {**obj, "current_period_end": end}),
            event("invoice.paid", {**invoice, **period, **due}, 1),
        ]
    if action == "fail":
        return [event("invoice.payment_failed", {**invoice, "id": f"in_sandbox_{stamp}"})]
    if action == "recover":
        return [
            event("invoice.paid", {**invoice, "id": f"in_sandbox_{stamp}", "amount_paid": price})
        ]
    if action == "refund":
        charge = {"id": f"ch_sandbox_{stamp}", "object": "charge", "amount_refunded": price}
        return [event("charge.refunded", {**charge, "currency": "usd"})]
    if action == "cancel":
        obj = {"id": sub_id, "object": "subscription", "status": "canceled"}
        return [event("customer.subscription.deleted", obj)]
    raise ValueError(f"unknown sandbox action {action!r}")


def deliver_sandbox_events(
    session: Session,
    events: list[dict[str, Any]],
    *,
    settings: Settings,
    sandbox: SandboxProvider,
    now: datetime,
) -> None:
    """Hand the sandbox's events to the webhook handler, signed like Stripe's.

    Args:
        session: The open session the events are applied in (the caller commits).
        events: What :func:`sandbox_events` made.
        settings: The running settings.
        sandbox: The provider whose secret signs the events.
        now: The time the events are applied at.
    """
    for event in events:
        payload = json.dumps(event)
        signature = sign_payload(payload, sandbox.secret)
        receive(session, payload, signature, settings=settings, now=now, secret=sandbox.secret)


def plan_change_period(subscription: Subscription | None, now: datetime) -> tuple[int, int]:
    """The sandbox subscription's current period as Unix seconds (a fresh one for a new one)."""
    start, end = sandbox_period(subscription.current_period_end if subscription else None, now)
    return int(start.timestamp()), int(end.timestamp())
