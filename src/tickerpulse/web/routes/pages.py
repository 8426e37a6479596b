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
from tickerpulse.explore.ranges import HistoryRange
from tickerpulse.explore.sorting import SortLinks, choose, kept_params
from tickerpulse.platform import posts
from tickerpulse.platform.tiers import Access, Feature
from tickerpulse.web import tables, views
from tickerpulse.web.auth import AccessDep, Viewer, ViewerDep, require, utcnow
from tickerpulse.web.deps import TemplatesDep, ViewsDep
from tickerpulse.web.table_views import news_table, predictions_table, trending_table

router = APIRouter()
Param = Annotated[str | None, Query(max_length=64)]
"""A free-form query parameter; longer values are refused (422) before any work."""
SortParam = Annotated[str | None, Query(max_length=64, description="A column to sort by.")]
DirParam = Annotated[str | None, Query(alias="dir", max_length=8)]
FromParam = Annotated[str | None, Query(alias="from", max_length=32)]


@router.get("/", response_class=HTMLResponse)
async def trending_page(
    request: Request,
    cache: ViewsDep,
    templates: TemplatesDep,
    asset_class: Annotated[str | None, Query(alias="class")] = None,
    period: str | None = None,
    source: str | None = None,
    show: str | None = None,
    sort: SortParam = None,
    direction: DirParam = None,
    *,
    access: AccessDep,
) -> Response:
    """The most-mentioned assets over 6 h, 24 h or 7 days, by class and by source.

    ``show=all`` lists every mentioned asset (Pro and up) instead of the top 25;
    ``sort`` and ``dir`` order the table by any column (a shareable link).
    """
    every = show == "all"
    choice = choose(tables.TRENDING, sort, direction)
    view = await trending_table(
        cache, access, asset_class=asset_class, period=period, source=source, show_all=every,
        choice=choice,
    )  # fmt: skip
    kept = {"class": view.asset_class, "period": view.period, "source": view.source,
            "show": "all" if view.show_all else None}  # fmt: skip
    sorting = SortLinks(tables.TRENDING, choice, kept_params(kept), "/")
    return templates.TemplateResponse(
        request, "trending.html", {"view": view, "sorting": sorting, "kept": kept}
    )


@router.get("/news", response_class=HTMLResponse, dependencies=[Depends(require(Feature.NEWS))])
async def news_page(
    request: Request,
    cache: ViewsDep,
    templates: TemplatesDep,
    by: str | None = None,
    period: str | None = None,
    sort: SortParam = None,
    direction: DirParam = None,
    gsort: SortParam = None,
    gdir: Annotated[str | None, Query(max_length=8)] = None,
) -> Response:
    """News volume and tone by outlet, region or asset class, and the most covered assets.

    ``sort``/``dir`` sort the most-covered table, ``gsort``/``gdir`` the groups' table.
    """
    choice = choose(tables.NEWS_COVERAGE, sort, direction)
    group_choice = choose(tables.NEWS_GROUPS, gsort, gdir)
    view = await news_table(cache, by=by, period=period, choice=choice, group_choice=group_choice)
    kept = {"by": view.by, "period": view.period}
    coverage_kept = {
        **kept,
        "gsort": group_choice.column,
        "gdir": group_choice.direction if group_choice.column else None,
    }
    groups_kept = {**kept, "sort": choice.column,
                   "dir": choice.direction if choice.column else None}  # fmt: skip
    sorting = SortLinks(tables.NEWS_COVERAGE, choice, kept_params(coverage_kept), "/news")
    group_sorting = SortLinks(
        tables.NEWS_GROUPS, group_choice, kept_params(groups_kept), "/news", ("gsort", "gdir")
    )
    context = {"view": view, "sorting": sorting, "group_sorting": group_sorting, "kept": kept}
    return templates.TemplateResponse(request, "news.html", context)


@router.get(
    "/compare", response_class=HTMLResponse, dependencies=[Depends(require(Feature.COMPARE))]
)
async def compare_page(
    request: Request,
    cache: ViewsDep,
    templates: TemplatesDep,
    assets: str | None = None,
    range_key: Annotated[str | None, Query(alias="range", max_length=16)] = None,
    start: FromParam = None,
    end: Annotated[str | None, Query(alias="to", max_length=32)] = None,
    *,
    access: AccessDep,
) -> Response:
    """Two to five assets' rebased prices and social sentiment on one chart, over a range.

    More than five distinct names are refused (422) before any is looked up:
    each costs queries, so a long list would be cheap to send and dear to answer.
    """
    names = {n.strip().lower() for n in (assets or "").split(",") if n.strip()}
    if len(names) > views.COMPARE_MAX or len(assets or "") > COMPARE_MAX_CHARS:
        error = f"At most {views.COMPARE_MAX} assets at a time: you named {len(names)}."
        context = {"view": views.CompareView(asked=assets or ""), "error": error}
        return templates.TemplateResponse(request, "compare.html", context, status_code=422)
    history = access.history_range(range_key, start, end)
    view = await compare(cache, assets, history)
    context = {"view": view, "custom_range": access.allows(Feature.CUSTOM_RANGE)}
    return templates.TemplateResponse(request, "compare.html", context)


