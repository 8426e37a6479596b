"""The typed rows of the insight pages (movers, overview, authors), as the API returns them too."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class MoverRow:
    """One asset's attention in a window against its own last 7 days."""

    asset_id: str
    symbol: str
    name: str
    asset_class: str
    mentions: int
    mention_z: float | None
    """z-score of log mentions against the 28 windows before (capped at ±10)."""
    mention_change: float | None
    """Mentions against the trailing mean, as a fraction (1.0 = twice the usual)."""
    sentiment: float | None
    sentiment_change: float | None
    """Mean sentiment minus its trailing mean (−1…+1 scale)."""
    sentiment_z: float | None
    share_of_voice: float
    """The asset's share of its class's mentions in the window (0…1)."""
    return_fraction: float | None
    """The window's close-to-close return as a fraction."""


@dataclass(frozen=True)
class OverviewTile:
    """One asset on the market overview: its class, mentions and sentiment in a window."""

    asset_id: str
    symbol: str
    name: str
    asset_class: str
    mentions: int
    sentiment: float | None


@dataclass(frozen=True)
class AuthorRecordRow:
    """A social author's activity and, from enough calls on, their out-of-sample record."""

    author: str
    """The author's pseudonymous id (a hash of source and handle; handles are never stored)."""
    source: str
    posts: int
    reach: int
    calls: int
    """Calls judged against the next window's return."""
    hits: int
    hit_rate: float | None
    """Share of judged calls that were right; None below the minimum sample."""
    ci_low: float | None
    ci_high: float | None
    last_window: datetime


@dataclass(frozen=True)
class AssetAuthorRow:
    """An author's activity on one asset over a period, with their overall record."""

    author: str
    source: str
    posts: int
    reach: int
    sentiment: float | None
    """Mean of the author's per-window sentiment on the asset."""
    bullish_calls: int
    bearish_calls: int
    record: AuthorRecordRow | None
    """The author's record over every asset; None when it rests on too few calls."""
