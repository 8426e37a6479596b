"""The site's tables: which columns each one sorts by and exports, with units.

One definition per table serves the page (sortable headings), the CSV export
and the REST API's ``sort`` parameter, so all three agree. Column names are the
API's field names; CSV headers add the unit (``return_pct (%)``: percent there,
where the API and the pages' data carry a fraction).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tickerpulse.explore.csv_export import CsvColumn, percent
from tickerpulse.explore.sorting import Column, TableSpec
from tickerpulse.web.records import AssetWindowRow


def _get(name: str) -> Any:
    return lambda row: getattr(row, name)


def _asset(name: str) -> Any:
    """A field of a watchlist row's asset."""
    return lambda row: getattr(row.asset, name)


TRENDING = TableSpec(
    "trending",
    (
        Column("rank", "Rank", _get("rank")),
        Column("symbol", "Asset", _get("symbol"), numeric=False),
        Column("asset_class", "Class", _get("asset_class"), numeric=False),
        Column("mentions", "Mentions", _get("mentions")),
        Column("sentiment_mean", "Sentiment", _get("sentiment_mean")),
        Column("bull_share", "Bullish", _get("bull_share")),
        Column("bear_share", "Bearish", _get("bear_share")),
        Column("return_pct", "Return", _get("return_pct")),
        Column("rank_change", "Rank change", _get("rank_change")),
    ),
)
PREDICTIONS = TableSpec(
    "predictions",
    (
        Column("symbol", "Asset", _get("symbol"), numeric=False),
        Column("asset_class", "Class", _get("asset_class"), numeric=False),
        Column("prob_up", "P(up)", lambda r: r.prob_up if r.market_open else None),
        Column("conviction", "Conviction", lambda r: r.conviction if r.market_open else None),
    ),
)
NEWS_GROUPS = TableSpec(
    "news_groups",
    (
        Column("group", "Group", _get("group"), numeric=False),
        Column("articles", "Articles", _get("articles")),
        Column("sentiment_mean", "Tone", _get("sentiment_mean")),
    ),
)
NEWS_COVERAGE = TableSpec(
    "news_coverage",
    (
        Column("symbol", "Asset", _get("symbol"), numeric=False),
        Column("articles", "Articles", _get("articles")),
        Column("outlets", "Outlets", _get("outlets")),
        Column("tone", "Tone", _get("tone")),
        Column("tone_spread", "Outlet agreement", _get("tone_spread")),
    ),
)
WATCHLIST = TableSpec(
    "watchlist",
    (
        Column("symbol", "Asset", _asset("symbol"), numeric=False),
        Column("asset_class", "Class", _asset("asset_class"), numeric=False),
        Column("mentions", "Mentions", _asset("mentions")),
        Column("sentiment_mean", "Sentiment", _asset("sentiment_mean")),
        Column("return_pct", "Return", _asset("return_pct")),
    ),
)

SENTIMENT = "(-1 bearish to +1 bullish)"
TRENDING_CSV = (
    CsvColumn("rank", _get("rank")),
    CsvColumn("asset_id", _get("asset_id")),
    CsvColumn("symbol", _get("symbol")),
    CsvColumn("name", _get("name")),
    CsvColumn("asset_class", _get("asset_class")),
    CsvColumn("mentions (count)", _get("mentions")),
    CsvColumn("previous_rank", _get("previous_rank")),
    CsvColumn("previous_mentions (count)", _get("previous_mentions")),
    CsvColumn(f"sentiment_mean {SENTIMENT}", _get("sentiment_mean")),
    CsvColumn("bull_share (%)", lambda r: percent(r.bull_share)),
    CsvColumn("bear_share (%)", lambda r: percent(r.bear_share)),
    CsvColumn("close (quote currency)", _get("close")),
    CsvColumn("return_pct (%)", lambda r: percent(r.return_pct)),
)
PREDICTIONS_CSV = (
    CsvColumn("asset_id", _get("asset_id")),
    CsvColumn("symbol", _get("symbol")),
    CsvColumn("name", _get("name")),
    CsvColumn("asset_class", _get("asset_class")),
    CsvColumn("prob_up (%)", lambda r: percent(r.prob_up) if r.market_open else None),
    CsvColumn("market_open", _get("market_open")),
)
NEWS_GROUPS_CSV = (
    CsvColumn("group", _get("group")),
    CsvColumn("articles (count)", _get("articles")),
    CsvColumn(f"tone {SENTIMENT}", _get("sentiment_mean")),
)
NEWS_COVERAGE_CSV = (
    CsvColumn("asset_id", _get("asset_id")),
    CsvColumn("symbol", _get("symbol")),
    CsvColumn("name", _get("name")),
    CsvColumn("articles (count)", _get("articles")),
    CsvColumn("outlets (count)", _get("outlets")),
    CsvColumn(f"tone {SENTIMENT}", _get("tone")),
    CsvColumn("tone_spread (standard deviation of outlet tone)", _get("tone_spread")),
)
WATCHLIST_CSV = (
    CsvColumn("asset_id", _asset("asset_id")),
    CsvColumn("symbol", _asset("symbol")),
    CsvColumn("name", _asset("name")),
    CsvColumn("asset_class", _asset("asset_class")),
    CsvColumn("window_start (UTC)", _asset("latest_window")),
    CsvColumn("mentions (count)", _asset("mentions")),
    CsvColumn(f"sentiment_mean {SENTIMENT}", _asset("sentiment_mean")),
    CsvColumn("close (quote currency)", _asset("close")),
    CsvColumn("return_pct (%)", lambda r: percent(r.asset.return_pct)),
)


