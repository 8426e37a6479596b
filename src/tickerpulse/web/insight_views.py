"""What the insight pages show: movers, the market overview and authors, for a reader's access.

The routes and the API call these same functions, so a page and its API
route can never disagree. Free readers see the movers' top 10 and the
overview a day behind (as trending); authors are a Premium feature, gated
by the route.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import cast

from markupsafe import Markup
from sqlalchemy.orm import Session

from tickerpulse.analytics.attention import MIN_HISTORY
from tickerpulse.analytics.authors import MIN_CALLS, STANCE_MIN
from tickerpulse.analytics.signals import Z_LOOKBACK
from tickerpulse.db.marts import asset_id_for_symbol
from tickerpulse.platform.tiers import FULL_ACCESS, Access
from tickerpulse.web import insight_queries, queries
from tickerpulse.web.insight_queries import MIN_MOVER_MENTIONS, MOVER_SORTS, MoverSort
from tickerpulse.web.insight_records import (
    AssetAuthorRow,
    AuthorRecordRow,
    MoverRow,
    OverviewTile,
)
from tickerpulse.web.records import AssetOverview
from tickerpulse.web.treemap import MAX_TILES_PER_CLASS, drawn_tiles, legend, treemap_svg

ASSET_CLASSES = ("stock", "etf", "crypto", "fx")
AUTHOR_PERIOD = timedelta(days=30)
MOVERS_SHOWN = 25
"""Movers a page lists unless the reader asks for every one (rendering 500 rows is slow)."""
METHOD = {
    "lookback": Z_LOOKBACK,
    "min_history": MIN_HISTORY,
    "min_mentions": MIN_MOVER_MENTIONS,
    "min_calls": MIN_CALLS,
    "stance_min": STANCE_MIN,
}
"""The constants the pages explain, in one place."""


def visible_window(session: Session, delay: timedelta) -> datetime | None:
    """The newest published window, or the newest at least ``delay`` older than it."""
    latest = queries.latest_window(session)
    if latest is None or not delay:
        return latest
    return queries.latest_window(session, until=latest - delay)


@dataclass(frozen=True)
class MoversView:
    """The movers page: assets ranked by unusual attention in one window."""

    window: datetime | None
    sort: str = "mention_z"
    asset_class: str | None = None
    rows: list[MoverRow] = field(default_factory=list)
    row_cap: int | None = None
    delayed: bool = False
    show_all: bool = False
    sorts: dict[str, str] = field(default_factory=lambda: MOVER_SORTS)
    classes: tuple[str, ...] = ASSET_CLASSES
    method: dict[str, float] = field(default_factory=lambda: dict(METHOD))

    @property
    def more(self) -> bool:
        """Whether the page lists its first rows only and the reader may ask for every one."""
        return self.row_cap is None and not self.show_all and len(self.rows) >= MOVERS_SHOWN


def movers_view(
    session: Session,
    *,
    sort: str | None = None,
    asset_class: str | None = None,
    access: Access = FULL_ACCESS,
    show_all: bool = True,
) -> MoversView:
    """Gather the movers page for the newest window the reader may see.

    Args:
        session: An open database session.
        sort: One of :data:`MOVER_SORTS` (anything else: mention z-score).
        asset_class: One of :data:`ASSET_CLASSES` (anything else: all).
        access: The reader's access (Free: the top 10, a day behind).
        show_all: Every mover (the API) instead of the first :data:`MOVERS_SHOWN` (a page);
            never past the tier's cap.

    Returns:
        The view; ``window`` is None before the first publish.
    """
    chosen = sort if sort in MOVER_SORTS else "mention_z"
    klass = asset_class if asset_class in ASSET_CLASSES else None
    window = visible_window(session, access.movers_delay)
    cap = access.movers_rows
    every = show_all and cap is None
    base = MoversView(
        window=window, sort=chosen, asset_class=klass, row_cap=cap,
        delayed=bool(access.movers_delay), show_all=every,
    )  # fmt: skip
    if window is None:
        return base
    rows = insight_queries.movers(
        session, window_start=window, sort=cast(MoverSort, chosen), asset_class=klass,
        limit=cap or (None if every else MOVERS_SHOWN),
    )  # fmt: skip
    return replace(base, rows=rows)


@dataclass(frozen=True)
class OverviewView:
    """The market overview: the heatmap of every mentioned asset by class."""

    window: datetime | None
    tiles: list[OverviewTile] = field(default_factory=list)
    """Every mentioned asset (the API's answer)."""
    drawn: list[OverviewTile] = field(default_factory=list)
    """The tiles on the map (the busiest per class), which the page's table lists too."""
    svg: Markup = field(default_factory=lambda: Markup(""))
    legend: list[tuple[str, str, str]] = field(default_factory=legend)
    delayed: bool = False
    per_class: int = MAX_TILES_PER_CLASS


def overview_view(session: Session, *, access: Access = FULL_ACCESS) -> OverviewView:
    """Gather the overview for the newest window the reader may see (Free: a day behind)."""
    window = visible_window(session, access.movers_delay)
    if window is None:
        return OverviewView(window=None, delayed=bool(access.movers_delay))
    tiles = insight_queries.overview_tiles(session, window_start=window)
    shown = drawn_tiles(tiles)
    return OverviewView(
        window=window, tiles=tiles, drawn=shown, svg=treemap_svg(shown),
        delayed=bool(access.movers_delay),
    )  # fmt: skip


@dataclass(frozen=True)
class AuthorsView:
    """The authors ranking: every author with enough judged calls, best record first."""

    rows: list[AuthorRecordRow] = field(default_factory=list)
    qualified: int = 0
    method: dict[str, float] = field(default_factory=lambda: dict(METHOD))


def authors_view(session: Session) -> AuthorsView:
    """Gather the authors ranking."""
    rows, qualified = insight_queries.ranked_authors(session)
    return AuthorsView(rows=rows, qualified=qualified)


@dataclass(frozen=True)
class AssetAuthorsView:
    """An asset's most active authors over the last 30 days, with reach and records."""

    asset: AssetOverview
    since: datetime | None = None
    rows: list[AssetAuthorRow] = field(default_factory=list)
    method: dict[str, float] = field(default_factory=lambda: dict(METHOD))


def asset_authors_view(session: Session, *, asset_id: str) -> AssetAuthorsView | None:
    """Gather an asset's authors (an id or a bare symbol); None for an unknown asset."""
    known = asset_id
    if queries.asset_overview(session, asset_id=asset_id) is None and ":" not in asset_id:
        known = asset_id_for_symbol(session, symbol=asset_id) or asset_id
    asset = queries.asset_overview(session, asset_id=known)
    if asset is None:
        return None
    if asset.latest_window is None:
        return AssetAuthorsView(asset=asset)
    since = asset.latest_window - AUTHOR_PERIOD
    rows = insight_queries.asset_authors(session, asset_id=asset.asset_id, since=since)
    return AssetAuthorsView(asset=asset, since=since, rows=rows)
