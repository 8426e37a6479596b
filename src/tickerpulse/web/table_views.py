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
from tickerpulse.web import tables, views
from tickerpulse.web.viewcache import ViewCache

V = TypeVar("V")


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
    cache: ViewCache, *, by: str | None, period: str | None, choice: SortChoice
) -> views.NewsView:
    """The news view, its most-covered table sorted as chosen."""

    def build(session: Any) -> views.NewsView:
        view = views.news_view(session, by=by, period=period)
        return sorted_view(view, "coverage", tables.NEWS_COVERAGE, choice)

    return await cache.get(("news", by, period, choice.column, choice.descending), build)
