"""Plans and payments: the pricing page, checkout, the customer portal and the webhook.

With Stripe, checkout and portal are Stripe's pages and ``/billing/webhook``
takes its signed events. In demo mode the sandbox's checkout and portal are
local pages whose buttons emit Stripe-format events, signed and verified exactly
like Stripe's, inside the process; outside demo mode those routes do not exist.
With no provider (``PAYMENT_PROVIDER=none``) checkout says payments are off.
"""

from __future__ import annotations

import json
import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from tickerpulse.config import Settings
from tickerpulse.db.platform import Subscription
from tickerpulse.web import billing
from tickerpulse.web.auth import CsrfChecked, SignedInDep, ViewerDep, utcnow
from tickerpulse.web.deps import SessionDep, SettingsDep, TemplatesDep
from tickerpulse.web.hosts import site_url
from tickerpulse.web.tiers import Tier

router = APIRouter()
log = logging.getLogger(__name__)
PaidTier = Annotated[str, Form(pattern="^(pro|premium)$")]
NO_PAYMENTS = "Payments are not configured on this site yet, so plans cannot be bought here."


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


@router.get("/pricing", response_class=HTMLResponse)
def pricing(request: Request, templates: TemplatesDep, viewer: ViewerDep) -> Response:
    """The three plans side by side, with the reader's current one marked."""
    context = {
        "prices": billing.PLAN_PRICE_CENTS,
        "tiers": list(Tier),
        "matrix": request.app.state.tier_matrix,
    }
    return templates.TemplateResponse(request, "billing/pricing.html", context)


@router.post("/billing/checkout", dependencies=[CsrfChecked])
def checkout(
    request: Request, templates: TemplatesDep, viewer: SignedInDep, tier: PaidTier
) -> Response:
    """Send the reader to pay for a plan (Stripe Checkout, or the demo's sandbox page)."""
    assert viewer.user is not None
    provider: billing.PaymentProvider | None = request.app.state.payment_provider
    if provider is None:
        return _payments_off(request, templates)
    base = site_url(request)
    url = provider.checkout_url(
        user=viewer.user,
        tier=Tier.parse(tier),
        success_url=f"{base}/account?notice=upgraded",
        cancel_url=f"{base}/pricing",
    )
    return RedirectResponse(url, status_code=303)


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
    url = provider.portal_url(customer_id=row.customer_id, return_url=return_url)
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


@router.get("/billing/sandbox/portal", response_class=HTMLResponse, dependencies=[SandboxOnly])
def sandbox_portal(
    request: Request, session: SessionDep, templates: TemplatesDep, viewer: SignedInDep
) -> Response:
    """The sandbox's customer portal: switch plan, fail or recover a payment, refund, cancel."""
    assert viewer.user is not None
    row = session.get(Subscription, viewer.user.user_id)
    context = {"subscription": row, "csrf": viewer.csrf}
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
    for event in events:
        payload = json.dumps(event)
        signature = billing.sign_payload(payload, sandbox.secret)
        billing.receive(
            session, payload, signature, settings=settings, now=utcnow(), secret=sandbox.secret
        )
    session.commit()
    return RedirectResponse(f"/account?notice=billing_{action}", status_code=303)


SANDBOX_ACTIONS = ("pay", "switch", "fail", "recover", "refund", "cancel")
