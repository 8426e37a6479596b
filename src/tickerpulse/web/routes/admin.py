"""The operators' ledger page (``/admin/ledger``): cycle stages, source health, price gaps.

Off unless ``ADMIN_PASSWORD`` is set (then HTTP Basic, user ``admin``); when off
the page does not exist (404), so nothing about the operation is exposed by
default. Subscriber accounts and a staff role come with the platform work; this
page is for whoever runs the machine.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from sqlalchemy import select

from tickerpulse.db.models import CycleRun, MartPriceGap, SourceCursor
from tickerpulse.web.deps import SessionDep, SettingsDep, TemplatesDep

router = APIRouter()
_basic = HTTPBasic(auto_error=False, realm="tickerpulse operators")
LEDGER_ROWS = 120


def require_operator(
    settings: SettingsDep, credentials: Annotated[HTTPBasicCredentials | None, Depends(_basic)]
) -> None:
    """Let the request through only with the admin password; 404 when the page is off."""
    password = settings.admin_password
    if password is None or not password.get_secret_value():
        raise HTTPException(status_code=404)
    ok = credentials is not None and secrets.compare_digest(
        credentials.username.encode() + b":" + credentials.password.encode(),
        b"admin:" + password.get_secret_value().encode(),
    )
    if not ok:
        raise HTTPException(
            status_code=401,
            detail="operator password required",
            headers={"WWW-Authenticate": 'Basic realm="tickerpulse operators"'},
        )


@router.get("/admin/ledger", response_class=HTMLResponse, dependencies=[Depends(require_operator)])
def ledger_page(request: Request, session: SessionDep, templates: TemplatesDep) -> Response:
    """The newest ledger rows, each source's cursor age and health, and the latest price gaps."""
    runs = list(
        session.scalars(
            select(CycleRun)
            .order_by(CycleRun.window_start.desc(), CycleRun.started_at)
            .limit(LEDGER_ROWS)
        )
    )
    sources = [
        {"source": c.source, "updated_at": c.updated_at, "errors": _cursor_errors(c.cursor)}
        for c in session.scalars(select(SourceCursor).order_by(SourceCursor.source))
    ]
    gaps = list(
        session.scalars(select(MartPriceGap).order_by(MartPriceGap.window_start.desc()).limit(50))
    )
    context = {"runs": runs, "sources": sources, "gaps": gaps}
    return templates.TemplateResponse(request, "admin_ledger.html", context)


def _cursor_errors(cursor: dict[str, Any]) -> list[str]:
    """The ``last_error`` lines a source keeps in its cursor's ``health`` (per feed or part)."""
    health = cursor.get("health") if isinstance(cursor, dict) else None
    if not isinstance(health, dict):
        return []
    errors = []
    for part, state in sorted(health.items()):
        if isinstance(state, dict) and state.get("last_error"):
            errors.append(f"{part}: {state['last_error']}")
        elif isinstance(state, dict) and state.get("message"):
            errors.append(f"{part}: {state['message']}")
    return errors
