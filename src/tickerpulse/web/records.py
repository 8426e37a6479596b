"""The typed rows the page queries return and the templates and charts render.

Plain frozen dataclasses, so the chart builders stay pure (no database types)
and a template can never trigger a lazy load.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class TrendingRow:
    """One asset on the trending page: its window's mentions, rank, tone and price move."""

    asset_id: str
    symbol: str
    name: str
    asset_class: str
    rank: int
    mentions: int
    previous_rank: int | None
    previous_mentions: int | None
    sentiment_mean: float | None
    bull_share: float | None
    bear_share: float | None
    close: float | None
    return_pct: float | None
    """Close-to-close change as a fraction (-0.0134 = -1.34 %); see ``return_fraction``."""
    sparkline: tuple[float, ...] = ()
    return_fraction: float | None = None
    """The same value as ``return_pct`` under a name that says its unit (filled in)."""

    def __post_init__(self) -> None:
        if self.return_fraction is None:
            object.__setattr__(self, "return_fraction", self.return_pct)

    @property
    def rank_change(self) -> int | None:
        """Places gained since the previous window (positive = climbed); None if unranked then."""
        return None if self.previous_rank is None else self.previous_rank - self.rank


@dataclass(frozen=True)
class AssetOverview:
    """An asset and its figures in the newest published window (None where absent)."""

    asset_id: str
    symbol: str
    name: str
    asset_class: str
    latest_window: datetime | None
    mentions: int | None
    sentiment_mean: float | None
    bull_share: float | None
    bear_share: float | None
    close: float | None
    return_pct: float | None


@dataclass(frozen=True)
class AssetWindowRow:
    """One 6-hour window of an asset: price and social/news sentiment side by side."""

    window_start: datetime
    open: float | None
    high: float | None
    low: float | None
    close: float | None
    return_pct: float | None
    social_sentiment: float | None
    social_mentions: int
    news_sentiment: float | None
    news_mentions: int
    sentiment_model: str | None = None
    """The sentiment model version behind the window's figures (``mixed``: several)."""
    return_fraction: float | None = None
    """The same value as ``return_pct`` under a name that says its unit (filled in)."""

    def __post_init__(self) -> None:
        if self.return_fraction is None:
            object.__setattr__(self, "return_fraction", self.return_pct)


@dataclass(frozen=True)
class SourceRow:
    """Mentions and sentiment of an asset from one provider in one window."""

    source: str
    source_class: str
    mentions: int
    unique_authors: int
    sentiment_mean: float | None
    bull_share: float | None
    bear_share: float | None
    spam_mentions: int = 0
    """Mentions in spam posts from this source, left out of the other figures."""

    @property
    def spam_share(self) -> float:
        """The share of this source's mentions that were spam (0 … 1)."""
        total = self.mentions + self.spam_mentions
        return self.spam_mentions / total if total else 0.0


@dataclass(frozen=True)
class DocumentRow:
    """A published post or article that mentions an asset."""

    doc_id: str
    kind: str
    source: str
    channel: str
    created_at: datetime
    title: str | None
    text: str
    url: str | None
    sentiment_score: float | None
    sentiment_label: str | None
    relevance: float


@dataclass(frozen=True)
class NewsGroupRow:
    """News articles of one outlet, region or asset class since a time, with their tone."""

    group: str
    articles: int
    sentiment_mean: float | None


@dataclass(frozen=True)
class NewsCoverageRow:
    """An asset as the news covered it since a time: how much, by how many outlets, in what tone."""

    asset_id: str
    symbol: str
    name: str
    articles: int
    outlets: int
    tone: float | None
    tone_spread: float | None
    """Standard deviation of the per-outlet mean tone: low when outlets agree."""


@dataclass(frozen=True)
class RelationRow:
    """One published relation statistic of an asset (see ``mart_relation``)."""

    source_class: str
    signal: str
    horizon: int
    r: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    q_value: float | None
    granger_q: float | None
    verdict: str


@dataclass(frozen=True)
class PredictionRow:
    """The published next-window call of an asset and its model's out-of-sample record."""

    window_start: datetime
    model: str
    prob_up: float
    auc: float | None
    auc_ci_low: float | None
    auc_ci_high: float | None
    hit_rate: float | None
    n: int
    verdict: str
    market_open: bool = True
    """False when the asset's market is closed for the whole window: no call."""
    asset_auc: float | None = None
    """The model's out-of-sample AUC on this asset alone (the others are pooled)."""
    asset_hit_rate: float | None = None
    asset_n: int | None = None


@dataclass(frozen=True)
class PredictionListRow:
    """One asset's call on the predictions page."""

    asset_id: str
    symbol: str
    name: str
    asset_class: str
    prob_up: float
    market_open: bool = True
    """False when the asset's market is closed for the whole window: no call."""

    @property
    def conviction(self) -> float:
        """How far the call is from a coin flip (0 … 0.5)."""
        return abs(self.prob_up - 0.5)


@dataclass(frozen=True)
class LagRow:
    """One lag of an asset's published lead-lag correlation (see ``mart_relation_lag``)."""

    source_class: str
    lag: int
    r: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    q_value: float | None


@dataclass(frozen=True)
class EventRow:
    """One point of an asset's published event study (see ``mart_relation_event``)."""

    source_class: str
    event_type: str
    tau: int
    mean_car: float | None
    ci_low: float | None
    ci_high: float | None
    n_events: int
    p_value: float | None
