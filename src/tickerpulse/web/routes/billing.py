"""Plans and payments: the pricing page, checkout, the customer portal and the webhook.

With Stripe, checkout and portal are Stripe's pages and ``/billing/webhook``
takes its signed events. In demo mode the sandbox's checkout and portal are
local pages whose buttons emit Stripe-format events, signed and verified exactly
like Stripe's, inside the process; outside demo mode those routes do not exist.
With no provider (``PAYMENT_PROVIDER=none``) checkout says payments are off.

A reader who already pays and picks the other plan changes plan instead of buying
a second subscription: an upgrade now with proration, a downgrade at the period's
end (:mod:`tickerpulse.platform.plan_change`). When Stripe refuses or does not answer,
the reader is told so and nothing is changed.
"""

from __future__ import annotations

import logging
from typing import Annotated

import stripe
from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from tickerpulse.config import Settings
from tickerpulse.db.platform import Subscription, User
from tickerpulse.platform import billing
from tickerpulse.platform.tiers import Tier
from tickerpulse.web.auth import CsrfChecked, SignedInDep, ViewerDep, utcnow
from tickerpulse.web.deps import SessionDep, SettingsDep, TemplatesDep
from tickerpulse.web.hosts import site_url

router = APIRouter()
log = logging.getLogger(__name__)
PaidTier = Annotated[str, Form(pattern="^(pro|premium)$")]
NO_PAYMENTS = "Payments are not configured on this site yet, so plans cannot be bought here."
PROVIDER_FAILED = (
    "Our payment provider could not complete this just now, so nothing was changed and"
    " nothing was charged. Please try again in a few minutes."
)
CHANGEABLE = ("active", "past_due")


def _not_found() -> Response:
    return JSONResponse({"detail": "Not Found"}, status_code=404)


async def sandbox_provider(request: Request) -> billing.SandboxProvider:
    """The sandbox provider; its routes do not exist (404) outside demo mode."""
    provider = request.app.state.payment_provider
    settings: Settings = request.app.state.settings
    if not (settings.demo_mode and isinstance(provider, billing.SandboxProvider)):
        raise HTTPException(status_code=404)
    return provider


SandboxOnly = Depends(sandbox_provider)
SandboxDep = Annotated[billing.SandboxProvider, SandboxOnly]


def _payments_off(request: Request, templates: TemplatesDep) -> Response:
    context = {"title": "Payments are off", "text": NO_PAYMENTS}
    return templates.TemplateResponse(request, "message.html", context, status_code=503)


def _provider_failed(request: Request, templates: TemplatesDep, error: Exception) -> Response:
    log.warning("payment provider call failed: %s: %s", type(error).__name__, error)
    context = {"title": "Payment not completed", "text": PROVIDER_FAILED}
    return templates.TemplateResponse(request, "message.html", context, status_code=502)


@router.get("/pricing", response_class=HTMLResponse)
def pricing(
    request: Request, session: SessionDep, templates: TemplatesDep, viewer: ViewerDep
) -> Response:
    """The three plans side by side, with the reader's current one marked.

    A subscriber sees the other paid plan as an upgrade (prorated) or a downgrade
    (from the end of the paid period), not as a second purchase.
    """
    row = session.get(Subscription, viewer.user.user_id) if viewer.user else None
    context = {
        "prices": billing.PLAN_PRICE_CENTS,
        "tiers": list(Tier),
        "matrix": request.app.state.tier_matrix,
        "subscribed": row is not None and row.status in CHANGEABLE,
        "period_end": row.current_period_end if row else None,
    }
    return templates.TemplateResponse(request, "billing/pricing.html", context)


@router.post("/billing/checkout", dependencies=[CsrfChecked])
def checkout(
    request: Request,
    session: SessionDep,
    templates: TemplatesDep,
    viewer: SignedInDep,
    tier: PaidTier,
) -> Response:
    """Send the reader to pay for a plan (Stripe Checkout, or the demo's sandbox page).

    A subscriber choosing the other paid plan changes plan instead (see the module).
    """
    assert viewer.user is not None
    provider: billing.PaymentProvider | None = request.app.state.payment_provider
    if provider is None:
        return _payments_off(request, templates)
    row = session.get(Subscription, viewer.user.user_id)
    if row is not None and row.status in CHANGEABLE:
        return _change_plan(request, session, templates, provider, viewer.user, row, tier)
    base = site_url(request)
    try:
        url = provider.checkout_url(
            user=viewer.user,
            tier=Tier.parse(tier),
            success_url=f"{base}/account?notice=upgraded",
            cancel_url=f"{base}/pricing",
        )
    except stripe.StripeError as error:
        return _provider_failed(request, templates, error)
    return RedirectResponse(url, status_code=303)


