"""The REST API at ``/api/v1``: the pages' numbers as JSON, for Premium API keys, rate-limited.

Each route calls the same view function as its page, so the API and the site
can never disagree. Keys come as ``Authorization: Bearer tp_…`` (or
``X-API-Key``); every answer carries ``X-RateLimit-*`` headers and a spent
budget answers 429 with ``Retry-After``. The OpenAPI document is at
``/api/v1/openapi.json`` and a readable summary at ``/api/v1/docs``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Annotated, Any, TypeVar

from fastapi import Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel
from sqlalchemy.orm import Session

from tickerpulse.config import Settings
from tickerpulse.db.marts import asset_id_for_symbol
from tickerpulse.explore.ranges import HistoryRange
from tickerpulse.explore.search import AssetSearch, SearchHit
from tickerpulse.explore.sorting import TableSpec, choose
from tickerpulse.platform import api_keys
from tickerpulse.platform.accounts import reader_tier
from tickerpulse.platform.crypto import digest
from tickerpulse.platform.tiers import FULL_ACCESS, Access, Feature, TierMatrix
from tickerpulse.web import insight_api, queries, tables
from tickerpulse.web.api_schema import document_schema
from tickerpulse.web.auth import Viewer, ViewerDep, remembered, utcnow
from tickerpulse.web.deps import ViewsDep, get_session
from tickerpulse.web.outage import install_outage_handler
from tickerpulse.web.ratelimit import RateLimiter
from tickerpulse.web.records import (
    AssetWindowRow,
    NewsCoverageRow,
    NewsGroupRow,
    PredictionListRow,
    PredictionRow,
    RelationRow,
    TrendingRow,
)
from tickerpulse.web.table_views import news_table, predictions_table, trending_table

API_PREFIX = "/api/v1"
SessionArg = Annotated[Session, Depends(get_session)]
T = TypeVar("T")
MAX_LIMIT = 1000
Limit = Annotated[int | None, Query(ge=1, le=MAX_LIMIT)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
RangeKey = Annotated[str | None, Query(alias="range", pattern="^(7d|30d|90d|1y|all)$")]
Direction = Annotated[str | None, Query(alias="dir", pattern="^(asc|desc)$")]


def _sort_param(spec: TableSpec) -> Any:
    """A ``sort`` parameter that accepts only the table's columns (others: 422)."""
    return Query(pattern="^(" + "|".join(spec.keys) + ")$")


class Page(BaseModel):
    """Where a page of rows sits in the whole list."""

    total: int
    offset: int
    next_offset: int | None


def _page(rows: Sequence[T], limit: int | None, offset: int) -> tuple[list[T], Page]:
    """Rows ``offset`` to ``offset + limit`` and where they sit."""
    end = len(rows) if limit is None else offset + limit
    more = end < len(rows)
    return list(rows[offset:end]), Page(total=len(rows), offset=offset,
                                        next_offset=end if more else None)  # fmt: skip


class ApiError(BaseModel):
    """An error answer."""

    detail: str


class TrendingOut(BaseModel):
    """The trending ranking, as on ``/``."""

    window: datetime | None
    period: str
    asset_class: str | None
    source: str | None
    rows: list[TrendingRow]
    page: Page


class AssetWindowsOut(BaseModel):
    """An asset's 6-hour windows, as charted on its page."""

    asset_id: str
    symbol: str
    latest_window: datetime | None
    windows: list[AssetWindowRow]
    range: str | None = None
    note: str | None = None
    page: Page | None = None


class RelationOut(BaseModel):
    """An asset's published relation statistics, as in its page's panel."""

    asset_id: str
    relation: list[RelationRow]
    prediction: PredictionRow | None


class NewsOut(BaseModel):
    """News volume and tone by grouping, and the most covered assets, as on ``/news``."""

    window: datetime | None
    by: str
    period: str
    since: datetime | None
    groups: list[NewsGroupRow]
    coverage: list[NewsCoverageRow]
    page: Page


