"""Chart builders: pure functions from mart rows to SVG or Plotly figure dicts.

Figures are plain dicts serialised to JSON and drawn by the local Plotly.js,
so building one costs microseconds rather than Plotly's Python object tree.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tickerpulse.web.queries import AssetWindowRow

BULL, BEAR, NEUTRAL, INK = "#0a7d38", "#b42318", "#667085", "#1d2939"


def sparkline_svg(values: Sequence[float], *, width: int = 120, height: int = 28) -> str:
    """A small inline SVG line of ``values``; an empty string when there are fewer than 2."""
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
        f' role="img" aria-label="price {change * 100:+.1f}% over {len(values)} windows">'
        f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{points}"/></svg>'
    )


def asset_figure(symbol: str, rows: Sequence[AssetWindowRow]) -> dict[str, Any]:
    """Price candles with 6-hour sentiment and mention volume beneath, on one time axis."""
    x = [r.window_start.isoformat() for r in rows]
    priced = [r for r in rows if r.close is not None]
    traces: list[dict[str, Any]] = [
        {
            "type": "candlestick",
            "name": f"{symbol} price",
            "x": [r.window_start.isoformat() for r in priced],
            "open": [r.open for r in priced],
            "high": [r.high for r in priced],
            "low": [r.low for r in priced],
            "close": [r.close for r in priced],
            "yaxis": "y",
            "increasing": {"line": {"color": BULL}},
            "decreasing": {"line": {"color": BEAR}},
        },
        _bars("Social sentiment", x, [r.social_sentiment for r in rows], "y2", "#2e90fa"),
        _bars("News sentiment", x, [r.news_sentiment for r in rows], "y2", "#f79009"),
        _bars("Social mentions", x, [r.social_mentions for r in rows], "y3", "#2e90fa"),
        _bars("News mentions", x, [r.news_mentions for r in rows], "y3", "#f79009"),
    ]
    layout = {
        "height": 640,
        "margin": {"l": 64, "r": 16, "t": 40, "b": 48},
        "barmode": "group",
        "hovermode": "x unified",
        "legend": {"orientation": "h", "y": 1.06},
        "xaxis": {"title": {"text": "Window start (UTC)"}, "rangeslider": {"visible": False},
                  "type": "date", "anchor": "y3"},
        "yaxis": {"domain": [0.46, 1.0], "title": {"text": "Price (quote currency)"}},
        "yaxis2": {"domain": [0.24, 0.42], "range": [-1, 1],
                   "title": {"text": "Sentiment (−1…+1)"}, "zeroline": True},
        "yaxis3": {"domain": [0.0, 0.2], "title": {"text": "Mentions / 6 h"},
                   "rangemode": "tozero"},
        "font": {"color": INK},
    }  # fmt: skip
    return {"data": traces, "layout": layout}


def _bars(name: str, x: list[str], y: list[Any], axis: str, colour: str) -> dict[str, Any]:
    return {"type": "bar", "name": name, "x": x, "y": y, "yaxis": axis, "marker": {"color": colour}}
