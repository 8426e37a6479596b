"""The insight pages: movers (``/movers``), the market overview (``/overview``) and authors.

Views come from the app's view cache, keyed by the page's parameters and what
the reader's tier lets them see, as the other pages do; the API serves the
same views (:mod:`tickerpulse.web.insight_api`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from tickerpulse.platform.tiers import Feature
from tickerpulse.web import insight_views
from tickerpulse.web.auth import AccessDep, require
from tickerpulse.web.deps import TemplatesDep, ViewsDep
from tickerpulse.web.insight_queries import MOVER_SORTS

router = APIRouter()
AuthorsEntitled = Depends(require(Feature.AUTHORS))


@router.get("/movers", response_class=HTMLResponse)
async def movers_page(
    request: Request,
    cache: ViewsDep,
    templates: TemplatesDep,
    access: AccessDep,
    sort: Annotated[str | None, Query(max_length=32)] = None,
    asset_class: Annotated[str | None, Query(alias="class", max_length=16)] = None,
    show: Annotated[str | None, Query(max_length=8)] = None,
) -> Response:
    """Assets whose mentions or sentiment broke most from their own last 7 days.

    The first 25 are listed, as on trending; ``show=all`` lists every one (Pro and up).
    """
    # Keys from known values only, so odd query strings cannot fill the cache.
    sort = sort if sort in MOVER_SORTS else None
    asset_class = asset_class if asset_class in insight_views.ASSET_CLASSES else None
    every = show == "all"
    view = await cache.get(
        ("movers", sort, asset_class, access.tier, every),
        lambda s: insight_views.movers_view(
            s, sort=sort, asset_class=asset_class, access=access, show_all=every
        ),
    )
    return templates.TemplateResponse(request, "movers.html", {"view": view})


@router.get("/overview", response_class=HTMLResponse)
async def overview_page(
    request: Request, cache: ViewsDep, templates: TemplatesDep, access: AccessDep
) -> Response:
    """The heatmap of every mentioned asset by class, sized by mentions, coloured by sentiment."""
    view = await cache.get(
        ("overview", access.tier), lambda s: insight_views.overview_view(s, access=access)
    )
    return templates.TemplateResponse(request, "overview.html", {"view": view})


@router.get("/authors", response_class=HTMLResponse, dependencies=[AuthorsEntitled])
async def authors_page(request: Request, cache: ViewsDep, templates: TemplatesDep) -> Response:
    """Authors with enough judged calls, ranked by their out-of-sample record."""
    view = await cache.get(("authors",), insight_views.authors_view)
    return templates.TemplateResponse(request, "authors.html", {"view": view})


@router.get(
    "/asset/{asset_id}/authors", response_class=HTMLResponse, dependencies=[AuthorsEntitled]
)
async def asset_authors_page(
    request: Request, asset_id: str, cache: ViewsDep, templates: TemplatesDep
) -> Response:
    """An asset's most active authors over 30 days, their reach and their records."""
    view = await cache.get(
        ("asset_authors", asset_id),
        lambda s: insight_views.asset_authors_view(s, asset_id=asset_id),
    )
    if view is None:
        message = f"No asset called “{asset_id}”. Asset ids look like stock:AAPL or crypto:BTC."
        return templates.TemplateResponse(
            request, "not_found.html", {"message": message}, status_code=404
        )
    return templates.TemplateResponse(request, "asset_authors.html", {"view": view})
