"""The sortable tables' views, shared by their pages, their CSV exports and the REST API.

Each getter reads the page's view from the :class:`~tickerpulse.web.viewcache.ViewCache`
under a key of its validated parameters, the reader's tier and the sort, and
sorts the rows the reader may see (a Free reader sorting the trending table
sorts their top 20; sorting never reaches rows the plan leaves out).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, TypeVar

from tickerpulse.explore.sorting import SortChoice, TableSpec, sort_rows
from tickerpulse.platform.tiers import Access
from tickerpulse.web import insight_views, tables, views
from tickerpulse.web.insight_queries import MOVER_SORTS
from tickerpulse.web.viewcache import ViewCache

V = TypeVar("V")
UNSORTED = SortChoice()


def sorted_view(view: V, attr: str, spec: TableSpec, choice: SortChoice) -> V:
    """The view with its ``attr`` rows in the chosen order (the view itself when unsorted)."""
    if choice.column is None:
        return view
    return replace(view, **{attr: sort_rows(spec, getattr(view, attr), choice)})  # type: ignore[type-var]


def known_class(asked: str | None) -> str | None:
    """An asset class of :data:`~tickerpulse.web.views.ASSET_CLASSES`, or None for any other."""
    return asked if asked in views.ASSET_CLASSES else None


async def trending_table(
    cache: ViewCache,
    access: Access,
    *,
    asset_class: str | None,
    period: str | None,
    source: str | None,
    show_all: bool,
    choice: SortChoice,
) -> views.TrendingView:
    """The trending view for the reader's tier, sorted as chosen."""
    key = ("trending", asset_class, period, source, access.tier, show_all, choice.column,
           choice.descending)  # fmt: skip

    def build(session: Any) -> views.TrendingView:
        view = views.trending_view(
            session, asset_class=asset_class, period=period, source=source, access=access,
            show_all=show_all,
        )  # fmt: skip
        return sorted_view(view, "rows", tables.TRENDING, choice)

    return await cache.get(key, build)


async def predictions_table(
    cache: ViewCache, *, asset_class: str | None, choice: SortChoice
) -> views.PredictionsView:
    """The predictions view, only ``asset_class``'s calls when given, sorted as chosen."""
    chosen = known_class(asset_class)

    def build(session: Any) -> views.PredictionsView:
        view = views.predictions_view(session)
        if chosen is not None:
            view = replace(view, calls=[c for c in view.calls if c.asset_class == chosen])
        return sorted_view(view, "calls", tables.PREDICTIONS, choice)

    return await cache.get(("predictions", chosen, choice.column, choice.descending), build)


async def news_table(
    cache: ViewCache,
    *,
    by: str | None,
    period: str | None,
    choice: SortChoice,
    group_choice: SortChoice = UNSORTED,
) -> views.NewsView:
    """The news view, its most-covered table (``choice``) and its groups (``group_choice``) sorted.

    The groups' chart keeps its own order (most articles first); only its table is sorted.
    """

    def build(session: Any) -> views.NewsView:
        view = views.news_view(session, by=by, period=period)
        view = sorted_view(view, "coverage", tables.NEWS_COVERAGE, choice)
        return sorted_view(view, "groups", tables.NEWS_GROUPS, group_choice)

    key = ("news", by, period, choice.column, choice.descending, group_choice.column,
           group_choice.descending)  # fmt: skip
    return await cache.get(key, build)


async def movers_table(
    cache: ViewCache,
    access: Access,
    *,
    asset_class: str | None,
    show_all: bool,
    choice: SortChoice,
) -> insight_views.MoversView:
    """The movers the reader's tier shows, sorted as chosen.

    Sorting by one of :data:`MOVER_SORTS` also picks which movers make the list (the
    first 25, or the Free plan's 10, by that figure); any other column sorts the
    movers ranked by mention z-score. Sorting never reaches rows the plan leaves out.
    """
    rank = choice.column if choice.column in MOVER_SORTS else None
    klass = known_class(asset_class)
    key = ("movers", rank, klass, access.tier, show_all, choice.column, choice.descending)

    def build(session: Any) -> insight_views.MoversView:
        view = insight_views.movers_view(
            session, sort=rank, asset_class=klass, access=access, show_all=show_all
        )
        return sorted_view(view, "rows", tables.MOVERS, choice)

    return await cache.get(key, build)


async def authors_table(cache: ViewCache, *, choice: SortChoice) -> insight_views.AuthorsView:
    """The authors ranking (its first rows by record), sorted as chosen."""

    def build(session: Any) -> insight_views.AuthorsView:
        return sorted_view(insight_views.authors_view(session), "rows", tables.AUTHORS, choice)

    return await cache.get(("authors", choice.column, choice.descending), build)


async def asset_authors_table(
    cache: ViewCache, *, asset_id: str, choice: SortChoice
) -> insight_views.AssetAuthorsView | None:
    """An asset's most active authors, sorted as chosen; None for an unknown asset."""

    def build(session: Any) -> insight_views.AssetAuthorsView | None:
        view = insight_views.asset_authors_view(session, asset_id=asset_id)
        return None if view is None else sorted_view(view, "rows", tables.ASSET_AUTHORS, choice)

    return await cache.get(("asset_authors", asset_id, choice.column, choice.descending), build)
