"""Ticker search (``/search``, ``/search/suggest``) and CSV exports (``/export/…``).

Search is open to every reader: a results page for free text that works
without JavaScript, and a small JSON answer the header's autocomplete asks as
the reader types. Exports (Pro and up, and the plan of the page they come
from) stream the same cached views the pages render, sorted and ranged the
same way, as CSV with units in the header row.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from sqlalchemy.orm import Session

from tickerpulse.db.marts import asset_id_for_symbol
from tickerpulse.db.models import Asset
from tickerpulse.explore.csv_export import CsvColumn, csv_chunks
from tickerpulse.explore.search import MAX_QUERY, RESULTS, SUGGESTIONS, AssetSearch
from tickerpulse.explore.sorting import choose
from tickerpulse.platform.tiers import Feature
from tickerpulse.web import charts, relation_queries, tables
from tickerpulse.web.auth import AccessDep, SignedInDep, ViewerDep, require
from tickerpulse.web.deps import SessionDep, TemplatesDep, ViewsDep
from tickerpulse.web.routes.pages import FromParam, SortParam, asset_context, compare
from tickerpulse.web.routes.watchlist import sorted_watchlist
from tickerpulse.web.table_views import (
    asset_authors_table,
    authors_table,
    known_class,
    movers_table,
    news_table,
    predictions_table,
    trending_table,
)

router = APIRouter()
Query64 = Annotated[str, Query(max_length=200)]
Short = Annotated[str | None, Query(max_length=64)]
Dir = Annotated[str | None, Query(alias="dir", max_length=8)]
RangeParam = Annotated[str | None, Query(alias="range", max_length=16)]
ToParam = Annotated[str | None, Query(alias="to", max_length=32)]
Exports = Depends(require(Feature.CSV_EXPORT))
AuthorsEntitled = Depends(require(Feature.AUTHORS))
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def asset_search(request: Request) -> AssetSearch:
    """The app's search index over the universe."""
    found: AssetSearch = request.app.state.asset_search
    return found


@router.get("/search", response_class=HTMLResponse)
async def search_page(
    request: Request, templates: TemplatesDep, viewer: ViewerDep, q: Query64 = ""
) -> Response:
    """Assets whose symbol, name or alias match ``q`` ("nvidia", "euro dollar", "sol")."""
    text = q.strip()[:MAX_QUERY]
    hits = asset_search(request).search(text, limit=RESULTS)
    return templates.TemplateResponse(request, "search.html", {"q": text, "hits": hits})


@router.get("/search/suggest")
async def suggest(request: Request, q: Query64 = "") -> JSONResponse:
    """The header's autocomplete: up to eight matches of ``q`` as JSON."""
    hits = asset_search(request).search(q.strip()[:MAX_QUERY], limit=SUGGESTIONS)
    results = [
        {"asset_id": h.asset_id, "symbol": h.symbol, "name": h.name,
         "asset_class": h.asset_class, "matched": h.matched,
         "url": f"/asset/{quote(h.asset_id, safe=':')}"}
        for h in hits
    ]  # fmt: skip
    return JSONResponse({"query": q[:MAX_QUERY], "results": results})


def csv_response(name: str, columns: Sequence[CsvColumn], rows: Sequence[Any]) -> Response:
    """A streamed CSV download called ``tickerpulse-<name>.csv``."""
    filename = "tickerpulse-" + _UNSAFE.sub("-", name).strip("-") + ".csv"
    return StreamingResponse(
        csv_chunks(columns, rows),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{filename}"',
                 "cache-control": "private, no-store"},
    )  # fmt: skip


def _stamp(window: datetime | None) -> str:
    return "none" if window is None else window.strftime("%Y-%m-%dT%H%MZ")


@router.get("/export/trending.csv", dependencies=[Exports])
async def trending_csv(
    cache: ViewsDep,
    access: AccessDep,
    asset_class: Annotated[str | None, Query(alias="class", max_length=16)] = None,
    period: Short = None,
    source: Short = None,
    show: Short = None,
    sort: SortParam = None,
    direction: Dir = None,
) -> Response:
    """The trending table as on the page with the same parameters (the reader's rows only)."""
    view = await trending_table(
        cache, access, asset_class=asset_class, period=period, source=source,
        show_all=show == "all", choice=choose(tables.TRENDING, sort, direction),
    )  # fmt: skip
    name = f"trending-{view.period}-{view.asset_class or 'all'}-{_stamp(view.window)}"
    return csv_response(name, tables.TRENDING_CSV, view.rows)


