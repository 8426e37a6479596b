"""The watchlist page (``/watchlist``, Premium): the reader's assets, forms to add and remove."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from tickerpulse.explore.sorting import SortChoice, SortLinks, choose, kept_params, sort_rows
from tickerpulse.platform import watchlists
from tickerpulse.platform.tiers import Access, Feature
from tickerpulse.web import tables
from tickerpulse.web.auth import AccessDep, CsrfChecked, SignedInDep, require, utcnow
from tickerpulse.web.deps import SessionDep, TemplatesDep
from tickerpulse.web.table_views import known_class
from tickerpulse.web.watchlist_view import WatchlistView, watchlist_view

router = APIRouter()
Entitled = Depends(require(Feature.WATCHLISTS))
AssetField = Annotated[str, Form(max_length=64)]
Back = Annotated[str, Form(max_length=16)]
Short = Annotated[str | None, Query(max_length=64)]


@router.get("/watchlist", response_class=HTMLResponse, dependencies=[Entitled])
def watchlist_page(
    request: Request,
    session: SessionDep,
    templates: TemplatesDep,
    viewer: SignedInDep,
    access: AccessDep,
    asset_class: Annotated[str | None, Query(alias="class", max_length=16)] = None,
    sort: Short = None,
    direction: Annotated[str | None, Query(alias="dir", max_length=8)] = None,
) -> Response:
    """The watched assets with their newest window's mentions, sentiment, return and closes.

    ``class`` keeps one asset class; ``sort`` and ``dir`` order the table by a column.
    """
    choice = choose(tables.WATCHLIST, sort, direction)
    return _page(
        request, session, templates, viewer.user_id, access,
        choice=choice, asset_class=known_class(asset_class),
    )  # fmt: skip


@router.post("/watchlist", response_class=HTMLResponse, dependencies=[CsrfChecked, Entitled])
def add_to_watchlist(
    request: Request,
    session: SessionDep,
    templates: TemplatesDep,
    viewer: SignedInDep,
    access: AccessDep,
    asset: AssetField,
    back: Back = "",
) -> Response:
    """Add an asset (a symbol or an id); back to its page when asked from there."""
    try:
        asset_id = watchlists.add(session, user_id=viewer.user_id, asked=asset, now=utcnow())
    except watchlists.WatchlistError as error:
        session.rollback()
        return _page(request, session, templates, viewer.user_id, access, [str(error)], asset)
    session.commit()
    return _back(back, asset_id, "watch_added")


@router.post("/watchlist/remove", dependencies=[CsrfChecked, Entitled])
def remove_from_watchlist(
    session: SessionDep, viewer: SignedInDep, asset: AssetField, back: Back = ""
) -> Response:
    """Take an asset off the watchlist (one that is not on it: nothing happens)."""
    watchlists.remove(session, user_id=viewer.user_id, asset_id=asset)
    session.commit()
    return _back(back, asset, "watch_removed")


def _page(
    request: Request,
    session: Session,
    templates: TemplatesDep,
    user_id: int,
    access: Access,
    errors: list[str] | None = None,
    asked: str = "",
    *,
    choice: SortChoice | None = None,
    asset_class: str | None = None,
) -> Response:
    choice = choice or SortChoice()
    view = sorted_watchlist(session, user_id, access, choice, asset_class)
    kept = {"class": asset_class}
    sorting = SortLinks(tables.WATCHLIST, choice, kept_params(kept), "/watchlist")
    context = {
        "view": view, "errors": errors or [], "asked": asked, "sorting": sorting, "kept": kept,
        "classes": ("stock", "etf", "crypto", "fx"),
    }  # fmt: skip
    return templates.TemplateResponse(
        request, "watchlist.html", context, status_code=400 if errors else 200
    )


def sorted_watchlist(
    session: Session,
    user_id: int,
    access: Access,
    choice: SortChoice,
    asset_class: str | None,
) -> WatchlistView:
    """The reader's watchlist, one class only when given, sorted as chosen (page and CSV)."""
    view = watchlist_view(session, user_id=user_id, access=access)
    rows = [r for r in view.rows if asset_class is None or r.asset.asset_class == asset_class]
    return replace(view, rows=sort_rows(tables.WATCHLIST, rows, choice))


def _back(back: str, asset_id: str, notice: str) -> Response:
    """Where a form returns to: the asset's page when it came from there, else the watchlist."""
    if back == "asset":
        return RedirectResponse(f"/asset/{quote(asset_id, safe=':')}?notice={notice}", 303)
    return RedirectResponse(f"/watchlist?notice={notice}", status_code=303)
