"""The watchlist page's rows: each watched asset's newest window and a week of closes.

The rows reuse the trending page's pieces: the same overview query (mentions,
sentiment and return of the newest window the reader may see) and the same
close series for the sparkline. What is on the list is
:mod:`tickerpulse.platform.watchlists`' business.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from tickerpulse.platform.tiers import Access
from tickerpulse.platform.watchlists import watched_ids
from tickerpulse.web import queries, views
from tickerpulse.web.records import AssetOverview


@dataclass(frozen=True)
class WatchlistRow:
    """One watched asset with its newest window's figures and a week of closes."""

    asset: AssetOverview
    sparkline: tuple[float, ...] = ()


@dataclass(frozen=True)
class WatchlistView:
    """The watchlist page: the window shown and one row per watched asset."""

    window: datetime | None
    rows: list[WatchlistRow] = field(default_factory=list)


def watchlist_view(session: Session, *, user_id: int, access: Access) -> WatchlistView:
    """Gather the watchlist page at the newest window the reader may see.

    Args:
        session: An open database session.
        user_id: Whose watchlist.
        access: The reader's access (decides the window, as on the trending page).

    Returns:
        The view; ``window`` is None before the first publish.
    """
    window = views.visible_window(session, access)
    ids = watched_ids(session, user_id=user_id)
    overviews = queries.asset_overviews(session, asset_ids=ids, window=window)
    if window is None:
        return WatchlistView(window=None, rows=[WatchlistRow(a) for a in overviews])
    closes = queries.close_series(session, asset_ids=ids, until=window)
    rows = [WatchlistRow(a, tuple(closes[a.asset_id])) for a in overviews]
    return WatchlistView(window=window, rows=rows)