@router.get(
    "/export/predictions.csv",
    dependencies=[Depends(require(Feature.PREDICTIONS)), Exports],
)
async def predictions_csv(
    cache: ViewsDep,
    asset_class: Annotated[str | None, Query(alias="class", max_length=16)] = None,
    sort: SortParam = None,
    direction: Dir = None,
) -> Response:
    """Every asset's next-window call, as on the predictions page."""
    choice = choose(tables.PREDICTIONS, sort, direction)
    view = await predictions_table(cache, asset_class=asset_class, choice=choice)
    stamp = _stamp(view.model.window_start if view.model else None)
    return csv_response(f"predictions-{stamp}", tables.PREDICTIONS_CSV, view.calls)


@router.get("/export/news-{table}.csv", dependencies=[Depends(require(Feature.NEWS)), Exports])
async def news_csv(
    table: str,
    cache: ViewsDep,
    by: Short = None,
    period: Short = None,
    sort: SortParam = None,
    direction: Dir = None,
    gsort: SortParam = None,
    gdir: Annotated[str | None, Query(max_length=8)] = None,
) -> Response:
    """The news page's tables: ``groups`` (by outlet, region or class) or ``coverage``.

    As on the page, ``sort``/``dir`` sort the coverage table and ``gsort``/``gdir`` the groups.
    """
    if table not in ("groups", "coverage"):
        raise HTTPException(404, "The news tables are news-groups.csv and news-coverage.csv.")
    choice = choose(tables.NEWS_COVERAGE, sort, direction)
    group_choice = choose(tables.NEWS_GROUPS, gsort, gdir)
    view = await news_table(cache, by=by, period=period, choice=choice, group_choice=group_choice)
    stamp = f"{view.period}-{_stamp(view.window)}"
    if table == "groups":
        return csv_response(f"news-by-{view.by}-{stamp}", tables.NEWS_GROUPS_CSV, view.groups)
    return csv_response(f"news-coverage-{stamp}", tables.NEWS_COVERAGE_CSV, view.coverage)


@router.get(
    "/export/watchlist.csv",
    dependencies=[Depends(require(Feature.WATCHLISTS)), Exports],
)
def watchlist_csv(
    session: SessionDep,
    viewer: SignedInDep,
    access: AccessDep,
    asset_class: Annotated[str | None, Query(alias="class", max_length=16)] = None,
    sort: Short = None,
    direction: Dir = None,
) -> Response:
    """The reader's watchlist, as on their page."""
    choice = choose(tables.WATCHLIST, sort, direction)
    view = sorted_watchlist(session, viewer.user_id, access, choice, known_class(asset_class))
    return csv_response(f"watchlist-{_stamp(view.window)}", tables.WATCHLIST_CSV, view.rows)


@router.get("/export/asset/{asset_id}/windows.csv", dependencies=[Exports])
async def asset_windows_csv(
    asset_id: str,
    cache: ViewsDep,
    viewer: ViewerDep,
    access: AccessDep,
    range_key: RangeParam = None,
    start: FromParam = None,
    end: ToParam = None,
) -> Response:
    """The asset chart's data over the range, exactly the windows the page charts."""
    history = access.history_range(range_key, start, end)
    context = await asset_context(cache, asset_id, viewer, access, history)
    if context is None and ":" not in asset_id:  # a bare symbol, as the page takes it
        found = await cache.get(
            ("symbol", asset_id), lambda s: asset_id_for_symbol(s, symbol=asset_id)
        )
        if found is not None:
            context = await asset_context(cache, found, viewer, access, history)
    if context is None:
        raise HTTPException(404, f"No asset {asset_id!r}; ids look like stock:AAPL.")
    view = context["view"]
    unit = charts.price_unit(view.asset.asset_class, view.asset.symbol)
    name = f"{view.asset.asset_id}-windows-{history.label.replace(' ', '')}"
    return csv_response(name, tables.windows_csv(unit), view.rows)


@router.get("/export/asset/{asset_id}/authors.csv", dependencies=[AuthorsEntitled, Exports])
async def asset_authors_csv(
    asset_id: str, cache: ViewsDep, sort: SortParam = None, direction: Dir = None
) -> Response:
    """An asset's most active authors, as on its authors page."""
    choice = choose(tables.ASSET_AUTHORS, sort, direction)
    view = await asset_authors_table(cache, asset_id=asset_id, choice=choice)
    if view is None:
        raise HTTPException(404, f"No asset {asset_id!r}; ids look like stock:AAPL.")
    return csv_response(f"{view.asset.asset_id}-authors", tables.ASSET_AUTHORS_CSV, view.rows)


def known_asset(session: Session, asked: str) -> str | None:
    """The id of the asset ``asked`` names (an id, or a bare symbol as the pages take); None."""
    if session.get(Asset, asked) is not None:
        return asked
    return None if ":" in asked else asset_id_for_symbol(session, symbol=asked)


