"""Chart builders: pure functions from mart rows to inline SVG or Plotly figure dicts.

A figure is a plain dict serialised to JSON and drawn in the browser by the
local Plotly.js, so building one costs microseconds instead of the cost of
Plotly's Python object tree; nothing here touches the database or the network.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from tickerpulse.domain import as_utc
from tickerpulse.web.records import AssetWindowRow, NewsGroupRow

BULL, BEAR, INK, GRID = "#0a7d38", "#b42318", "#1d2939", "#e4e7ec"
PAGE_STYLE: dict[str, Any] = {
    "font": {"color": INK, "family": "system-ui, sans-serif"},
    "paper_bgcolor": "#ffffff",
    "plot_bgcolor": "#ffffff",
}
"""Layout keys every figure shares, so the charts look like the site around them."""
SOCIAL, NEWS = "#1570ef", "#c4320a"
DAY_MS = 86_400_000


def sparkline_svg(values: Sequence[float], *, width: int = 120, height: int = 28) -> str:
    """A small inline SVG polyline of ``values``, green when the last is not below the first.

    Args:
        values: The series, oldest first (e.g. window closes).
        width: The SVG width in pixels.
        height: The SVG height in pixels; the line keeps 2 px clear at top and bottom.

    Returns:
        The ``<svg>`` markup (numbers only, safe to embed), or "" for fewer than 2 values.
    """
    if len(values) < 2:
        return ""
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    step = width / (len(values) - 1)
    points = " ".join(
        f"{i * step:.1f},{height - 2 - (v - low) / span * (height - 4):.1f}"
        for i, v in enumerate(values)
    )
    colour = BULL if values[-1] >= values[0] else BEAR
    change = values[-1] / values[0] - 1 if values[0] else 0.0
    return (
        f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}"'
        f' role="img" aria-label="Price {change * 100:+.1f}% over the last {len(values)} windows">'
        f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{points}"/></svg>'
    )


def price_unit(asset_class: str, symbol: str) -> str:
    """The currency prices are quoted in: the quote currency of an FX pair, else USD.

    Args:
        asset_class: The asset's class.
        symbol: The asset's symbol (``EURUSD`` for FX pairs).

    Returns:
        A three-letter currency code.
    """
    return symbol[3:6] if asset_class == "fx" and len(symbol) == 6 else "USD"


def price_format(closes: Sequence[float | None]) -> str:
    """The d3 format that shows a price in full with its asset's precision.

    Plotly abbreviates large numbers in hovers (``57.6936k``); prices read as on
    the pages instead: two decimals from 10 up, four below (FX, small coins).

    Args:
        closes: The prices shown (None ignored).

    Returns:
        A d3 number format such as ``,.2f``.
    """
    known = [abs(c) for c in closes if c is not None]
    typical = sorted(known)[len(known) // 2] if known else 10.0
    return ",.2f" if typical >= 10 else ",.4f"


def asset_figure(
    symbol: str, rows: Sequence[AssetWindowRow], *, unit: str, daily: bool = False
) -> dict[str, Any]:
    """Price candles above 6-hour sentiment and mention volume, sharing one UTC time axis.

    Args:
        symbol: The asset's symbol, for titles.
        rows: The asset's windows, oldest first.
        unit: The price currency, for the price axis title.
        daily: Rows are whole UTC days rather than 6-hour windows (the Free view).

    Returns:
        A Plotly figure ``{"data": [...], "layout": {...}}`` of plain JSON types.
    """
    period, per = ("day", "day") if daily else ("6-hour window", "6 h")
    x = [_x(r.window_start) for r in rows]
    priced = [r for r in rows if r.close is not None]
    candles = {
        "type": "candlestick",
        "name": "Price",
        "x": [_x(r.window_start) for r in priced],
        "open": [r.open for r in priced],
        "high": [r.high for r in priced],
        "low": [r.low for r in priced],
        "close": [r.close for r in priced],
        "xaxis": "x",
        "yaxis": "y",
        "increasing": {"line": {"color": BULL}},
        "decreasing": {"line": {"color": BEAR}},
    }
    traces = [
        candles,
        _bars("Social", "sentiment", x, [r.social_sentiment for r in rows], "y2", SOCIAL),
        _bars("News", "sentiment", x, [r.news_sentiment for r in rows], "y2", NEWS),
        _bars("Social", "mentions", x, [r.social_mentions for r in rows], "y3", SOCIAL),
        _bars("News", "mentions", x, [r.news_mentions for r in rows], "y3", NEWS),
    ]
    axis = {"gridcolor": GRID, "zerolinecolor": "#98a2b3"}
    layout = {
        "title": {"text": f"{symbol} per {period} (UTC)", "x": 0, "xanchor": "left"},
        "height": 680,
        "margin": {"l": 64, "r": 12, "t": 72, "b": 56},
        "barmode": "group",
        "hovermode": "x unified",
        "legend": {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
        **PAGE_STYLE,
        "xaxis": {
            **axis,
            "type": "date",
            "anchor": "y3",
            "title": {"text": "Window start (UTC)"},
            "rangeslider": {"visible": False},
            "hoverformat": "%Y-%m-%d %H:%M UTC",
        },
        "yaxis": {
            **axis,
            "domain": [0.5, 1.0],
            "title": {"text": f"Price ({unit})"},
            "hoverformat": price_format([r.close for r in priced]),
            "tickformat": ",",
        },
        "yaxis2": {
            **axis,
            "domain": [0.26, 0.46],
            "range": [-1, 1],
            "title": {"text": "Sentiment<br>(−1 to +1)"},
        },
        "yaxis3": {
            **axis,
            "domain": [0.0, 0.22],
            "rangemode": "tozero",
            "title": {"text": f"Mentions<br>per {per}"},
        },
    }
    return {"data": traces, "layout": layout}


def news_groups_figure(
    groups: Sequence[NewsGroupRow], *, by_label: str, period_label: str
) -> dict[str, Any]:
    """Articles per group as horizontal bars coloured by mean tone (red −1 … green +1).

    Args:
        groups: The groups, most articles first.
        by_label: What a group is ("outlet", "region", "asset class"), for titles.
        period_label: The period shown ("last 24 h"), for the title.

    Returns:
        A Plotly figure of plain JSON types; the largest group is drawn at the top.
    """
    shown = list(groups)[:20][::-1]
    tones = [g.sentiment_mean for g in shown]
    bars = {
        "type": "bar",
        "orientation": "h",
        "name": "Articles",
        "x": [g.articles for g in shown],
        "y": [g.group for g in shown],
        "customdata": [[t if t is not None else "n/a"] for t in tones],
        "marker": {
            "color": [t if t is not None else 0 for t in tones],
            "colorscale": [[0, BEAR], [0.5, "#d0d5dd"], [1, BULL]],
            "cmin": -1,
            "cmax": 1,
            "colorbar": {"title": {"text": "Tone"}, "thickness": 12},
        },
        "hovertemplate": "%{y}: %{x:,} articles, tone %{customdata[0]:+.2f}<extra></extra>",
    }
    layout = {
        "title": {"text": f"News articles by {by_label}, {period_label} (UTC)", "x": 0},
        "height": 120 + 26 * max(len(shown), 1),
        "margin": {"l": 160, "r": 12, "t": 56, "b": 48},
        **PAGE_STYLE,
        "xaxis": {"title": {"text": "Articles"}, "gridcolor": GRID, "rangemode": "tozero"},
        "yaxis": {"automargin": True},
    }
    return {"data": [bars], "layout": layout}


COMPARE_COLOURS = ("#1570ef", "#c4320a", "#0a7d38", "#6941c6", "#b54708")
SMOOTH_WINDOWS = 4
"""The compare page's sentiment is a trailing mean over this many 6-hour windows (24 h)."""


