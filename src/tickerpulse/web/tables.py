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


def _magnitude(name: str) -> Any:
    """A signed field by its size, for columns ranked "either way"."""
    return lambda row: None if getattr(row, name) is None else abs(getattr(row, name))


def _record(name: str) -> Any:
    """A field of an asset author's overall record; None without one."""
    return lambda row: None if row.record is None else getattr(row.record, name)


MOVERS = TableSpec(
    "movers",
    (
        Column("symbol", "Asset", _get("symbol"), numeric=False),
        Column("asset_class", "Class", _get("asset_class"), numeric=False),
        Column("mentions", "Mentions", _get("mentions")),
        Column("mention_z", "Mention z", _get("mention_z")),
        Column("mention_change", "Change", _get("mention_change")),
        Column("sentiment", "Sentiment", _get("sentiment")),
        Column("sentiment_change", "Sentiment change", _magnitude("sentiment_change")),
        Column("share_of_voice", "Share of voice", _get("share_of_voice")),
        Column("return_pct", "Return", _get("return_fraction")),
    ),
)
"""The movers' columns; the page's "rank by" keys (which rows make the list) are among them."""
AUTHORS = TableSpec(
    "authors",
    (
        Column("author", "Author", _get("author"), numeric=False),
        Column("source", "Source", _get("source"), numeric=False),
        Column("posts", "Posts", _get("posts")),
        Column("reach", "Reach", _get("reach")),
        Column("calls", "Judged calls", _get("calls")),
        Column("hit_rate", "Hit rate", _get("hit_rate")),
        Column("ci_low", "95 % interval", _get("ci_low")),
    ),
)
ASSET_AUTHORS = TableSpec(
    "asset_authors",
    (
        Column("author", "Author", _get("author"), numeric=False),
        Column("source", "Source", _get("source"), numeric=False),
        Column("posts", "Posts", _get("posts")),
        Column("reach", "Reach", _get("reach")),
        Column("sentiment", "Sentiment", _get("sentiment")),
        Column("calls", "Calls", lambda r: r.bullish_calls + r.bearish_calls),
        Column("hit_rate", "Record", _record("hit_rate")),
    ),
)

MOVERS_CSV = (
    CsvColumn("asset_id", _get("asset_id")),
    CsvColumn("symbol", _get("symbol")),
    CsvColumn("name", _get("name")),
    CsvColumn("asset_class", _get("asset_class")),
    CsvColumn("mentions (count)", _get("mentions")),
    CsvColumn("mention_z (standard deviations of log mentions)", _get("mention_z")),
    CsvColumn("mention_change (% against the 7-day mean)", lambda r: percent(r.mention_change)),
    CsvColumn(f"sentiment {SENTIMENT}", _get("sentiment")),
    CsvColumn("sentiment_change (against the 7-day mean, -1 to +1)", _get("sentiment_change")),
    CsvColumn("sentiment_z (standard deviations)", _get("sentiment_z")),
    CsvColumn("share_of_voice (% of its class's mentions)", lambda r: percent(r.share_of_voice)),
    CsvColumn("return_pct (%)", lambda r: percent(r.return_fraction)),
)
AUTHORS_CSV = (
    CsvColumn("author (pseudonymous id)", _get("author")),
    CsvColumn("source", _get("source")),
    CsvColumn("posts (count)", _get("posts")),
    CsvColumn("reach (likes, comments, views…)", _get("reach")),
    CsvColumn("calls (judged, count)", _get("calls")),
    CsvColumn("hits (count)", _get("hits")),
    CsvColumn("hit_rate (%)", lambda r: percent(r.hit_rate)),
    CsvColumn("ci_low (%, 95% Wilson)", lambda r: percent(r.ci_low)),
    CsvColumn("ci_high (%, 95% Wilson)", lambda r: percent(r.ci_high)),
    CsvColumn("last_window (UTC)", _get("last_window")),
)
ASSET_AUTHORS_CSV = (
    CsvColumn("author (pseudonymous id)", _get("author")),
    CsvColumn("source", _get("source")),
    CsvColumn("posts (count)", _get("posts")),
    CsvColumn("reach (likes, comments, views…)", _get("reach")),
    CsvColumn(f"sentiment {SENTIMENT}", _get("sentiment")),
    CsvColumn("bullish_calls (count)", _get("bullish_calls")),
    CsvColumn("bearish_calls (count)", _get("bearish_calls")),
    CsvColumn("record_calls (judged, every asset)", _record("calls")),
    CsvColumn("record_hit_rate (%)", lambda r: percent(_record("hit_rate")(r))),
    CsvColumn("record_ci_low (%, 95% Wilson)", lambda r: percent(_record("ci_low")(r))),
    CsvColumn("record_ci_high (%, 95% Wilson)", lambda r: percent(_record("ci_high")(r))),
)