@router.get(
    "/export/asset/{asset_id}/{chart}.csv",
    dependencies=[Depends(require(Feature.RELATION)), Exports],
)
async def relation_csv(asset_id: str, chart: str, cache: ViewsDep) -> Response:
    """The relation panel's charts: ``lead-lag`` correlations or the ``events`` study."""
    if chart not in ("lead-lag", "events"):
        raise HTTPException(404, "The asset's charts are windows, lead-lag and events.")
    found = await cache.get(("asset_known", asset_id), lambda s: known_asset(s, asset_id))
    if found is None:
        raise HTTPException(404, f"No asset {asset_id!r}; ids look like stock:AAPL.")
    asset_id = found
    if chart == "lead-lag":
        lags = await cache.get(
            ("lead_lag", asset_id),
            lambda s: relation_queries.asset_lead_lag(s, asset_id=asset_id),
        )
        return csv_response(f"{asset_id}-lead-lag", LEAD_LAG_CSV, lags)
    events = await cache.get(
        ("events", asset_id), lambda s: relation_queries.asset_event_study(s, asset_id=asset_id)
    )
    return csv_response(f"{asset_id}-events", EVENTS_CSV, events)


@router.get("/export/movers.csv", dependencies=[Exports])
async def movers_csv(
    cache: ViewsDep,
    access: AccessDep,
    asset_class: Annotated[str | None, Query(alias="class", max_length=16)] = None,
    show: Short = None,
    sort: SortParam = None,
    direction: Dir = None,
) -> Response:
    """The movers table as on the page with the same parameters (the reader's rows only)."""
    choice = choose(tables.MOVERS, sort, direction)
    view = await movers_table(
        cache, access, asset_class=asset_class, show_all=show == "all", choice=choice
    )
    name = f"movers-{view.sort}-{view.asset_class or 'all'}-{_stamp(view.window)}"
    return csv_response(name, tables.MOVERS_CSV, view.rows)


@router.get("/export/authors.csv", dependencies=[AuthorsEntitled, Exports])
async def authors_csv(cache: ViewsDep, sort: SortParam = None, direction: Dir = None) -> Response:
    """The authors ranking, as on ``/authors``."""
    view = await authors_table(cache, choice=choose(tables.AUTHORS, sort, direction))
    return csv_response("authors", tables.AUTHORS_CSV, view.rows)


@router.get("/export/compare.csv", dependencies=[Depends(require(Feature.COMPARE)), Exports])
async def compare_csv(
    cache: ViewsDep,
    access: AccessDep,
    assets: Annotated[str, Query(max_length=200)] = "",
    range_key: RangeParam = None,
    start: FromParam = None,
    end: ToParam = None,
) -> Response:
    """The compare chart's data: each asset's windows over the range, prices rebased to 100."""
    if len({n.strip().lower() for n in assets.split(",") if n.strip()}) > 5:
        raise HTTPException(422, "At most 5 assets at a time.")
    history = access.history_range(range_key, start, end)
    view = await compare(cache, assets, history)
    symbols = "-".join(a.symbol for a in view.assets) or "none"
    name = f"compare-{symbols}-{history.label.replace(' ', '')}"
    return csv_response(name, tables.COMPARE_CSV, tables.compare_rows(view.series))


LEAD_LAG_CSV = (
    CsvColumn("source_class", lambda r: r.source_class),
    CsvColumn("lag (6-hour windows; positive: sentiment first)", lambda r: r.lag),
    CsvColumn("r (correlation, -1 to +1)", lambda r: r.r),
    CsvColumn("ci_low (95%)", lambda r: r.ci_low),
    CsvColumn("ci_high (95%)", lambda r: r.ci_high),
    CsvColumn("n (windows)", lambda r: r.n),
    CsvColumn("q_value (Benjamini-Hochberg)", lambda r: r.q_value),
)
EVENTS_CSV = (
    CsvColumn("source_class", lambda r: r.source_class),
    CsvColumn("event_type", lambda r: r.event_type),
    CsvColumn("tau (6-hour windows from the spike)", lambda r: r.tau),
    CsvColumn("mean_car (%)", lambda r: None if r.mean_car is None else r.mean_car * 100),
    CsvColumn("ci_low (%)", lambda r: None if r.ci_low is None else r.ci_low * 100),
    CsvColumn("ci_high (%)", lambda r: None if r.ci_high is None else r.ci_high * 100),
    CsvColumn("n_events (count)", lambda r: r.n_events),
    CsvColumn("p_value", lambda r: r.p_value),
)