def trailing_mean(values: Sequence[float | None], size: int) -> list[float | None]:
    """The mean of each value and the ``size - 1`` before it, skipping gaps.

    Args:
        values: The series, oldest first (None where a window had no mentions).
        size: How many values each mean covers.

    Returns:
        One mean per value, rounded to 3 decimals; None where the span holds no value.
    """
    out: list[float | None] = []
    for i in range(len(values)):
        known = [v for v in values[max(0, i - size + 1) : i + 1] if v is not None]
        out.append(round(sum(known) / len(known), 3) if known else None)
    return out


def compare_figure(series: Sequence[tuple[str, Sequence[AssetWindowRow]]]) -> dict[str, Any]:
    """Prices rebased to 100 above 6-hour social sentiment, one colour per asset, one UTC axis.

    Rebasing puts assets of any price level on one scale: 110 means +10 % since the
    first window shown.

    Args:
        series: (symbol, windows oldest first) per asset, at most five.

    Returns:
        A Plotly figure of plain JSON types.
    """
    traces: list[dict[str, Any]] = []
    for (symbol, rows), colour in zip(series, COMPARE_COLOURS, strict=False):
        priced = [r for r in rows if r.close is not None]
        base = priced[0].close if priced else None
        if base:
            traces.append(
                {
                    "type": "scatter", "mode": "lines", "name": symbol, "legendgroup": symbol,
                    "x": [_x(r.window_start) for r in priced],
                    "y": [round((r.close or 0) / base * 100, 3) for r in priced],
                    "line": {"color": colour}, "yaxis": "y",
                    "hovertemplate": f"{symbol} %{{y:.1f}}<extra>price, start = 100</extra>",
                }
            )  # fmt: skip
        traces.append(
            {
                "type": "scatter", "mode": "lines", "name": symbol, "legendgroup": symbol,
                "showlegend": not base, "x": [_x(r.window_start) for r in rows],
                "y": trailing_mean([r.social_sentiment for r in rows], SMOOTH_WINDOWS),
                "line": {"color": colour, "width": 2, "shape": "spline", "smoothing": 0.6},
                "yaxis": "y2", "connectgaps": True,
                "hovertemplate": f"{symbol} %{{y:+.2f}}<extra>social sentiment, 24 h mean</extra>",
            }
        )  # fmt: skip
    axis = {"gridcolor": GRID, "zerolinecolor": "#98a2b3"}
    names = ", ".join(symbol for symbol, _ in series)
    layout = {
        "title": {
            "text": f"{names}: price per 6-hour window and social sentiment, 24 h mean (UTC)",
            "x": 0,
        },
        "height": 560,
        "margin": {"l": 64, "r": 12, "t": 72, "b": 56},
        "hovermode": "x unified",
        "legend": {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
        **PAGE_STYLE,
        "xaxis": {
            **axis,
            "type": "date",
            "anchor": "y2",
            "title": {"text": "Window start (UTC)"},
            "hoverformat": "%Y-%m-%d %H:%M UTC",
        },
        "yaxis": {**axis, "domain": [0.42, 1.0], "title": {"text": "Price (first window = 100)"}},
        "yaxis2": {
            **axis,
            "domain": [0.0, 0.36],
            "range": [-1, 1],
            "title": {"text": "Social sentiment,<br>24 h mean (−1 to +1)"},
        },
    }
    return {"data": traces, "layout": layout}


def figure_json(figure: dict[str, Any]) -> str:
    """Serialise a figure for an inline ``<script>``: JSON with ``<``, ``>``, ``&`` escaped.

    Args:
        figure: A figure of plain JSON types.

    Returns:
        JSON text that cannot close the surrounding script element.
    """
    text = json.dumps(figure, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _x(start: datetime) -> str:
    # Plotly.js ignores UTC offsets in date strings, so hand it the UTC wall time.
    return f"{as_utc(start):%Y-%m-%d %H:%M}"


def _bars(
    source: str, measure: str, x: list[str], y: list[Any], axis: str, colour: str
) -> dict[str, Any]:
    # One legend entry per source toggles its sentiment and its mention bars together.
    value = "%{y:+.2f}" if measure == "sentiment" else "%{y:,}"
    return {
        "type": "bar",
        "name": source,
        "legendgroup": source,
        "showlegend": measure == "sentiment",
        "x": x,
        "y": y,
        "xaxis": "x",
        "yaxis": axis,
        "marker": {"color": colour},
        "hovertemplate": f"{value}<extra>{source} {measure}</extra>",
    }


def daily_figure(
    title: str, series: Mapping[str, Sequence[tuple[datetime, float]]], *, y_title: str
) -> dict[str, Any]:
    """Bars per UTC day, one trace per named series (the admin console's charts).

    Args:
        title: The chart title (units and "UTC" included by the caller).
        series: Name → (day, value) pairs, oldest first.
        y_title: The value axis title with its unit.

    Returns:
        A Plotly figure of plain JSON types.
    """
    data = [
        {
            "type": "bar",
            "name": name,
            "x": [_x(day) for day, _ in points],
            "y": [value for _, value in points],
            "hovertemplate": f"%{{x|%Y-%m-%d}}: %{{y}} {y_title}<extra>{name}</extra>",
        }
        for name, points in series.items()
    ]
    layout = {
        **PAGE_STYLE,
        "title": {"text": title, "x": 0, "xanchor": "left"},
        "barmode": "stack",
        "height": 300,
        "margin": {"l": 60, "r": 20, "t": 50, "b": 40},
        # Ticks on whole days, even for one day of data (never "23:59:59.9996").
        "xaxis": {
            "type": "date",
            "gridcolor": GRID,
            "title": {"text": "Day (UTC)"},
            "tickformat": "%b %d",
            "dtick": DAY_MS,
        },
        "yaxis": {"gridcolor": GRID, "title": {"text": y_title}, "rangemode": "tozero"},
        "legend": {"orientation": "h"},
    }
    return {"data": data, "layout": layout}


def live_figure(symbol: str, bars: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One symbol's 1-minute candles (the live page; its script updates them in place).

    Args:
        symbol: The feed's symbol, for the title.
        bars: Snapshot bars (``bar_start`` ISO text, ``open`` … ``close``), oldest first.

    Returns:
        A Plotly figure of plain JSON types.
    """
    candles = {
        "type": "candlestick",
        "name": symbol,
        "x": [str(b["bar_start"])[:16].replace("T", " ") for b in bars],
        "open": [b["open"] for b in bars],
        "high": [b["high"] for b in bars],
        "low": [b["low"] for b in bars],
        "close": [b["close"] for b in bars],
        "increasing": {"line": {"color": BULL}},
        "decreasing": {"line": {"color": BEAR}},
    }
    layout = {
        **PAGE_STYLE,
        "title": {"text": f"{symbol}, 1-minute bars (UTC)", "x": 0, "xanchor": "left"},
        "height": 300,
        "margin": {"l": 60, "r": 12, "t": 44, "b": 36},
        "showlegend": False,
        "xaxis": {
            "type": "date", "gridcolor": GRID, "rangeslider": {"visible": False},
            "hoverformat": "%H:%M UTC",
        },
        "yaxis": {
            "gridcolor": GRID, "title": {"text": "Price"}, "tickformat": ",",
            "hoverformat": price_format([b["close"] for b in bars]),
        },
    }  # fmt: skip
    return {"data": [candles], "layout": layout}
