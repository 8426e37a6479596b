"""The database is down: answer 503 with ``Retry-After`` instead of a 500 with a stack trace.

An unreachable Postgres (or a pool with no connection to give) is a temporary
state of the service, not a bug: browsers get a short page, API clients and
load balancers a JSON body, and both are told when to try again.
"""

from __future__ import annotations

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

RETRY_AFTER_S = 30
MESSAGE = "The service is briefly unavailable: its database does not answer. Try again shortly."
log = structlog.get_logger(__name__)


async def database_unavailable(request: Request, exc: Exception) -> Response:
    """503 with ``Retry-After`` (an HTML page for browsers)."""
    log.warning("database unavailable", path=request.url.path, error=type(exc).__name__)
    headers = {"Retry-After": str(RETRY_AFTER_S)}
    templates: Jinja2Templates | None = getattr(request.app.state, "templates", None)
    if templates is not None and "text/html" in request.headers.get("accept", ""):
        context = {"title": "Unavailable", "text": MESSAGE}
        return templates.TemplateResponse(
            request, "message.html", context, status_code=503, headers=headers
        )
    return JSONResponse({"detail": MESSAGE}, status_code=503, headers=headers)


def install_outage_handler(app: FastAPI) -> None:
    """Answer database outages of ``app``'s routes with 503."""
    app.add_exception_handler(OperationalError, database_unavailable)
    app.add_exception_handler(PoolTimeout, database_unavailable)
