"""When each asset class trades: the calendar behind expected price bars and gap reports.

Rules, in exchange time so daylight-saving shifts come out right in UTC:

* US stocks, ETFs and indices: Monday–Friday 09:30–16:00 America/New_York.
  Exchange holidays are not modelled, so a holiday shows as a gap.
* FX: from Sunday 17:00 to Friday 17:00 New York time (the usual OTC week).
* Crypto: always.

:func:`trades_at` answers for one instant (the live replay trades only then),
:func:`trades_in_hour` for an hour, :func:`trades_in_window` for a 6-hour window
(a next-window call on a market that stays closed says nothing).

An hour "trades" when any part of it falls inside the session, which is how
hourly bars are stamped by the providers we read (a 09:30 bar belongs to the
hour starting 13:00 or 14:00 UTC, depending on the season).
"""

from __future__ import annotations

import math
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from tickerpulse.domain import Window, as_utc

NEW_YORK = ZoneInfo("America/New_York")
_EQUITY_OPEN = time(9, 30)
_EQUITY_CLOSE = time(16, 0)
_FX_ROLL = time(17, 0)
_EQUITY_CLASSES = frozenset({"stock", "etf", "index"})


def trades_in_hour(asset_class: str, hour_start: datetime) -> bool:
    """Whether ``asset_class`` trades at some point in the hour starting at ``hour_start``.

    Raises:
        ValueError: For an asset class the calendar does not know.
    """
    start = as_utc(hour_start)
    if asset_class == "crypto":
        return True
    if asset_class == "fx":
        return _fx_open(start) or _fx_open(start + timedelta(minutes=59))
    if asset_class in _EQUITY_CLASSES:
        return _equity_overlaps(start)
    raise ValueError(f"no trading calendar for asset class {asset_class!r}")


def trades_at(asset_class: str, moment: datetime) -> bool:
    """Whether ``asset_class`` is in session at the instant ``moment`` (the close is excluded).

    Raises:
        ValueError: For an asset class the calendar does not know.
    """
    at = as_utc(moment)
    if asset_class == "crypto":
        return True
    if asset_class == "fx":
        return _fx_open(at)
    if asset_class in _EQUITY_CLASSES:
        local = at.astimezone(NEW_YORK)
        return local.weekday() < 5 and _EQUITY_OPEN <= local.time() < _EQUITY_CLOSE
    raise ValueError(f"no trading calendar for asset class {asset_class!r}")


def trades_in_window(asset_class: str, window: Window) -> bool:
    """Whether ``asset_class`` trades at some point in ``window`` (a call on it means something)."""
    return expected_hourly_bars(asset_class, window) > 0


def minutes_per_trading_day(asset_class: str) -> int:
    """Minutes of one trading day: 390 for the NY equity session, 1,440 for FX and crypto."""
    return 390 if asset_class in _EQUITY_CLASSES else 24 * 60


def trading_days_per_year(asset_class: str) -> int:
    """Trading days in a year: 252 for equities, 260 weekdays for FX, 365 for crypto."""
    if asset_class in _EQUITY_CLASSES:
        return 252
    return 260 if asset_class == "fx" else 365


def minute_volatility(asset_class: str, annual_vol: float) -> float:
    """The standard deviation of a 1-minute log return: σ_day / √(minutes per trading day).

    σ_day is ``annual_vol`` / √(trading days per year).
    """
    daily = annual_vol / math.sqrt(trading_days_per_year(asset_class))
    return daily / math.sqrt(minutes_per_trading_day(asset_class))


def expected_hourly_bars(asset_class: str, window: Window) -> int:
    """How many hourly bars a complete price feed has for ``asset_class`` in ``window``."""
    hours = int((window.end - window.start) / timedelta(hours=1))
    return sum(trades_in_hour(asset_class, window.start + timedelta(hours=h)) for h in range(hours))


def asset_class_of(asset_id: str) -> str:
    """The class part of an asset id (``stock:AAPL`` → ``stock``)."""
    return asset_id.split(":", 1)[0]


def _equity_overlaps(hour_start: datetime) -> bool:
    local_start = hour_start.astimezone(NEW_YORK)
    local_end = (hour_start + timedelta(hours=1)).astimezone(NEW_YORK)
    if local_start.weekday() >= 5:
        return False
    day = local_start.date()
    session_open = datetime.combine(day, _EQUITY_OPEN, NEW_YORK)
    session_close = datetime.combine(day, _EQUITY_CLOSE, NEW_YORK)
    return local_start < session_close and local_end > session_open


def _fx_open(moment: datetime) -> bool:
    local = moment.astimezone(NEW_YORK)
    weekday, clock = local.weekday(), local.time()
    if weekday == 5:  # Saturday
        return False
    if weekday == 4:  # Friday closes at the roll
        return clock < _FX_ROLL
    if weekday == 6:  # Sunday opens at the roll
        return clock >= _FX_ROLL
    return True
