"""The public methodology page (``/methodology``): how every number on the site is made."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from tickerpulse.web import methodology
from tickerpulse.web.auth import ViewerDep
from tickerpulse.web.deps import TemplatesDep, ViewsDep

router = APIRouter()


@router.get("/methodology", response_class=HTMLResponse)
async def methodology_page(
    request: Request, cache: ViewsDep, templates: TemplatesDep, viewer: ViewerDep
) -> Response:
    """How the numbers are made, for everyone (no plan needed).

    ``viewer`` is asked only so the header shows a signed-in reader as signed in.

    Windows, sources and their live volumes, tagging and scoring with their measured
    accuracy, and what the relation statistics and prediction records mean.
    """
    view = await cache.get(("methodology",), methodology.methodology_view)
    return templates.TemplateResponse(request, "methodology.html", {"view": view})
