"""The HTML pages: trending (``/``), an asset, news analytics (``/news``) and compare."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tickerpulse.web import posts, queries, views, watchlists
from tickerpulse.web.auth import AccessDep, ViewerDep, require, utcnow
from tickerpulse.web.deps import SessionDep, TemplatesDep
from tickerpulse.web.tiers import Feature

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def trending_page(
    request: Request,
    session: SessionDep,
    templates: TemplatesDep,
    asset_class: Annotated[str | None, Query(alias="class")] = None,
    period: str | None = None,
    source: str | None = None,
    *,
    access: AccessDep,
) -> Response:
    """The most-mentioned assets over 6 h, 24 h or 7 days, by class and by source."""
    view = views.trending_view(
        session, asset_class=asset_class, period=period, source=source, access=access
    )
    return templates.TemplateResponse(request, "trending.html", {"view": view})


@router.get("/news", response_class=HTMLResponse, dependencies=[Depends(require(Feature.NEWS))])
def news_page(
    request: Request,
    session: SessionDep,
    templates: TemplatesDep,
    by: str | None = None,
    period: str | None = None,
) -> Response:
    """News volume and tone by outlet, region or asset class, and the most covered assets."""
    view = views.news_view(session, by=by, period=period)
    return templates.TemplateResponse(request, "news.html", {"view": view})


@router.get(
    "/compare", response_class=HTMLResponse, dependencies=[Depends(require(Feature.COMPARE))]
)
def compare_page(
    request: Request, session: SessionDep, templates: TemplatesDep, assets: str | None = None
) -> Response:
    """Two to five assets' rebased prices and social sentiment on one chart."""
    view = views.compare_view(session, asked=assets)
    return templates.TemplateResponse(request, "compare.html", {"view": view})


@router.get(
    "/predictions",
    response_class=HTMLResponse,
    dependencies=[Depends(require(Feature.PREDICTIONS))],
)
def predictions_page(request: Request, session: SessionDep, templates: TemplatesDep) -> Response:
    """Every asset's call for the next window, with the model's out-of-sample record."""
    view = views.predictions_view(session)
    return templates.TemplateResponse(request, "predictions.html", {"view": view})


@router.get("/asset/{asset_id}", response_class=HTMLResponse)
def asset_page(
    request: Request,
    asset_id: str,
    session: SessionDep,
    templates: TemplatesDep,
    viewer: ViewerDep,
    access: AccessDep,
) -> Response:
    """Price, 6-hour sentiment and mentions of one asset; a bare symbol redirects to its id."""
    view = views.asset_view(session, asset_id=asset_id, access=access, signed_in=viewer.signed_in)
    if view is not None:
        listed = posts.published_posts(
            session, tier=viewer.tier, now=utcnow(), asset_id=asset_id, limit=10
        )
        watching = None  # None: the reader cannot keep a watchlist, so no button
        if viewer.user is not None and access.allows(Feature.WATCHLISTS):
            watching = watchlists.is_watching(
                session, user_id=viewer.user.user_id, asset_id=view.asset.asset_id
            )
        context = {"view": view, "posts": listed, "watching": watching}
        return templates.TemplateResponse(request, "asset.html", context)
    if ":" not in asset_id:
        found = queries.asset_id_for_symbol(session, symbol=asset_id)
        if found is not None:
            return RedirectResponse(f"/asset/{quote(found, safe=':')}", status_code=307)
    message = (
        f"No asset called “{asset_id}”. Asset ids look like stock:AAPL or crypto:BTC;"
        " a bare symbol such as AAPL works too."
    )
    return templates.TemplateResponse(
        request, "not_found.html", {"message": message}, status_code=404
    )