class ModelRecord(BaseModel):
    """The prediction model's out-of-sample record, which every call of one run shares.

    (Before, this was a whole prediction row whose ``prob_up`` was some other asset's
    call; the calls' own probabilities are in ``calls``.)
    """

    window_start: datetime
    model: str
    auc: float | None
    auc_ci_low: float | None
    auc_ci_high: float | None
    hit_rate: float | None
    n: int
    verdict: str


class PredictionsOut(BaseModel):
    """Every asset's next-window call and the model's record, as on ``/predictions``."""

    model: ModelRecord | None
    calls: list[PredictionListRow]
    page: Page


class SearchOut(BaseModel):
    """Assets matching a search, best first, as on ``/search``."""

    query: str
    results: list[SearchHit]


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ApiError, "description": "No key, or an unknown or revoked key."},
    403: {"model": ApiError, "description": "The key's plan does not include the API."},
    429: {"model": ApiError, "description": "Over the plan's requests per minute."},
}


async def api_viewer(request: Request, response: Response, session: SessionArg) -> Viewer:
    """The key's owner, if the key is live, their plan includes the API and budget remains."""
    header = request.headers.get("authorization", "")
    key = header[7:].strip() if header.lower().startswith("bearer ") else ""
    key = key or request.headers.get("x-api-key", "").strip()
    if not key:
        raise HTTPException(401, "Send your API key as 'Authorization: Bearer <key>'.",
                            headers={"WWW-Authenticate": "Bearer"})  # fmt: skip
    found = await remembered(
        request, session, "key:" + digest(key), lambda: api_keys.key_owner(session, key)
    )
    if found is None:
        raise HTTPException(
            401, "Unknown or revoked API key.", headers={"WWW-Authenticate": "Bearer"}
        )
    key_row, user, subscription = found
    tier = reader_tier(user, subscription, now=utcnow())
    matrix: TierMatrix = request.app.state.tier_matrix
    if not matrix.allows(tier, Feature.API):
        raise HTTPException(
            403, f"The REST API needs the {matrix.required(Feature.API).label} plan."
        )
    settings: Settings = request.app.state.settings
    limit = settings.api_requests_per_minute.get(tier.name.lower(), 0)
    limiter: RateLimiter = request.app.state.rate_limiter
    budget = limiter.hit(key_row.key_id, limit)
    if not budget.allowed:
        raise HTTPException(
            429, f"Limit of {limit} requests per minute reached.", headers=budget.headers()
        )
    response.headers.update(budget.headers())
    viewer = Viewer(user=user, tier=tier)
    request.state.viewer = viewer
    return viewer


ApiViewer = Annotated[Viewer, Depends(api_viewer)]


def _known_id(session: Session, asked: str) -> str | None:
    """The asset id for an id or, as the site does, a bare symbol (AAPL); None if unknown."""
    if queries.asset_overview(session, asset_id=asked) is not None:
        return asked
    if ":" in asked:
        return None
    return asset_id_for_symbol(session, symbol=asked)


def _asset_windows(session: Session, *, asset_id: str, days: int) -> AssetWindowsOut | None:
    """An asset's windows over the last ``days`` days up to its newest; None if unknown."""
    known = _known_id(session, asset_id)
    overview = None if known is None else queries.asset_overview(session, asset_id=known)
    if overview is None:
        return None
    rows: list[AssetWindowRow] = []
    if overview.latest_window is not None:
        since = overview.latest_window - timedelta(days=days)
        rows = queries.asset_windows(session, asset_id=overview.asset_id, since=since)
    return AssetWindowsOut(
        asset_id=overview.asset_id, symbol=overview.symbol,
        latest_window=overview.latest_window, windows=rows,
    )  # fmt: skip


def _ranged_windows(
    session: Session, *, asset_id: str, history: HistoryRange
) -> AssetWindowsOut | None:
    """An asset's windows over a history range, as its page charts them; None if unknown."""
    known = _known_id(session, asset_id)
    overview = None if known is None else queries.asset_overview(session, asset_id=known)
    if overview is None:
        return None
    rows: list[AssetWindowRow] = []
    if overview.latest_window is not None:
        since, until = history.bounds(overview.latest_window)
        rows = queries.asset_windows(session, asset_id=overview.asset_id, since=since, until=until)
    return AssetWindowsOut(
        asset_id=overview.asset_id, symbol=overview.symbol, latest_window=overview.latest_window,
        windows=rows, range=history.label, note=history.note,
    )  # fmt: skip


