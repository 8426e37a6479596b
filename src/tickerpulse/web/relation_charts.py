"""Lead-lag and event-study charts of the asset page: pure functions from mart rows.

Each chart comes with a caption in plain words that never claims more than the
intervals allow — "no lag is significant" when none is — and, when there is
nothing to draw, with a sentence saying why instead of a figure. The figures
are plain Plotly dicts (see :mod:`tickerpulse.web.charts`), hover text built
here so a reader sees the interval and the sample size of every point.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tickerpulse.web.charts import GRID, NEWS, PAGE_STYLE, SOCIAL, figure_json
from tickerpulse.web.formatting import q_value
from tickerpulse.web.records import EventRow, LagRow

ALPHA = 0.05
WINDOW_HOURS = 6
CLASS_LABELS = {"social": "Social", "news": "News"}
CLASS_COLOURS = {"social": SOCIAL, "news": NEWS}
EVENT_LABELS = {"mention_spike": "mention spikes", "sentiment_spike": "sentiment spikes"}
EVENT_DASH = {"mention_spike": "solid", "sentiment_spike": "dash"}
_AXIS: dict[str, Any] = {"gridcolor": GRID, "zerolinecolor": "#98a2b3"}
_Interval = tuple[float | None, float | None, float | None]
"""(value, CI low, CI high) of one point."""


@dataclass(frozen=True)
class RelationCharts:
    """The two charts of the relation panel: figure JSON (None: nothing to draw) and captions."""

    lead_lag_json: str | None
    lead_lag_caption: str
    events_json: str | None
    events_caption: str


def relation_charts(
    symbol: str, lags: Sequence[LagRow], events: Sequence[EventRow]
) -> RelationCharts:
    """Both charts and their captions (or the reasons there is nothing to show)."""
    lag_figure = lead_lag_figure(symbol, lags)
    event_figure = event_study_figure(symbol, events)
    return RelationCharts(
        lead_lag_json=None if lag_figure is None else figure_json(lag_figure),
        lead_lag_caption=lead_lag_caption(symbol, lags),
        events_json=None if event_figure is None else figure_json(event_figure),
        events_caption=event_study_caption(symbol, events, published=bool(lags)),
    )


def significant_lags(rows: Sequence[LagRow], alpha: float = ALPHA) -> list[LagRow]:
    """Lags whose q-value (corrected across assets) is below ``alpha`` and whose CI excludes 0."""
    return [
        row
        for row in rows
        if row.q_value is not None
        and row.q_value < alpha
        and row.ci_low is not None
        and row.ci_high is not None
        and not row.ci_low <= 0.0 <= row.ci_high
    ]


def lag_words(lag: int) -> str:
    """What a lag means in time: who moved first and how many hours later the other followed."""
    hours = abs(lag) * WINDOW_HOURS
    if lag > 0:
        return f"sentiment came first, the price moved {hours} h later"
    if lag < 0:
        return f"the price moved first, the talk followed {hours} h later"
    return "in the same 6-hour window"


def lead_lag_caption(symbol: str, rows: Sequence[LagRow]) -> str:
    """One or two sentences on the lead-lag chart."""
    drawn = [row for row in rows if row.r is not None]
    if not rows:
        return (
            f"No lead-lag statistics have been published for {symbol} yet: they need about a "
            "month of 6-hour windows."
        )
    if not drawn:
        return (
            f"Too few windows with both mentions and a price move for {symbol} to correlate "
            "(each lag needs at least 10)."
        )
    found = significant_lags(drawn)
    if not found:
        return (
            f"No lag is significant: for {symbol}, neither social nor news sentiment moved with "
            "the price before or after it beyond what chance gives (every 95 % interval "
            "includes 0, or q ≥ 0.05 after correcting for testing every asset)."
        )
    parts = [
        f"{row.source_class} sentiment at lag {_signed(row.lag)} (r = {row.r:+.2f}, q = "
        f"{q_value(row.q_value)}: {lag_words(row.lag)})"
        for row in found
        if row.r is not None and row.q_value is not None
    ]
    return (
        f"Significant for {symbol}: {'; '.join(parts)}. An association in past data, "
        "not by itself a forecast."
    )


def lead_lag_figure(symbol: str, rows: Sequence[LagRow]) -> dict[str, Any] | None:
    """Correlation with its 95 % CI per lag, social and news side by side; None if none drawn."""
    traces = []
    for source_class, offset in (("social", -0.08), ("news", 0.08)):
        points = [r for r in rows if r.source_class == source_class and r.r is not None]
        if not points:
            continue
        label = f"{CLASS_LABELS.get(source_class, source_class)} sentiment"
        traces.append(
            {
                "type": "scatter", "mode": "markers+lines", "name": label,
                "x": [p.lag + offset for p in points], "y": [p.r for p in points],
                "error_y": _error_bars([(p.r, p.ci_low, p.ci_high) for p in points]),
                "marker": {"color": CLASS_COLOURS.get(source_class), "size": 8},
                "line": {"color": CLASS_COLOURS.get(source_class), "width": 1, "dash": "dot"},
                "text": [_lag_hover(p) for p in points],
                "hovertemplate": f"%{{text}}<extra>{label}</extra>",
            }
        )  # fmt: skip
    if not traces:
        return None
    lags = sorted({r.lag for r in rows})
    layout = {
        "title": {"text": f"{symbol}: sentiment at window t vs return at t + k (6-hour windows, "
                          "UTC)", "x": 0, "xanchor": "left"},
        "height": 380, "margin": {"l": 64, "r": 12, "t": 64, "b": 64},
        "hovermode": "closest", **PAGE_STYLE,
        "legend": {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
        "xaxis": {**_AXIS, "tickvals": lags, "ticktext": [_signed(k) for k in lags],
                  "title": {"text": "Lag k in 6-hour windows (k > 0: sentiment first; "
                                    "k < 0: price first)"}},
        "yaxis": {**_AXIS, "zeroline": True, "title": {"text": "Correlation r (−1 to +1)"}},
    }  # fmt: skip
    return {"data": traces, "layout": layout}


def event_study_caption(symbol: str, rows: Sequence[EventRow], *, published: bool = True) -> str:
    """What prices did after spikes, per series with at least two events, in plain words.

    Args:
        symbol: The asset's symbol.
        rows: The asset's event-study rows.
        published: Whether the relation statistics have been published at all
            (without them, no rows means "not yet", not "no spikes").
    """
    if not rows:
        if not published:
            return f"No event study has been published for {symbol} yet."
        return (
            f"No spike in {symbol}'s mentions or sentiment (a z-score above 2 against its "
            "previous week, at least 4 windows from either end of the history): nothing to "
            "line prices up against yet."
        )
    parts, singles, any_significant = [], [], False
    span = (0, 0)
    for (source_class, event_type), points in _series(rows).items():
        last = points[-1]
        what = f"{source_class} {EVENT_LABELS.get(event_type, event_type)}"
        if last.n_events < 2 or last.mean_car is None or last.ci_low is None:
            singles.append(what)
            continue
        span = (-points[0].tau, last.tau)
        high = last.ci_high if last.ci_high is not None else last.mean_car
        significant = (
            last.p_value is not None and last.p_value < ALPHA and not last.ci_low <= 0.0 <= high
        )
        any_significant |= significant
        parts.append(
            f"{what} (n = {last.n_events}) {last.mean_car * 100:+.2f} % (95 % CI "
            f"{last.ci_low * 100:+.2f} … {high * 100:+.2f} %), "
            + ("significant" if significant else "not significant")
        )
    sentences = []
    if parts:
        sentences.append(
            f"Mean move of {symbol} in the crowd's direction from {span[0]} windows before a "
            f"spike to {span[1]} after: {'; '.join(parts)}."
        )
        sentences.append(
            "An association in past data, not by itself a forecast."
            if any_significant
            else "No kind of spike is followed by a significant move."
        )
    if singles:
        sentences.append(f"Only one event so far, too few to average: {', '.join(singles)}.")
    return " ".join(sentences)


def event_study_figure(symbol: str, rows: Sequence[EventRow]) -> dict[str, Any] | None:
    """Mean signed CAR (%) with its 95 % CI per window from the spike; None without 2+ events."""
    traces = []
    for (source_class, event_type), points in _series(rows).items():
        points = [p for p in points if p.mean_car is not None and p.n_events >= 2]
        if not points:
            continue
        label = (
            f"{CLASS_LABELS.get(source_class, source_class)} "
            f"{EVENT_LABELS.get(event_type, event_type)} (n = {points[0].n_events})"
        )
        traces.append(
            {
                "type": "scatter", "mode": "lines+markers", "name": label,
                "x": [p.tau for p in points], "y": [_pct(p.mean_car) for p in points],
                "error_y": _error_bars(
                    [(_pct(p.mean_car), _pct(p.ci_low), _pct(p.ci_high)) for p in points]
                ),
                "line": {"color": CLASS_COLOURS.get(source_class),
                         "dash": EVENT_DASH.get(event_type, "solid")},
                "text": [_event_hover(p) for p in points],
                "hovertemplate": f"%{{text}}<extra>{label}</extra>",
            }
        )  # fmt: skip
    if not traces:
        return None
    layout = {
        "title": {"text": f"{symbol}: cumulative abnormal return around spikes, in the crowd's "
                          "direction (%, 6-hour windows, UTC)", "x": 0, "xanchor": "left"},
        "height": 400, "margin": {"l": 64, "r": 12, "t": 64, "b": 64},
        "hovermode": "closest", **PAGE_STYLE,
        "legend": {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
        "shapes": [{"type": "line", "x0": 0, "x1": 0, "yref": "paper", "y0": 0, "y1": 1,
                    "line": {"color": "#98a2b3", "dash": "dot"}}],
        "xaxis": {**_AXIS, "dtick": 1,
                  "title": {"text": "Windows from the spike (6 h each; 0 = the spike window)"}},
        "yaxis": {**_AXIS, "zeroline": True,
                  "title": {"text": "Mean cumulative abnormal return (%)"}},
    }  # fmt: skip
    return {"data": traces, "layout": layout}


def _series(rows: Sequence[EventRow]) -> dict[tuple[str, str], list[EventRow]]:
    out: dict[tuple[str, str], list[EventRow]] = {}
    for row in sorted(rows, key=lambda r: r.tau):
        out.setdefault((row.source_class, row.event_type), []).append(row)
    return out


def _error_bars(points: Sequence[_Interval]) -> dict[str, Any]:
    """Asymmetric error bars from (value, low, high); a missing bound draws no bar."""
    return {
        "type": "data", "symmetric": False, "thickness": 1.2, "width": 4,
        "array": [_gap(hi, v) for v, _, hi in points],
        "arrayminus": [_gap(v, lo) for v, lo, _ in points],
    }  # fmt: skip


def _gap(upper: float | None, lower: float | None) -> float | None:
    return None if upper is None or lower is None else round(upper - lower, 6)


def _signed(k: int) -> str:
    return f"{k:+d}" if k else "0"


def _pct(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 4)


def _lag_hover(row: LagRow) -> str:
    ci = (
        "n/a"
        if row.ci_low is None or row.ci_high is None
        else f"{row.ci_low:+.3f} … {row.ci_high:+.3f}"
    )
    q = "n/a" if row.q_value is None else q_value(row.q_value)
    return (
        f"lag {row.lag:+d} ({lag_words(row.lag)})<br>r {row.r or 0.0:+.3f}, 95 % CI {ci}"
        f"<br>{row.n:,} windows, q {q}"
    )


def _event_hover(row: EventRow) -> str:
    ci = (
        "n/a"
        if row.ci_low is None or row.ci_high is None
        else f"{row.ci_low * 100:+.2f} … {row.ci_high * 100:+.2f} %"
    )
    return (
        f"{row.tau:+d} windows ({row.tau * WINDOW_HOURS:+d} h) from the spike"
        f"<br>mean CAR {(row.mean_car or 0.0) * 100:+.2f} %, 95 % CI {ci}"
        f"<br>{row.n_events:,} events"
    )
