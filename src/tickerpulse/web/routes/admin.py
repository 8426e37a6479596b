"""The admin console (``/admin``) and the operators' ledger (``/admin/ledger``), for admins only.

The console shows users by plan, sign-ups, revenue, usage and posts with
charts; the ledger shows cycle stages, source health and price gaps. Both
need a signed-in admin account (``tickerpulse user add --role admin``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from tickerpulse.db.models import CycleRun, MartPriceGap, SourceCursor
from tickerpulse.platform import admin_queries
from tickerpulse.web import charts
from tickerpulse.web.auth import AdminDep, admin_only, utcnow
from tickerpulse.web.deps import SessionDep, TemplatesDep

router = APIRouter()
LEDGER_ROWS = 120


@router.get("/admin", response_class=HTMLResponse)
def console_page(
    request: Request, session: SessionDep, templates: TemplatesDep, viewer: AdminDep
) -> Response:
    """Users, subscriptions, revenue, usage and posts over the last 30 days, with charts."""
    usage = request.app.state.usage
    usage.flush()  # the console shows counts up to this request
    data = admin_queries.console(session, now=utcnow())
    figures = {
        "signups": charts.daily_figure(
            "Sign-ups per day (UTC)", {"sign-ups": data.signups}, y_title="accounts"
        ),
        "revenue": charts.daily_figure(
            "Revenue per day, net of refunds (USD, UTC days)", {"revenue": data.revenue},
            y_title="USD",
        ),
        "usage": charts.daily_figure(
            "Page views and API calls per day (UTC)", data.usage, y_title="requests"
        ),
    }  # fmt: skip
    context = {
        "data": data,
        "figures": {k: charts.figure_json(v) for k, v in figures.items()},
        "sources": _sources(session),
    }
    return templates.TemplateResponse(request, "admin_console.html", context)


def _sources(session: SessionDep) -> list[dict[str, Any]]:
    return [
        {"source": c.source, "updated_at": c.updated_at, "errors": _cursor_errors(c.cursor)}
        for c in session.scalars(select(SourceCursor).order_by(SourceCursor.source))
    ]


@router.get("/admin/ledger", response_class=HTMLResponse, dependencies=[Depends(admin_only)])
def ledger_page(request: Request, session: SessionDep, templates: TemplatesDep) -> Response:
    """The newest ledger rows, each source's cursor age and health, and the latest price gaps."""
    runs = list(
        session.scalars(
            select(CycleRun)
            .order_by(CycleRun.window_start.desc(), CycleRun.started_at)
            .limit(LEDGER_ROWS)
        )
    )
    sources = _sources(session)
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
