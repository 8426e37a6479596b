"""The public methodology page (``/methodology``): how every number on the site is made."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from tickerpulse.enrich.sentiment.registry import resolve_name
from tickerpulse.web import methodology
from tickerpulse.web.auth import ViewerDep
from tickerpulse.web.deps import SettingsDep, TemplatesDep, ViewsDep

router = APIRouter()


@router.get("/methodology", response_class=HTMLResponse)
async def methodology_page(
    request: Request,
    cache: ViewsDep,
    templates: TemplatesDep,
    viewer: ViewerDep,
    settings: SettingsDep,
) -> Response:
    """How the numbers are made, for everyone (no plan needed).

    ``viewer`` is asked only so the header shows a signed-in reader as signed in.

    Windows, sources and their live volumes, tagging and scoring with their measured
    accuracy, and what the relation statistics and prediction records mean.
    """
    try:
        in_use: str | None = resolve_name(settings.sentiment_model)  # what the cycle runs
    except ValueError:  # a name no model has: the cycle refuses to start with it
        in_use = None
    view = await cache.get(
        ("methodology", in_use), partial(methodology.methodology_view, in_use=in_use)
    )
    return templates.TemplateResponse(request, "methodology.html", {"view": view})
