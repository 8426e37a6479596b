"""The insight pages: movers (``/movers``), the market overview (``/overview``) and authors.

Views come from the app's view cache, keyed by the page's parameters and what
the reader's tier lets them see, as the other pages do; the API serves the
same views (:mod:`tickerpulse.web.insight_api`).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from tickerpulse.explore.sorting import SortLinks, choose, kept_params
from tickerpulse.platform.tiers import Feature
from tickerpulse.web import insight_views, tables
from tickerpulse.web.auth import AccessDep, require
from tickerpulse.web.deps import TemplatesDep, ViewsDep
from tickerpulse.web.routes.pages import DirParam, SortParam
from tickerpulse.web.table_views import asset_authors_table, authors_table, movers_table

router = APIRouter()
AuthorsEntitled = Depends(require(Feature.AUTHORS))


@router.get("/movers", response_class=HTMLResponse)
async def movers_page(
    request: Request,
    cache: ViewsDep,
    templates: TemplatesDep,
    access: AccessDep,
    sort: SortParam = None,
    direction: DirParam = None,
    asset_class: Annotated[str | None, Query(alias="class", max_length=16)] = None,
    show: Annotated[str | None, Query(max_length=8)] = None,
) -> Response:
    """Assets whose mentions or sentiment broke most from their own last 7 days.

    The first 25 are listed, as on trending; ``show=all`` lists every one (Pro and up).
    ``sort`` is any column: one of the "rank by" figures also picks which movers are listed.
    """
    choice = choose(tables.MOVERS, sort, direction)
    view = await movers_table(
        cache, access, asset_class=asset_class, show_all=show == "all", choice=choice
    )
    kept = {"class": view.asset_class, "show": "all" if view.show_all else None}
    sorting = SortLinks(tables.MOVERS, choice, kept_params(kept), "/movers")
    return templates.TemplateResponse(request, "movers.html", {"view": view, "sorting": sorting})


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
async def authors_page(
    request: Request,
    cache: ViewsDep,
    templates: TemplatesDep,
    sort: SortParam = None,
    direction: DirParam = None,
) -> Response:
    """Authors with enough judged calls, ranked by their out-of-sample record."""
    choice = choose(tables.AUTHORS, sort, direction)
    view = await authors_table(cache, choice=choice)
    sorting = SortLinks(tables.AUTHORS, choice, (), "/authors")
    return templates.TemplateResponse(request, "authors.html", {"view": view, "sorting": sorting})


@router.get(
    "/asset/{asset_id}/authors", response_class=HTMLResponse, dependencies=[AuthorsEntitled]
)
async def asset_authors_page(
    request: Request,
    asset_id: str,
    cache: ViewsDep,
    templates: TemplatesDep,
    sort: SortParam = None,
    direction: DirParam = None,
) -> Response:
    """An asset's most active authors over 30 days, their reach and their records."""
    choice = choose(tables.ASSET_AUTHORS, sort, direction)
    view = await asset_authors_table(cache, asset_id=asset_id, choice=choice)
    if view is None:
        message = f"No asset called “{asset_id}”. Asset ids look like stock:AAPL or crypto:BTC."
        return templates.TemplateResponse(
            request, "not_found.html", {"message": message}, status_code=404
        )
    path = f"/asset/{quote(view.asset.asset_id, safe=':')}/authors"
    sorting = SortLinks(tables.ASSET_AUTHORS, choice, (), path)
    context = {"view": view, "sorting": sorting}
    return templates.TemplateResponse(request, "asset_authors.html", context)
