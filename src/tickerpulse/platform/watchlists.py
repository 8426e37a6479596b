"""A user's watchlist: which assets are on it, adding and removing them.

The page that shows it lives in :mod:`tickerpulse.web.watchlist_view`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from tickerpulse.db.marts import asset_id_for_symbol
from tickerpulse.db.models import Asset
from tickerpulse.db.platform import WatchlistItem

MAX_ITEMS = 50


class WatchlistError(ValueError):
    """An asset that cannot be added; the message says why."""


def resolve_asset(session: Session, *, asked: str) -> str | None:
    """The id of the asset a reader typed: an id (``crypto:BTC``) or a bare symbol (``btc``)."""
    name = asked.strip()
    if not name:
        return None
    if ":" in name:
        return session.scalar(select(Asset.asset_id).where(Asset.asset_id == name))
    return asset_id_for_symbol(session, symbol=name)


def watched_ids(session: Session, *, user_id: int) -> list[str]:
    """The user's watched asset ids, oldest addition first."""
    return list(
        session.scalars(
            select(WatchlistItem.asset_id)
            .where(WatchlistItem.user_id == user_id)
            .order_by(WatchlistItem.added_at, WatchlistItem.asset_id)
        )
    )


def is_watching(session: Session, *, user_id: int, asset_id: str) -> bool:
    """Whether the asset is on the user's watchlist."""
    return session.get(WatchlistItem, (user_id, asset_id)) is not None


def add(session: Session, *, user_id: int, asked: str, now: datetime) -> str:
    """Put an asset on the user's watchlist (already there: nothing changes).

    Args:
        session: An open session (the caller commits).
        user_id: The user.
        asked: An asset id or a symbol.
        now: When it was added.

    Returns:
        The asset's id.

    Raises:
        WatchlistError: For an unknown asset or a full watchlist.
    """
    asset_id = resolve_asset(session, asked=asked)
    if asset_id is None:
        raise WatchlistError(
            f"No asset called “{asked.strip()}”. Use a symbol such as AAPL or an id such as"
            " crypto:BTC."
        )
    if is_watching(session, user_id=user_id, asset_id=asset_id):
        return asset_id
    count = session.scalar(select(func.count()).where(WatchlistItem.user_id == user_id)) or 0
    if count >= MAX_ITEMS:
        raise WatchlistError(f"A watchlist holds {MAX_ITEMS} assets; remove one first.")
    session.execute(
        insert(WatchlistItem)
        .values(user_id=user_id, asset_id=asset_id, added_at=now)
        .on_conflict_do_nothing()
    )
    return asset_id


def remove(session: Session, *, user_id: int, asset_id: str) -> bool:
    """Take an asset off the user's watchlist; False if it was not on it."""
    done = session.execute(
        delete(WatchlistItem).where(
            WatchlistItem.user_id == user_id, WatchlistItem.asset_id == asset_id
        )
    )
    return bool(done.rowcount)  # type: ignore[attr-defined]