def _change_plan(
    request: Request,
    session: SessionDep,
    templates: TemplatesDep,
    provider: billing.PaymentProvider,
    user: User,
    row: Subscription,
    tier: str,
) -> Response:
    chosen = Tier.parse(tier)
    if chosen.name.lower() == row.tier:
        return RedirectResponse("/account", status_code=303)
    try:
        change = provider.change_plan(subscription=row, tier=chosen, now=utcnow())
    except (stripe.StripeError, ValueError) as error:
        return _provider_failed(request, templates, error)
    if isinstance(provider, billing.SandboxProvider) and change.direction == "upgrade":
        events = billing.sandbox_events(
            request.app.state.settings, user, row, "upgrade", chosen,
            now=utcnow(), amount_cents=change.amount_due_cents,
        )  # fmt: skip
        billing.deliver_sandbox_events(
            session, events, settings=request.app.state.settings, sandbox=provider, now=utcnow()
        )
    session.commit()
    log.info("plan change %s → %s: %s", row.tier, chosen.name.lower(), change.direction)
    return RedirectResponse(f"/account?notice=billing_{change.direction}", status_code=303)


@router.post("/billing/portal", dependencies=[CsrfChecked])
def portal(
    request: Request, session: SessionDep, templates: TemplatesDep, viewer: SignedInDep
) -> Response:
    """Send the reader to manage their subscription."""
    assert viewer.user is not None
    provider: billing.PaymentProvider | None = request.app.state.payment_provider
    if provider is None:
        return _payments_off(request, templates)
    row = session.get(Subscription, viewer.user.user_id)
    if row is None or row.customer_id is None:
        return RedirectResponse("/pricing", status_code=303)
    return_url = f"{site_url(request)}/account"
    try:
        url = provider.portal_url(customer_id=row.customer_id, return_url=return_url)
    except stripe.StripeError as error:
        return _provider_failed(request, templates, error)
    return RedirectResponse(url, status_code=303)


@router.post("/billing/webhook")
async def webhook(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """Stripe's events: verified, applied once, answered 200 (404 without Stripe)."""
    if settings.payments != "stripe":
        return _not_found()
    payload = (await request.body()).decode("utf-8", errors="replace")
    signature = request.headers.get("stripe-signature")

    def apply() -> billing.Applied:  # database work: in a worker thread, off the event loop
        applied = billing.receive(session, payload, signature, settings=settings, now=utcnow())
        session.commit()
        return applied

    try:
        applied = await run_in_threadpool(apply)
    except billing.WebhookRejected as error:
        log.warning("webhook rejected: %s", error)
        reason = " ".join(str(error).split())[:300]
        return JSONResponse(
            {"error": "invalid signature or payload", "reason": reason}, status_code=400
        )
    log.info("webhook %s: %s", applied.event_id, applied.outcome)
    return JSONResponse({"received": True, "outcome": applied.outcome})


@router.get("/billing/sandbox/checkout", response_class=HTMLResponse, dependencies=[SandboxOnly])
def sandbox_checkout(
    request: Request, templates: TemplatesDep, viewer: SignedInDep, tier: str
) -> Response:
    """The sandbox's fake card form for a plan (demo mode only)."""
    chosen = Tier.parse(tier) if tier in ("pro", "premium") else Tier.PRO
    context = {"tier": chosen, "price": billing.PLAN_PRICE_CENTS[chosen], "csrf": viewer.csrf}
    return templates.TemplateResponse(request, "billing/sandbox_checkout.html", context)


@router.get("/billing/sandbox/portal", response_class=HTMLResponse)
def sandbox_portal(
    request: Request,
    sandbox: SandboxDep,
    session: SessionDep,
    templates: TemplatesDep,
    viewer: SignedInDep,
) -> Response:
    """The sandbox's customer portal: switch plan, fail or recover a payment, refund, cancel."""
    assert viewer.user is not None
    row = session.get(Subscription, viewer.user.user_id)
    pending = sandbox.pending.get(viewer.user.user_id)
    context = {"subscription": row, "pending": pending, "csrf": viewer.csrf}
    return templates.TemplateResponse(request, "billing/sandbox_portal.html", context)


@router.post("/billing/sandbox/{action}", dependencies=[SandboxOnly, CsrfChecked])
def sandbox_action(
    sandbox: SandboxDep,
    action: str,
    session: SessionDep,
    settings: SettingsDep,
    viewer: SignedInDep,
    tier: Annotated[str, Form(pattern="^(pro|premium)$")] = "pro",
) -> Response:
    """Emit the sandbox's events for an action and deliver them through the webhook path."""
    assert viewer.user is not None
    if action not in SANDBOX_ACTIONS:
        return _not_found()
    row = session.get(Subscription, viewer.user.user_id)
    events = billing.sandbox_events(
        settings, viewer.user, row, action, Tier.parse(tier), now=utcnow()
    )
    billing.deliver_sandbox_events(
        session, events, settings=settings, sandbox=sandbox, now=utcnow()
    )
    if action in ("switch", "cancel"):
        sandbox.pending.pop(viewer.user.user_id, None)
    session.commit()
    return RedirectResponse(f"/account?notice=billing_{action}", status_code=303)


SANDBOX_ACTIONS = ("pay", "switch", "fail", "recover", "refund", "cancel")
