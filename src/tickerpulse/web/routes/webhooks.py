"""The alert webhook page (``/alerts/webhook``): the endpoint, its signing secret, deliveries.

The secret is shown once, in the answer to the request that made it (a new
endpoint or a rotation), never in a URL and never again; that answer is
``no-store``. The business lives in :mod:`tickerpulse.platform.webhooks`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from tickerpulse.platform.tiers import Feature
from tickerpulse.platform.webhooks import outbox, signing
from tickerpulse.platform.webhooks.delivery import MAX_ATTEMPTS
from tickerpulse.platform.webhooks.targets import MAX_URL_CHARS, TargetError
from tickerpulse.web.auth import CsrfChecked, SignedInDep, require, utcnow
from tickerpulse.web.deps import SessionDep, SettingsDep, TemplatesDep
from tickerpulse.web.hosts import site_url

router = APIRouter()
Entitled = Depends(require(Feature.ALERT_WEBHOOKS))
DONE = {
    "saved": "The endpoint is saved; alerts go there after the next cycle.",
    "removed": "The endpoint is removed; nothing more is sent to it.",
    "test": "A test delivery is on its way: its result appears below within a minute.",
    "test_pending": "A test delivery is still waiting to be sent; wait for its result.",
}


@router.get("/alerts/webhook", response_class=HTMLResponse, dependencies=[Entitled])
def webhook_page(
    request: Request,
    session: SessionDep,
    templates: TemplatesDep,
    viewer: SignedInDep,
    done: Annotated[str, Query(max_length=16)] = "",
) -> Response:
    """The reader's endpoint, the deliveries made to it and how to check their signature."""
    return _page(request, session, templates, viewer.user_id, done=DONE.get(done))


@router.post("/alerts/webhook", response_class=HTMLResponse, dependencies=[CsrfChecked, Entitled])
def save_webhook(
    request: Request,
    session: SessionDep,
    templates: TemplatesDep,
    settings: SettingsDep,
    viewer: SignedInDep,
    url: Annotated[str, Form(max_length=MAX_URL_CHARS + 100)],
) -> Response:
    """Check and save the endpoint; a first endpoint's new secret is shown once."""
    try:
        secret = outbox.save_endpoint(
            session, user_id=viewer.user_id, url=url, site_key=request.app.state.secret_key,
            policy=outbox.policy_of(settings), now=utcnow(),
        )  # fmt: skip
    except TargetError as error:
        session.rollback()
        return _page(request, session, templates, viewer.user_id, errors=[str(error)], url=url)
    session.commit()
    if secret is None:
        return RedirectResponse("/alerts/webhook?done=saved", status_code=303)
    return _page(request, session, templates, viewer.user_id, secret=secret)


@router.post(
    "/alerts/webhook/rotate", response_class=HTMLResponse, dependencies=[CsrfChecked, Entitled]
)
def rotate_secret(
    request: Request, session: SessionDep, templates: TemplatesDep, viewer: SignedInDep
) -> Response:
    """A new signing secret, shown once; the old one signs nothing from now on."""
    secret = outbox.rotate_secret(
        session, user_id=viewer.user_id, site_key=request.app.state.secret_key, now=utcnow()
    )
    if secret is None:
        return RedirectResponse("/alerts/webhook", status_code=303)
    session.commit()
    return _page(request, session, templates, viewer.user_id, secret=secret)


@router.post("/alerts/webhook/delete", dependencies=[CsrfChecked, Entitled])
def delete_webhook(session: SessionDep, viewer: SignedInDep) -> Response:
    """Remove the endpoint and the deliveries still owed to it."""
    outbox.remove_endpoint(session, user_id=viewer.user_id)
    session.commit()
    return RedirectResponse("/alerts/webhook?done=removed", status_code=303)


@router.post("/alerts/webhook/test", dependencies=[CsrfChecked, Entitled])
def test_webhook(request: Request, session: SessionDep, viewer: SignedInDep) -> Response:
    """Send a signed test delivery (one at a time) to check the endpoint."""
    queued = outbox.enqueue_test(
        session, user_id=viewer.user_id, alerts_url=f"{site_url(request)}/alerts", now=utcnow()
    )
    session.commit()
    return RedirectResponse(
        f"/alerts/webhook?done={'test' if queued else 'test_pending'}", status_code=303
    )


def _page(
    request: Request,
    session: Session,
    templates: TemplatesDep,
    user_id: int,
    *,
    errors: list[str] | None = None,
    url: str | None = None,
    secret: str | None = None,
    done: str | None = None,
) -> Response:
    webhook = outbox.webhook_of(session, user_id=user_id)
    context = {
        "webhook": webhook,
        "url": url if url is not None else (webhook.url if webhook else ""),
        "deliveries": outbox.recent_deliveries(session, user_id=user_id),
        "secret": secret,
        "done": done,
        "errors": errors or [],
        "signature_header": signing.SIGNATURE_HEADER,
        "delivery_header": signing.DELIVERY_HEADER,
        "tolerance": signing.TOLERANCE_SECONDS,
        "max_attempts": MAX_ATTEMPTS,
        "https_only": not outbox.policy_of(request.app.state.settings).allow_http,
    }
    response = templates.TemplateResponse(
        request, "alerts_webhook.html", context, status_code=400 if errors else 200
    )
    if secret is not None:
        response.headers["cache-control"] = "no-store"
    return response
