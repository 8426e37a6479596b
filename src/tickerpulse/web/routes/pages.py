"""The HTML pages: trending (``/``), an asset, news analytics (``/news``) and compare.

Their views come from the app's :class:`~tickerpulse.web.viewcache.ViewCache`,
keyed by the page's parameters and what the reader's tier lets them see, and
the routes are ``async``: a page whose view is cached renders on the event loop
without waiting for a worker thread or a database connection.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from tickerpulse.db.marts import asset_id_for_symbol
from tickerpulse.platform import posts
from tickerpulse.platform.tiers import Access, Feature
from tickerpulse.web import views
from tickerpulse.web.auth import AccessDep, Viewer, ViewerDep, require, utcnow
from tickerpulse.web.deps import TemplatesDep, ViewsDep

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
async def trending_page(
    request: Request,
    cache: ViewsDep,
    templates: TemplatesDep,
    asset_class: Annotated[str | None, Query(alias="class")] = None,
    period: str | None = None,
    source: str | None = None,
    show: str | None = None,
    *,
    access: AccessDep,
) -> Response:
    """The most-mentioned assets over 6 h, 24 h or 7 days, by class and by source.

    ``show=all`` lists every mentioned asset (Pro and up) instead of the top 25.
    """
    every = show == "all"
    view = await cache.get(
        ("trending", asset_class, period, source, access.tier, every),
        lambda s: views.trending_view(
            s, asset_class=asset_class, period=period, source=source, access=access,
            show_all=every,
        ),
    )  # fmt: skip
    return templates.TemplateResponse(request, "trending.html", {"view": view})


@router.get("/news", response_class=HTMLResponse, dependencies=[Depends(require(Feature.NEWS))])
async def news_page(
    request: Request,
    cache: ViewsDep,
    templates: TemplatesDep,
    by: str | None = None,
    period: str | None = None,
) -> Response:
    """News volume and tone by outlet, region or asset class, and the most covered assets."""
    view = await cache.get(("news", by, period), lambda s: views.news_view(s, by=by, period=period))
    return templates.TemplateResponse(request, "news.html", {"view": view})


@router.get(
    "/compare", response_class=HTMLResponse, dependencies=[Depends(require(Feature.COMPARE))]
)
async def compare_page(
    request: Request,
    cache: ViewsDep,
    templates: TemplatesDep,
    assets: str | None = None,
) -> Response:
    """Two to five assets' rebased prices and social sentiment on one chart.

    More than five distinct names are refused (422) before any is looked up:
    each costs queries, so a long list would be cheap to send and dear to answer.
    """
    names = {n.strip().lower() for n in (assets or "").split(",") if n.strip()}
    if len(names) > views.COMPARE_MAX or len(assets or "") > COMPARE_MAX_CHARS:
        error = f"At most {views.COMPARE_MAX} assets at a time: you named {len(names)}."
        context = {"view": views.CompareView(asked=assets or ""), "error": error}
        return templates.TemplateResponse(request, "compare.html", context, status_code=422)
    view = await cache.get(("compare", assets), lambda s: views.compare_view(s, asked=assets))
    return templates.TemplateResponse(request, "compare.html", {"view": view})


COMPARE_MAX_CHARS = 200


@router.get(
    "/predictions",
    response_class=HTMLResponse,
    dependencies=[Depends(require(Feature.PREDICTIONS))],
)
async def predictions_page(request: Request, cache: ViewsDep, templates: TemplatesDep) -> Response:
    """Every asset's call for the next window, with the model's out-of-sample record."""
    view = await cache.get(("predictions",), views.predictions_view)
    return templates.TemplateResponse(request, "predictions.html", {"view": view})


@router.get("/asset/{asset_id}", response_class=HTMLResponse)
async def asset_page(
    request: Request,
    asset_id: str,
    cache: ViewsDep,
    templates: TemplatesDep,
    viewer: ViewerDep,
    access: AccessDep,
) -> Response:
    """Price, 6-hour sentiment and mentions of one asset; a bare symbol redirects to its id."""
    context = await cache.get(
        ("asset", asset_id, access.tier, viewer.signed_in),
        lambda s: _asset_context(s, asset_id=asset_id, viewer=viewer, access=access),
    )
    if context is not None:
        watched = viewer.watched  # None: the reader cannot keep a watchlist, so no button
        watching = None if watched is None else context["view"].asset.asset_id in watched
        return templates.TemplateResponse(request, "asset.html", {**context, "watching": watching})
    if ":" not in asset_id:
        found = await cache.get(
            ("symbol", asset_id), lambda s: asset_id_for_symbol(s, symbol=asset_id)
        )
        if found is not None:
            return RedirectResponse(f"/asset/{quote(found, safe=':')}", status_code=307)
    message = (
        f"No asset called “{asset_id}”. Asset ids look like stock:AAPL or crypto:BTC;"
        " a bare symbol such as AAPL works too."
    )
    return templates.TemplateResponse(
        request, "not_found.html", {"message": message}, status_code=404
    )


def _asset_context(
    session: Session, *, asset_id: str, viewer: Viewer, access: Access
) -> dict[str, Any] | None:
    """The asset page's view and editorial posts for the reader's tier; None if unknown."""
    view = views.asset_view(session, asset_id=asset_id, access=access, signed_in=viewer.signed_in)
    if view is None:
        return None
    listed = posts.published_posts(
        session, tier=viewer.tier, now=utcnow(), asset_id=asset_id, limit=10
    )
    return {"view": view, "posts": listed}
