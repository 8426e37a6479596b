"""Subscription tiers and what each one may see: the one matrix every page and API route asks.

The default matrix is ARCHITECTURE.md's; ``TIER_OVERRIDES`` moves a feature to
another minimum tier without a code change. Pure: no request, no database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import IntEnum, StrEnum

from tickerpulse.explore.ranges import HistoryRange, resolve_range


class Tier(IntEnum):
    """A plan, ordered so that ``viewer >= required`` means access."""

    FREE = 0
    PRO = 1
    PREMIUM = 2

    @property
    def label(self) -> str:
        """The plan's name as pages show it ("Premium")."""
        return self.name.capitalize()

    @classmethod
    def parse(cls, name: str) -> Tier:
        """The tier called ``name`` (any case).

        Raises:
            ValueError: For a name that is not a tier.
        """
        try:
            return cls[name.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown tier {name!r}: use free, pro or premium") from None


class Feature(StrEnum):
    """A gated part of the product."""

    TRENDING_LIVE = "trending_live"
    SENTIMENT_HISTORY = "sentiment_history"
    NEWS = "news"
    RELATION = "relation"
    COMPARE = "compare"
    HISTORY_RANGE = "history_range"
    CSV_EXPORT = "csv_export"
    CUSTOM_RANGE = "custom_range"
    PREDICTIONS = "predictions"
    LIVE = "live"
    WATCHLISTS = "watchlists"
    ALERTS = "alerts"
    ALERT_WEBHOOKS = "alert_webhooks"
    API = "api"
    MOVERS_ALL = "movers_all"
    AUTHORS = "authors"

    @property
    def label(self) -> str:
        """What the feature is called in an upgrade prompt."""
        return FEATURE_LABELS[self]

    @property
    def preview(self) -> str:
        """What a reader gets with the feature, shown where it is gated."""
        return FEATURE_PREVIEWS[self]


FEATURE_LABELS = {
    Feature.TRENDING_LIVE: "the live, full trending list",
    Feature.SENTIMENT_HISTORY: "6-hour sentiment windows over the full history",
    Feature.NEWS: "news analytics",
    Feature.RELATION: "the sentiment ↔ price relation",
    Feature.COMPARE: "comparing assets",
    Feature.HISTORY_RANGE: "history ranges (7 days to all)",
    Feature.CSV_EXPORT: "CSV export of tables and charts",
    Feature.CUSTOM_RANGE: "custom date ranges",
    Feature.PREDICTIONS: "predictions",
    Feature.LIVE: "the live stream",
    Feature.WATCHLISTS: "watchlists",
    Feature.ALERTS: "alerts",
    Feature.ALERT_WEBHOOKS: "alerts by webhook",
    Feature.API: "the REST API",
    Feature.MOVERS_ALL: "every mover with live windows",
    Feature.AUTHORS: "authors' track records",
}

FEATURE_PREVIEWS = {
    Feature.TRENDING_LIVE: "Every mentioned asset, ranked as soon as a 6-hour window is"
    " published, instead of the top 20 a day later.",
    Feature.SENTIMENT_HISTORY: "Each asset's price, social and news sentiment and mentions for"
    " every 6-hour window of its history, charted and in tables.",
    Feature.NEWS: "News volume and tone by outlet, region and asset class, which assets the"
    " news covers most, and how far outlets agree.",
    Feature.RELATION: "Whether an asset's sentiment moved with or ahead of its price:"
    " correlations with confidence intervals, lead-lag and event studies.",
    Feature.COMPARE: "Two to five assets side by side: prices rebased to 100 and their social"
    " sentiment on one time axis.",
    Feature.HISTORY_RANGE: "Charts and tables of an asset or a comparison over 7 days, 30 days,"
    " 90 days, a year or all history, instead of the last 7 days.",
    Feature.CSV_EXPORT: "Every table and chart's data as a CSV file, with units in the header,"
    " ready for a spreadsheet.",
    Feature.CUSTOM_RANGE: "Any span of dates on the asset and compare pages, from one day to the"
    " whole history.",
    Feature.PREDICTIONS: "Every asset's probability of closing the next 6-hour window higher,"
    " with the model's honest out-of-sample record.",
    Feature.LIVE: "1-minute price bars that update as they close, with the online model's"
    " next-minute calls.",
    Feature.WATCHLISTS: "Your own list of assets on one page: each one's latest mentions,"
    " sentiment, 6-hour return and a 7-day price line, in one glance.",
    Feature.ALERTS: 'Rules such as "BTC moves more than 3 %" or "TSLA\'s mentions triple",'
    " checked after every 6-hour window, on the site and by e-mail.",
    Feature.ALERT_WEBHOOKS: "Your alerts as signed JSON posted to your own HTTPS endpoint"
    " (a chat tool, a trading script), retried until it answers.",
    Feature.API: "The site's numbers as JSON over a REST API with your own keys.",
    Feature.MOVERS_ALL: "Every asset whose mentions or sentiment broke from its own last 7 days,"
    " as soon as a window is published, instead of the top 10 a day later.",
    Feature.AUTHORS: "Who talks most about each asset and how far they reach, and each"
    " author's honest record: how often their bullish or bearish calls matched the next"
    " 6-hour window's price move, with a confidence interval.",
}

DEFAULT_MATRIX: Mapping[Feature, Tier] = {
    Feature.TRENDING_LIVE: Tier.PRO,
    Feature.SENTIMENT_HISTORY: Tier.PRO,
    Feature.NEWS: Tier.PRO,
    Feature.RELATION: Tier.PRO,
    Feature.COMPARE: Tier.PRO,
    Feature.HISTORY_RANGE: Tier.PRO,
    Feature.CSV_EXPORT: Tier.PRO,
    Feature.CUSTOM_RANGE: Tier.PREMIUM,
    Feature.PREDICTIONS: Tier.PREMIUM,
    Feature.LIVE: Tier.PREMIUM,
    Feature.WATCHLISTS: Tier.PREMIUM,
    Feature.ALERTS: Tier.PREMIUM,
    Feature.ALERT_WEBHOOKS: Tier.PREMIUM,
    Feature.API: Tier.PREMIUM,
    Feature.MOVERS_ALL: Tier.PRO,
    Feature.AUTHORS: Tier.PREMIUM,
}

FREE_TRENDING_ROWS = 20
FREE_MOVERS_ROWS = 10
FREE_DELAY = timedelta(hours=24)
FREE_SENTIMENT_HISTORY = timedelta(days=7)


@dataclass(frozen=True)
class TierMatrix:
    """The minimum tier of every feature."""

    minimum: Mapping[Feature, Tier]

    @classmethod
    def from_overrides(cls, overrides: Mapping[str, str]) -> TierMatrix:
        """The default matrix with some features moved, e.g. ``{"news": "free"}``.

        Raises:
            ValueError: For an unknown feature or tier name.
        """
        minimum = dict(DEFAULT_MATRIX)
        for feature, tier in overrides.items():
            try:
                minimum[Feature(feature)] = Tier.parse(tier)
            except ValueError as error:
                known = ", ".join(f.value for f in Feature)
                raise ValueError(f"TIER_OVERRIDES: {error} (features: {known})") from None
        return cls(minimum)

    def allows(self, tier: Tier, feature: Feature) -> bool:
        """Whether ``tier`` includes ``feature``."""
        return tier >= self.minimum[feature]

    def required(self, feature: Feature) -> Tier:
        """The cheapest tier that includes ``feature``."""
        return self.minimum[feature]


@dataclass(eq=False)
class Gate(Exception):
    """Raised where a reader's tier does not include a feature; rendered as an upgrade prompt."""

    label: str
    required: Tier
    signed_in: bool

    def __str__(self) -> str:
        return f"{self.label} needs the {self.required.label} plan"


@dataclass(frozen=True)
class Access:
    """What one reader may see: their tier under the matrix, with the Free tier's limits."""

    tier: Tier
    matrix: TierMatrix

    def allows(self, feature: Feature) -> bool:
        """Whether the reader's tier includes ``feature``."""
        return self.matrix.allows(self.tier, feature)

    def gate(self, feature: Feature, *, signed_in: bool) -> Gate | None:
        """The upgrade prompt for ``feature``, or None when the reader has it."""
        if self.allows(feature):
            return None
        return Gate(feature.label, self.matrix.required(feature), signed_in)

    @property
    def delay(self) -> timedelta:
        """How far behind the newest window the reader's trending and charts are."""
        return timedelta(0) if self.allows(Feature.TRENDING_LIVE) else FREE_DELAY

    @property
    def trending_rows(self) -> int | None:
        """Most trending rows the reader sees (None: the page's own limit)."""
        return None if self.allows(Feature.TRENDING_LIVE) else FREE_TRENDING_ROWS

    def history_range(self, asked: str | None, start: str | None, end: str | None) -> HistoryRange:
        """The history range the reader gets for the ``range``, ``from`` and ``to`` asked."""
        return resolve_range(
            asked, start, end,
            ranges=self.allows(Feature.HISTORY_RANGE), custom=self.allows(Feature.CUSTOM_RANGE),
            ranges_plan=self.matrix.required(Feature.HISTORY_RANGE).label,
            custom_plan=self.matrix.required(Feature.CUSTOM_RANGE).label,
        )  # fmt: skip

    @property
    def movers_rows(self) -> int | None:
        """Most movers the reader sees (None: every one)."""
        return None if self.allows(Feature.MOVERS_ALL) else FREE_MOVERS_ROWS

    @property
    def movers_delay(self) -> timedelta:
        """How far behind the newest window the reader's movers and overview are."""
        return timedelta(0) if self.allows(Feature.MOVERS_ALL) else FREE_DELAY

    @property
    def daily_sentiment_only(self) -> bool:
        """Whether sentiment is shown by day over the last week instead of by 6-hour window."""
        return not self.allows(Feature.SENTIMENT_HISTORY)


FULL_ACCESS = Access(Tier.PREMIUM, TierMatrix(DEFAULT_MATRIX))
"""Everything, as the API (Premium) and the operators' tools see it."""
