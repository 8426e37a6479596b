"""Jinja2 filters: how numbers, times and sentiment read on the pages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from tickerpulse.enrich.sentiment import LabelBands

_BANDS = LabelBands()


def pct(value: float | None, digits: int = 2) -> str:
    """A return as a signed percentage; an en dash when unknown."""
    return "–" if value is None else f"{value * 100:+.{digits}f} %"


def score(value: float | None) -> str:
    """A sentiment score with its sign."""
    return "–" if value is None else f"{value:+.2f}"


def sentiment_label(value: float | None) -> str:
    """The label band of a score ("no data" when unknown)."""
    return "no data" if value is None else _BANDS.label(value)


def sentiment_class(value: float | None) -> str:
    """A CSS class for colouring a score."""
    if value is None:
        return "neutral"
    label = _BANDS.label(value)
    return "bull" if "bullish" in label else "bear" if "bearish" in label else "neutral"


def utc(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A timestamp in UTC, labelled."""
    return "–" if value is None else f"{value:{fmt}} UTC"


def window_span(start: datetime) -> str:
    """'2026-10-30 12:00–18:00 UTC'."""
    end_hour = (start.hour + 6) % 24
    return f"{start:%Y-%m-%d %H:%M}–{end_hour:02d}:00 UTC"


def number(value: float | int | None) -> str:
    """Thousands separators."""
    return "–" if value is None else f"{value:,}"


def price(value: float | None) -> str:
    """A price with precision that suits its size."""
    if value is None:
        return "–"
    return f"{value:,.2f}" if value >= 10 else f"{value:.4f}"


FILTERS: dict[str, Callable[..., Any]] = {
    "pct": pct,
    "score": score,
    "sentiment_label": sentiment_label,
    "sentiment_class": sentiment_class,
    "utc": utc,
    "window_span": window_span,
    "number": number,
    "price": price,
}