async def compare(cache: ViewsDep, assets: str | None, history: HistoryRange) -> views.CompareView:
    """The compare view of ``assets`` over ``history`` (the page's and its CSV's)."""
    return await cache.get(
        ("compare", assets, history),
        lambda s: views.compare_view(s, asked=assets, history=history),
    )


COMPARE_MAX_CHARS = 200


@router.get(
    "/predictions",
    response_class=HTMLResponse,
    dependencies=[Depends(require(Feature.PREDICTIONS))],
)
async def predictions_page(
    request: Request,
    cache: ViewsDep,
    templates: TemplatesDep,
    asset_class: Annotated[str | None, Query(alias="class", max_length=16)] = None,
    sort: SortParam = None,
    direction: DirParam = None,
) -> Response:
    """Every asset's call for the next window, with the model's out-of-sample record."""
    choice = choose(tables.PREDICTIONS, sort, direction)
    view = await predictions_table(cache, asset_class=asset_class, choice=choice)
    kept = {"class": asset_class if asset_class in views.ASSET_CLASSES else None}
    sorting = SortLinks(tables.PREDICTIONS, choice, kept_params(kept), "/predictions")
    context = {"view": view, "sorting": sorting, "kept": kept, "classes": views.ASSET_CLASSES}
    return templates.TemplateResponse(request, "predictions.html", context)


@router.get("/asset/{asset_id}", response_class=HTMLResponse)
async def asset_page(
    request: Request,
    asset_id: str,
    cache: ViewsDep,
    templates: TemplatesDep,
    viewer: ViewerDep,
    access: AccessDep,
    range_key: Annotated[str | None, Query(alias="range", max_length=16)] = None,
    start: FromParam = None,
    end: Annotated[str | None, Query(alias="to", max_length=32)] = None,
) -> Response:
    """Price, 6-hour sentiment and mentions of one asset; a bare symbol redirects to its id.

    ``range`` (7d, 30d, 90d, 1y, all: Pro and up) or ``from``/``to`` dates (Premium)
    choose the history charted; a range the plan lacks shows the plan's with a note.
    """
    history = access.history_range(range_key, start, end)
    context = await asset_context(cache, asset_id, viewer, access, history)
    if context is not None:
        watched = viewer.watched  # None: the reader cannot keep a watchlist, so no button
        watching = None if watched is None else context["view"].asset.asset_id in watched
        extra = {"watching": watching, "custom_range": access.allows(Feature.CUSTOM_RANGE)}
        return templates.TemplateResponse(request, "asset.html", {**context, **extra})
    if ":" not in asset_id:
        found = await cache.get(
            ("symbol", asset_id), lambda s: asset_id_for_symbol(s, symbol=asset_id)
        )
        if found is not None:
            query = f"?{request.url.query}" if request.url.query else ""
            return RedirectResponse(f"/asset/{quote(found, safe=':')}{query}", status_code=307)
    message = (
        f"No asset called “{asset_id}”. Asset ids look like stock:AAPL or crypto:BTC;"
        " a bare symbol such as AAPL works too."
    )
    return templates.TemplateResponse(
        request, "not_found.html", {"message": message}, status_code=404
    )


async def asset_context(
    cache: ViewsDep, asset_id: str, viewer: Viewer, access: Access, history: HistoryRange
) -> dict[str, Any] | None:
    """The asset page's context over ``history`` (the page's and its CSV's); None if unknown."""
    return await cache.get(
        ("asset", asset_id, access.tier, viewer.signed_in, history),
        lambda s: _asset_context(
            s, asset_id=asset_id, viewer=viewer, access=access, history=history
        ),
    )


def _asset_context(
    session: Session, *, asset_id: str, viewer: Viewer, access: Access, history: HistoryRange
) -> dict[str, Any] | None:
    """The asset page's view and editorial posts for the reader's tier; None if unknown."""
    view = views.asset_view(
        session, asset_id=asset_id, access=access, signed_in=viewer.signed_in, history=history
    )
    if view is None:
        return None
    listed = posts.published_posts(
        session, tier=viewer.tier, now=utcnow(), asset_id=asset_id, limit=10
    )
    return {"view": view, "posts": listed}
