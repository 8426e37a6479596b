"""The alerts page (``/alerts``, Premium): rules to create and delete, and the alerts that fired."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from tickerpulse.platform import alert_store, watchlists
from tickerpulse.platform.alerts import KINDS, AlertKind, RuleError
from tickerpulse.platform.tiers import Feature
from tickerpulse.web.auth import CsrfChecked, SignedInDep, require, utcnow
from tickerpulse.web.deps import RowId, SessionDep, TemplatesDep

router = APIRouter()
Entitled = Depends(require(Feature.ALERTS))
Short = Annotated[str, Form(max_length=64)]
DEFAULT_FORM: dict[str, object] = {
    "asset": "", "kind": AlertKind.MENTION_SPIKE.value, "threshold": "", "email": True,
}  # fmt: skip


@router.get("/alerts", response_class=HTMLResponse, dependencies=[Entitled])
def alerts_page(
    request: Request,
    session: SessionDep,
    templates: TemplatesDep,
    viewer: SignedInDep,
    asset: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """The reader's rules, a form for a new one (``?asset=`` fills it in), the newest alerts."""
    form = {**DEFAULT_FORM, "asset": asset}
    return _page(request, session, templates, viewer.user_id, form=form)


@router.post("/alerts/rules", response_class=HTMLResponse, dependencies=[CsrfChecked, Entitled])
def create_rule(
    request: Request,
    session: SessionDep,
    templates: TemplatesDep,
    viewer: SignedInDep,
    asset: Short,
    kind: Short,
    threshold: Annotated[str, Form(max_length=32)],
    email: Annotated[str | None, Form(max_length=8)] = None,
) -> Response:
    """Save a rule; an invalid one shows the form again with what to change."""
    form = {"asset": asset, "kind": kind, "threshold": threshold, "email": email is not None}
    try:
        alert_store.create_rule(
            session, user_id=viewer.user_id, asset=asset, kind=kind, threshold=threshold,
            email=email is not None, now=utcnow(),
        )  # fmt: skip
    except RuleError as error:
        session.rollback()
        return _page(request, session, templates, viewer.user_id, [str(error)], form)
    session.commit()
    return RedirectResponse("/alerts?notice=rule_saved", status_code=303)


@router.post("/alerts/rules/{rule_id}/delete", dependencies=[CsrfChecked, Entitled])
def delete_rule(rule_id: RowId, session: SessionDep, viewer: SignedInDep) -> Response:
    """Delete one of the reader's rules and its alerts (another reader's: 404)."""
    if not alert_store.delete_rule(session, user_id=viewer.user_id, rule_id=rule_id):
        raise HTTPException(status_code=404, detail="You have no such alert rule.")
    session.commit()
    return RedirectResponse("/alerts?notice=rule_deleted", status_code=303)


@router.post("/alerts/read", dependencies=[CsrfChecked, Entitled])
def mark_read(session: SessionDep, viewer: SignedInDep) -> Response:
    """Mark every alert read (the count in the navigation goes to zero)."""
    alert_store.mark_all_read(session, user_id=viewer.user_id, now=utcnow())
    session.commit()
    return RedirectResponse("/alerts?notice=alerts_read", status_code=303)


def _page(
    request: Request,
    session: Session,
    templates: TemplatesDep,
    user_id: int,
    errors: list[str] | None = None,
    form: dict[str, object] | None = None,
) -> Response:
    context = {
        "rules": alert_store.list_rules(session, user_id=user_id),
        "events": alert_store.recent_events(session, user_id=user_id),
        "watched": watchlists.watched_ids(session, user_id=user_id),
        "kinds": KINDS,
        "errors": errors or [],
        "form": form or DEFAULT_FORM,
    }
    return templates.TemplateResponse(
        request, "alerts.html", context, status_code=400 if errors else 200
    )
