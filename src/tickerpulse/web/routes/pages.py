"""The HTML pages: trending and asset."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from tickerpulse.domain import AssetClass
from tickerpulse.web import charts, queries
from tickerpulse.web.deps import SessionDep, TemplatesDep

router = APIRouter()

ASSET_CLASSES = [c.value for c in AssetClass if c is not AssetClass.INDEX]


@router.get("/", response_class=HTMLResponse)
def trending_page(
    request: Request,
    session: SessionDep,
    templates: TemplatesDep,
    asset_class: Annotated[str | None, Query(alias="class")] = None,
) -> Response:
    """Most-mentioned assets of the latest window."""
    if asset_class not in ASSET_CLASSES:
        asset_class = None
    window = queries.latest_window(session)
    context: dict[str, Any] = {"window": window, "asset_class": asset_class,
                               "classes": ASSET_CLASSES, "rows": []}  # fmt: skip
    if window is not None:
        rows = queries.trending(session, window_start=window, asset_class=asset_class)
        closes = queries.close_series(session, asset_ids=[r.asset_id for r in rows], until=window)
        context.update(
            rows=rows,
            sparklines={a: charts.sparkline_svg(v) for a, v in closes.items()},
            published_at=queries.published_at(session, window_start=window),
        )
    return templates.TemplateResponse(request, "trending.html", context)


@router.get("/asset/{asset_id}", response_class=HTMLResponse)
def asset_page(
    request: Request, asset_id: str, session: SessionDep, templates: TemplatesDep
) -> Response:
    """Price, 6-hour sentiment and mention volume of one asset, and what is said about it."""
    asset = queries.find_asset(session, asset_id=asset_id)
    if asset is None and ":" not in asset_id:
        by_symbol = queries.find_asset_by_symbol(session, symbol=asset_id)
        if by_symbol is not None:
            return RedirectResponse(f"/asset/{by_symbol.asset_id}", status_code=307)
    if asset is None:
        return templates.TemplateResponse(
            request, "not_found.html", {"what": f"No asset called “{asset_id}”."}, status_code=404
        )
    latest = queries.latest_window(session)
    context: dict[str, Any] = {"asset": asset, "latest": latest, "figure": None,
                               "breakdown": [], "documents": []}  # fmt: skip
    if latest is not None:
        rows = queries.asset_windows(
            session, asset_id=asset.asset_id, since=queries.history_start(latest)
        )
        if rows:
            context["figure"] = json.dumps(charts.asset_figure(asset.symbol, rows))
        context["breakdown"] = queries.source_breakdown(
            session, asset_id=asset.asset_id, window_start=latest
        )
        context["documents"] = queries.latest_documents(session, asset_id=asset.asset_id)
    return templates.TemplateResponse(request, "asset.html", context)


@router.get("/healthz")
def health(session: SessionDep) -> JSONResponse:
    """Liveness and the newest published window."""
    window = queries.latest_window(session)
    return JSONResponse({"status": "ok", "latest_window": window.isoformat() if window else None})
