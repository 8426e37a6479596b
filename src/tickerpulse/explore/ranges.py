"""History ranges of the asset and compare pages: 7d, 30d, 90d, 1y, all, or custom dates.

:func:`resolve_range` turns the ``range``, ``from`` and ``to`` parameters into a
:class:`HistoryRange` the reader's plan allows. A range the plan lacks is not
an error: the reader gets the plan's range and a note saying which plan has
the one asked for (a Free reader asking for 90d sees 7 days, never 90).
Custom dates are clamped to the published history, so an absurd range
(year 1 to 9999) costs no more than ``all``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

RANGES: dict[str, tuple[str, int | None]] = {
    "7d": ("7 days", 7),
    "30d": ("30 days", 30),
    "90d": ("90 days", 90),
    "1y": ("1 year", 365),
    "all": ("all history", None),
}
"""Range key → (words, days back from the newest window; None: everything)."""
FREE_RANGE = "7d"
DEFAULT_RANGE = "30d"
CUSTOM = "custom"
EARLIEST = date(2000, 1, 1)
"""No window is older: custom dates before it are read as this day."""


@dataclass(frozen=True)
class HistoryRange:
    """The span of windows a page charts and tabulates."""

    key: str
    """A key of :data:`RANGES`, or ``custom``."""
    start: date | None = None
    """First day of a custom range (UTC)."""
    end: date | None = None
    """Last day of a custom range, included (UTC)."""
    note: str | None = None
    """Why the range differs from the one asked (the plan, or a date that could not be read)."""

    @property
    def label(self) -> str:
        """The range in words ("90 days", "2026-01-01 to 2026-02-01")."""
        if self.key == CUSTOM:
            return f"{self.start} to {self.end}"
        return RANGES[self.key][0]

    def bounds(self, latest: datetime) -> tuple[datetime | None, datetime]:
        """The first and last window starts of the range, given the newest window shown.

        Returns:
            ``(since, until)``: ``since`` None means from the first window; ``until``
            is never after ``latest``.
        """
        if self.key == CUSTOM and self.start is not None and self.end is not None:
            since = datetime.combine(self.start, time(), UTC)
            end = min(self.end, latest.date())
            until = min(latest, datetime.combine(end, time(), UTC) + timedelta(hours=18))
            return since, until
        days = RANGES.get(self.key, RANGES[DEFAULT_RANGE])[1]
        return (None if days is None else latest - timedelta(days=days)), latest

    def params(self) -> dict[str, str | None]:
        """The query parameters that ask for this range again (for links and exports)."""
        if self.key == CUSTOM:
            return {"from": str(self.start), "to": str(self.end)}
        return {"range": self.key}


def resolve_range(
    asked: str | None,
    start: str | None = None,
    end: str | None = None,
    *,
    ranges: bool,
    custom: bool,
    ranges_plan: str = "Pro",
    custom_plan: str = "Premium",
) -> HistoryRange:
    """The range a reader gets for what they asked, under what their plan allows.

    Args:
        asked: The ``range`` parameter (7d, 30d, 90d, 1y, all), or None.
        start: The ``from`` parameter, an ISO date (2026-01-31), or None.
        end: The ``to`` parameter, an ISO date, or None (today).
        ranges: Whether the plan includes choosing a range (else 7 days only).
        custom: Whether the plan includes custom dates.
        ranges_plan: The plan that includes ranges, for the note.
        custom_plan: The plan that includes custom dates, for the note.

    Returns:
        The range, with a note when it is not the one asked for.
    """
    if not ranges:
        wanted = asked not in (None, "", FREE_RANGE) or bool(start or end)
        note = (
            f"Your plan shows the last 7 days; longer history comes with the {ranges_plan} plan."
            if wanted
            else None
        )
        return HistoryRange(FREE_RANGE, note=note)
    if start or end:
        if not custom:
            kept = _known(asked)
            note = f"Custom dates come with the {custom_plan} plan; showing {RANGES[kept][0]}."
            return HistoryRange(kept, note=note)
        return _custom(start, end, fallback=_known(asked))
    if asked and asked not in RANGES:
        shown = asked[:16]
        note = f"There is no range “{shown}”: use 7d, 30d, 90d, 1y or all."
        return HistoryRange(DEFAULT_RANGE, note=note)
    return HistoryRange(_known(asked))


def _known(asked: str | None) -> str:
    return asked if asked in RANGES else DEFAULT_RANGE


def _custom(start: str | None, end: str | None, *, fallback: str) -> HistoryRange:
    try:
        first = date.fromisoformat(start) if start else EARLIEST
        last = date.fromisoformat(end) if end else date.max
    except ValueError:
        note = "Dates are written 2026-01-31; showing the usual range instead."
        return HistoryRange(fallback, note=note)
    if first > last:
        note = "The range ends before it starts; showing the usual range."
        return HistoryRange(fallback, note=note)
    return HistoryRange(CUSTOM, start=max(first, EARLIEST), end=last)