def _relation(session: Session, *, asset_id: str) -> RelationOut | None:
    """An asset's relation statistics and prediction; None if unknown."""
    known = _known_id(session, asset_id)
    if known is None:
        return None
    return RelationOut(
        asset_id=known,
        relation=queries.asset_relation(session, asset_id=known),
        prediction=queries.asset_prediction(session, asset_id=known),
    )


def create_api(parent: FastAPI) -> FastAPI:
    """The API application, sharing the parent's state (settings, engine, matrix, limiter)."""
    api = FastAPI(
        title="tickerpulse API",
        version="1",
        description="Social and news sentiment per asset in 6-hour windows, its relation to"
        " prices, and next-window predictions. Premium plan; authenticate with the header"
        " Authorization: Bearer <key> (keys are created on your account page). Returns are"
        " fractions (-0.0134 = -1.34 %), sentiment runs from -1 (bearish) to +1 (bullish)."
        " Assets are named by id (stock:AAPL) or bare symbol (AAPL).",
        openapi_url="/openapi.json",
        docs_url=None,
        redoc_url=None,
        responses=ERRORS,
    )
    api.state = parent.state

    @api.get("/trending", response_model=TrendingOut, summary="Most-mentioned assets")
    async def trending(
        viewer: ApiViewer,
        cache: ViewsDep,
        asset_class: Annotated[str | None, Query(alias="class", max_length=16)] = None,
        period: Annotated[str | None, Query(pattern="^(6h|24h|7d)$")] = None,
        source: Annotated[str | None, Query(max_length=32)] = None,
        show: Annotated[str | None, Query(pattern="^all$")] = None,
        sort: Annotated[str | None, _sort_param(tables.TRENDING)] = None,
        direction: Direction = None,
        limit: Limit = None,
        offset: Offset = 0,
    ) -> TrendingOut:
        """The ranking by mentions over 6 h, 24 h or 7 days (as the trending page)."""
        view = await trending_table(
            cache, FULL_ACCESS, asset_class=asset_class, period=period, source=source,
            show_all=show == "all", choice=choose(tables.TRENDING, sort, direction),
        )  # fmt: skip
        rows, page = _page(view.rows, limit, offset)
        return TrendingOut(
            window=view.window, period=view.period, asset_class=view.asset_class,
            source=view.source, rows=rows, page=page,
        )  # fmt: skip

    @api.get(
        "/assets/{asset_id}/windows",
        response_model=AssetWindowsOut,
        responses={404: {"model": ApiError, "description": "Unknown asset."}},
        summary="An asset's 6-hour windows",
    )
    async def asset_windows(
        asset_id: str,
        viewer: ApiViewer,
        cache: ViewsDep,
        request: Request,
        days: Annotated[int, Query(ge=1, le=730)] = 30,
        range_key: Annotated[
            str | None, Query(alias="range", pattern="^(7d|30d|90d|1y|all)$")
        ] = None,
        start: Annotated[date | None, Query(alias="from")] = None,
        end: Annotated[date | None, Query(alias="to")] = None,
        limit: Limit = None,
        offset: Offset = 0,
    ) -> AssetWindowsOut:
        """Price and social/news sentiment per window over ``days`` days or a history range.

        ``range``, ``from`` and ``to`` choose the windows as on the asset page (and its
        CSV); without them, the last ``days`` days.
        """
        if range_key or start or end:
            access = Access(viewer.tier, request.app.state.tier_matrix)
            first, last = (None if d is None else d.isoformat() for d in (start, end))
            history = access.history_range(range_key, first, last)
            found = await cache.get(
                ("api_asset_range", asset_id, history),
                lambda s: _ranged_windows(s, asset_id=asset_id, history=history),
            )
        else:
            found = await cache.get(
                ("api_asset_windows", asset_id, days),
                lambda s: _asset_windows(s, asset_id=asset_id, days=days),
            )
        if found is None:
            raise HTTPException(404, f"No asset {asset_id!r}; ids look like stock:AAPL.")
        rows, page = _page(found.windows, limit, offset)
        return found.model_copy(update={"windows": rows, "page": page})

    @api.get(
        "/assets/{asset_id}/relation",
        response_model=RelationOut,
        responses={404: {"model": ApiError, "description": "Unknown asset."}},
        summary="Sentiment ↔ price statistics of an asset",
    )
    async def relation(asset_id: str, viewer: ApiViewer, cache: ViewsDep) -> RelationOut:
        """Correlations with confidence intervals, Granger q-values, verdicts and the prediction."""
        found = await cache.get(
            ("api_relation", asset_id), lambda s: _relation(s, asset_id=asset_id)
        )
        if found is None:
            raise HTTPException(404, f"No asset {asset_id!r}; ids look like stock:AAPL.")
        return found

    @api.get("/news", response_model=NewsOut, summary="News analytics")
    async def news(
        viewer: ApiViewer,
        cache: ViewsDep,
        by: Annotated[str | None, Query(pattern="^(outlet|region|asset_class)$")] = None,
        period: Annotated[str | None, Query(pattern="^(6h|24h|7d)$")] = None,
        sort: Annotated[str | None, _sort_param(tables.NEWS_COVERAGE)] = None,
        direction: Direction = None,
        limit: Limit = None,
        offset: Offset = 0,
    ) -> NewsOut:
        """News volume and tone per outlet, region or asset class (as the news page).

        ``sort``, ``dir``, ``limit`` and ``offset`` order and page the most covered assets.
        """
        choice = choose(tables.NEWS_COVERAGE, sort, direction)
        view = await news_table(cache, by=by, period=period, choice=choice)
        coverage, page = _page(view.coverage, limit, offset)
        return NewsOut(
            window=view.window, by=view.by, period=view.period, since=view.since,
            groups=view.groups, coverage=coverage, page=page,
        )  # fmt: skip

    @api.get("/predictions", response_model=PredictionsOut, summary="Next-window predictions")
    async def predictions(
        viewer: ApiViewer,
        cache: ViewsDep,
        asset_class: Annotated[str | None, Query(alias="class", max_length=16)] = None,
        sort: Annotated[str | None, _sort_param(tables.PREDICTIONS)] = None,
        direction: Direction = None,
        limit: Limit = None,
        offset: Offset = 0,
    ) -> PredictionsOut:
        """Every asset's probability of closing the next window higher, and the model's record."""
        choice = choose(tables.PREDICTIONS, sort, direction)
        view = await predictions_table(cache, asset_class=asset_class, choice=choice)
        record = None
        if view.model is not None:
            record = ModelRecord.model_validate(view.model, from_attributes=True)
        calls, page = _page(view.calls, limit, offset)
        return PredictionsOut(model=record, calls=calls, page=page)

    @api.get("/search", response_model=SearchOut, summary="Search assets")
    async def search(
        request: Request,
        viewer: ApiViewer,
        q: Annotated[str, Query(max_length=64, pattern=r"^[^\x00-\x1f\x7f]*$")],
        limit: Annotated[int, Query(ge=1, le=50)] = 8,
    ) -> SearchOut:
        """Assets whose symbol, name or alias match ``q``, best first (as ``/search``)."""
        index: AssetSearch = request.app.state.asset_search
        hits = index.search(q, limit=limit)
        return SearchOut(query=q, results=list(hits))

    insight_api.install(api, api_viewer)

    def openapi() -> dict[str, Any]:
        if api.openapi_schema is None:
            api.openapi_schema = document_schema(FastAPI.openapi(api))
        return api.openapi_schema

    api.openapi = openapi  # type: ignore[method-assign]

    @api.get("/docs", response_class=HTMLResponse, include_in_schema=False)
    async def docs(request: Request, reader: ViewerDep) -> Response:
        # ``reader`` (from the session cookie) lets the site's header show who is signed in.
        templates: Jinja2Templates = parent.state.templates
        return templates.TemplateResponse(request, "api_docs.html", {"spec": api.openapi()})

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return JSONResponse(
            {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
        )

    api.add_exception_handler(HTTPException, http_error)
    install_outage_handler(api)
    return api