def windows_csv(unit: str) -> tuple[CsvColumn, ...]:
    """An asset's windows (its page's chart data), prices in ``unit``."""
    return (
        CsvColumn("window_start (UTC)", _get("window_start")),
        CsvColumn(f"open ({unit})", _get("open")),
        CsvColumn(f"high ({unit})", _get("high")),
        CsvColumn(f"low ({unit})", _get("low")),
        CsvColumn(f"close ({unit})", _get("close")),
        CsvColumn("return_pct (%)", lambda r: percent(r.return_pct)),
        CsvColumn(f"social_sentiment {SENTIMENT}", _get("social_sentiment")),
        CsvColumn("social_mentions (count)", _get("social_mentions")),
        CsvColumn(f"news_sentiment {SENTIMENT}", _get("news_sentiment")),
        CsvColumn("news_mentions (count)", _get("news_mentions")),
        CsvColumn("sentiment_model", _get("sentiment_model")),
    )


@dataclass(frozen=True)
class CompareRow:
    """One asset's window on the compare chart: its price rebased to 100 and its tone."""

    symbol: str
    window_start: datetime
    close: float | None
    rebased: float | None
    social_sentiment: float | None
    social_mentions: int


def compare_rows(series: Sequence[tuple[str, Sequence[AssetWindowRow]]]) -> list[CompareRow]:
    """The compare chart's data, asset by asset, prices rebased to 100 at the first close."""
    out: list[CompareRow] = []
    for symbol, rows in series:
        base = next((r.close for r in rows if r.close), None)
        out += [
            CompareRow(symbol, r.window_start, r.close,
                       None if r.close is None or not base else r.close / base * 100,
                       r.social_sentiment, r.social_mentions)
            for r in rows
        ]  # fmt: skip
    return out


COMPARE_CSV = (
    CsvColumn("symbol", _get("symbol")),
    CsvColumn("window_start (UTC)", _get("window_start")),
    CsvColumn("close (quote currency)", _get("close")),
    CsvColumn("price_rebased (first close = 100)", _get("rebased")),
    CsvColumn(f"social_sentiment {SENTIMENT}", _get("social_sentiment")),
    CsvColumn("social_mentions (count)", _get("social_mentions")),
)


@dataclass(frozen=True)
class RangeSummary:
    """One asset over the range shown: its return and its attention, the tables beside the chart."""

    windows: int
    first_close: float | None
    last_close: float | None
    mentions: int
    social_sentiment: float | None

    @property
    def return_pct(self) -> float | None:
        """Change from the first to the last close of the range, a fraction."""
        if not self.first_close or self.last_close is None:
            return None
        return self.last_close / self.first_close - 1


def range_summary(rows: Sequence[AssetWindowRow]) -> RangeSummary:
    """Totals of windows over a range: first and last close, mentions, weighted social tone."""
    closes = [r.close for r in rows if r.close is not None]
    weights = [
        (r.social_sentiment, r.social_mentions) for r in rows if r.social_sentiment is not None
    ]
    total = sum(n for _, n in weights)
    return RangeSummary(
        windows=len(rows), first_close=closes[0] if closes else None,
        last_close=closes[-1] if closes else None,
        mentions=sum(r.social_mentions + r.news_mentions for r in rows),
        social_sentiment=sum(s * n for s, n in weights) / total if total else None,
    )  # fmt: skip
