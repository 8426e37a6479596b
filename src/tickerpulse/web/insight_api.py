"""The insight routes of the REST API: movers, the overview and authors, as their pages show them.

Installed on the API app by :func:`tickerpulse.web.api.create_api`, with its
key dependency; each route serves the same cached view as its page (with full
access: the API is a Premium feature), so the numbers cannot differ.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Query
from pydantic import BaseModel

from tickerpulse.web import insight_views
from tickerpulse.web.deps import ViewsDep
from tickerpulse.web.insight_records import (
    AssetAuthorRow,
    AuthorRecordRow,
    MoverRow,
    OverviewTile,
)

SORTS = "^(mention_z|mention_change|sentiment_change|share_of_voice)$"


class MoversOut(BaseModel):
    """Assets ranked by unusual attention in the newest window, as on ``/movers``."""

    window: datetime | None
    sort: str
    asset_class: str | None
    rows: list[MoverRow]


class OverviewOut(BaseModel):
    """Every mentioned asset with class, mentions and sentiment, as the ``/overview`` heatmap."""

    window: datetime | None
    tiles: list[OverviewTile]


class AuthorsOut(BaseModel):
    """Authors with enough judged calls, best record first, as on ``/authors``."""

    min_calls: int
    qualified: int
    rows: list[AuthorRecordRow]


class AssetAuthorsOut(BaseModel):
    """An asset's most active authors over 30 days, as on ``/asset/{id}/authors``."""

    asset_id: str
    since: datetime | None
    rows: list[AssetAuthorRow]


def install(api: FastAPI, api_viewer: Callable[..., Any]) -> None:
    """Add the insight routes to ``api``, each behind the API key dependency ``api_viewer``."""
    keyed = [Depends(api_viewer)]

    @api.get("/movers", response_model=MoversOut, dependencies=keyed, summary="Movers")
    async def movers(
        cache: ViewsDep,
        sort: Annotated[str | None, Query(pattern=SORTS)] = None,
        asset_class: Annotated[str | None, Query(alias="class", max_length=16)] = None,
    ) -> MoversOut:
        """Mention z-score and change, sentiment change and share of voice per asset."""
        asset_class = asset_class if asset_class in insight_views.ASSET_CLASSES else None
        view = await cache.get(
            ("api_movers", sort, asset_class),
            lambda s: insight_views.movers_view(s, sort=sort, asset_class=asset_class),
        )
        return MoversOut(
            window=view.window, sort=view.sort, asset_class=view.asset_class, rows=view.rows
        )

    @api.get("/overview", response_model=OverviewOut, dependencies=keyed, summary="Overview")
    async def overview(cache: ViewsDep) -> OverviewOut:
        """Every asset mentioned in the newest window: class, mentions, sentiment."""
        view = await cache.get(("api_overview",), lambda s: insight_views.overview_view(s))
        return OverviewOut(window=view.window, tiles=view.tiles)

    @api.get("/authors", response_model=AuthorsOut, dependencies=keyed, summary="Authors")
    async def authors(cache: ViewsDep) -> AuthorsOut:
        """Authors' hit rates against the next window's return, with Wilson intervals."""
        view = await cache.get(("authors",), insight_views.authors_view)
        return AuthorsOut(
            min_calls=int(view.method["min_calls"]), qualified=view.qualified, rows=view.rows
        )

    @api.get(
        "/assets/{asset_id}/authors",
        response_model=AssetAuthorsOut,
        dependencies=keyed,
        responses={404: {"description": "Unknown asset."}},
        summary="An asset's authors",
    )
    async def asset_authors(asset_id: str, cache: ViewsDep) -> AssetAuthorsOut:
        """The asset's most active authors over 30 days, their reach and records."""
        view = await cache.get(
            ("asset_authors", asset_id),
            lambda s: insight_views.asset_authors_view(s, asset_id=asset_id),
        )
        if view is None:
            raise HTTPException(404, f"No asset {asset_id!r}; ids look like stock:AAPL.")
        return AssetAuthorsOut(asset_id=view.asset.asset_id, since=view.since, rows=view.rows)
