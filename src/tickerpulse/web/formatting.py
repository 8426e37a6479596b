"""Jinja2 filters: how numbers, times and sentiment read on the pages.

Every timestamp is shown in UTC whatever the database session's time zone;
an unknown value reads as an en dash rather than a misleading zero.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from markupsafe import Markup

from tickerpulse.domain import WINDOW, Window, as_utc
from tickerpulse.enrich.sentiment import LabelBands
from tickerpulse.platform.posts import plain_text
from tickerpulse.web.charts import sparkline_svg

_BANDS = LabelBands()
DASH = "–"


def pct(value: float | None, digits: int = 2) -> str:
    """A return as a signed percentage, e.g. ``+2.00 %``."""
    return DASH if value is None else f"{value * 100:+.{digits}f} %"


def share(value: float | None) -> str:
    """A share in [0, 1] as an unsigned percentage, e.g. ``52 %``."""
    return DASH if value is None else f"{value * 100:.0f} %"


def score(value: float | None) -> str:
    """A sentiment score with its sign, e.g. ``+0.62``."""
    return DASH if value is None else f"{value:+.2f}"


def sentiment_label(value: float | None) -> str:
    """The label band of a score (``somewhat-bullish``…), or ``no data``."""
    return "no data" if value is None else _BANDS.label(value)


def sentiment_class(value: float | None) -> str:
    """The CSS class that colours a score by its band, e.g. ``s-somewhat-bearish``."""
    return "s-none" if value is None else f"s-{_BANDS.label(value)}"


def direction_class(value: float | None) -> str:
    """``bull`` for a rise, ``bear`` for a fall, ``flat`` otherwise."""
    if value is None or value == 0:
        return "flat"
    return "bull" if value > 0 else "bear"


def utc(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A timestamp in UTC, labelled, e.g. ``2026-10-30 12:05 UTC``."""
    return DASH if value is None else f"{as_utc(value):{fmt}} UTC"


def iso(value: datetime) -> str:
    """An ISO 8601 UTC timestamp for ``<time datetime>`` and scripts."""
    return as_utc(value).isoformat().replace("+00:00", "Z")


def window_span(start: datetime) -> str:
    """The window starting at ``start``, e.g. ``2026-10-30 12:00–18:00 UTC``."""
    return str(Window(start))


def window_end(start: datetime) -> datetime:
    """The first instant after the window starting at ``start``."""
    return start + WINDOW


def number(value: float | None) -> str:
    """A count with thousands separators."""
    return DASH if value is None else f"{value:,}"


def price(value: float | None) -> str:
    """A price with the precision its size needs."""
    if value is None:
        return DASH
    return f"{value:,.2f}" if value >= 10 else f"{value:.4f}"


def q_value(value: float | None) -> str:
    """A p- or q-value as the verdicts write it: three decimals, ``<0.001`` below that."""
    if value is None:
        return DASH
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def sentence(text: str) -> str:
    """``text`` with its first letter in capitals and the rest untouched (AUC stays AUC)."""
    return text[:1].upper() + text[1:]


def day(value: datetime | None) -> str:
    """A date in UTC for readers, e.g. ``2026-10-30 12:05 UTC`` (no seconds or microseconds)."""
    return utc(value)


def figure_height(figure_json: str) -> int:
    """The pixel height a figure draws at, so its box is reserved at exactly that size."""
    height = json.loads(figure_json).get("layout", {}).get("height", 450)
    return int(height)


def safe_url(value: str | None) -> str | None:
    """The URL if it is http(s), else None, so a stored link can never run script."""
    if value and value.lower().startswith(("https://", "http://")):
        return value
    return None


def sparkline(values: tuple[float, ...] | list[float]) -> Markup:
    """An inline SVG sparkline of a price series (markup built from numbers only)."""
    return Markup(sparkline_svg(values))


FILTERS: dict[str, Callable[..., Any]] = {
    "pct": pct,
    "share": share,
    "score": score,
    "sentiment_label": sentiment_label,
    "sentiment_class": sentiment_class,
    "direction_class": direction_class,
    "utc": utc,
    "iso": iso,
    "window_span": window_span,
    "window_end": window_end,
    "number": number,
    "price": price,
    "safe_url": safe_url,
    "sparkline": sparkline,
    "q_value": q_value,
    "sentence": sentence,
    "day": day,
    "plain_text": plain_text,
    "figure_height": figure_height,
}
