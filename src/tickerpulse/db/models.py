"""SQLAlchemy 2 models: operational state (cursors, run ledger), the marts pages read, live bars.

Marts are keyed by window so a window's publish can replace its rows in one
transaction; pages never read the lake. Live bars are keyed by symbol, interval
and start so the stream processor can upsert them again after a restart.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, Float, Index, Integer, String, Text, func, true
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

UTCDateTime = DateTime(timezone=True)


class Base(DeclarativeBase):
    """Declarative base of every table."""


class Asset(Base):
    """An asset of the universe, as the pages name it."""

    __tablename__ = "asset"

    asset_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    symbol: Mapped[str] = mapped_column(String(32), index=True)
    asset_class: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))


class NewsOutlet(Base):
    """A catalogued news outlet, so news marts group by outlet, region and coverage."""

    __tablename__ = "news_outlet"

    outlet: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    region: Mapped[str] = mapped_column(String(32), index=True)
    language: Mapped[str] = mapped_column(String(8))
    coverage: Mapped[str] = mapped_column(String(64))
    feed_url: Mapped[str] = mapped_column(Text)


class SourceCursor(Base):
    """Where each source's incremental fetch resumes; advanced only after landing is durable."""

    __tablename__ = "source_cursor"

    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    cursor: Mapped[dict[str, Any]] = mapped_column(JSONB)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CycleRun(Base):
    """The run ledger: one row per window and stage, updated on every attempt."""

    __tablename__ = "cycle_run"

    window_start: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    stage: Mapped[str] = mapped_column(String(32), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    counts: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    duration_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)


class MartAssetWindow(Base):
    """Mentions and sentiment of one asset in one window, per source class and source.

    ``source_class`` is social, news or all; ``source`` is a provider or all.
    """

    __tablename__ = "mart_asset_window"

    window_start: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    asset_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    source_class: Mapped[str] = mapped_column(String(16), primary_key=True)
    source: Mapped[str] = mapped_column(String(32), primary_key=True)
    mentions: Mapped[int] = mapped_column(Integer)
    unique_authors: Mapped[int] = mapped_column(Integer)
    sentiment_mean: Mapped[float | None] = mapped_column(Float, nullable=True)
    bull_share: Mapped[float | None] = mapped_column(Float, nullable=True)
    bear_share: Mapped[float | None] = mapped_column(Float, nullable=True)
    dispersion: Mapped[float | None] = mapped_column(Float, nullable=True)
    sentiment_model: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """The sentiment model version that scored the window's mentions; ``mixed`` when
    several did (``cycle backfill --rescore`` makes history one version again)."""
    spam_mentions: Mapped[int] = mapped_column(Integer, server_default="0")
    """Mentions in posts flagged as spam, left out of every other column."""

    __table_args__ = (Index("ix_mart_asset_window_asset", "asset_id", "window_start"),)


class MartPriceWindow(Base):
    """OHLCV of one asset over one window and its close-to-close return."""

    __tablename__ = "mart_price_window"

    window_start: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    asset_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    open: Mapped[float] = mapped_column(Float)
    high: Mapped[float] = mapped_column(Float)
    low: Mapped[float] = mapped_column(Float)
    close: Mapped[float] = mapped_column(Float)
    volume: Mapped[float] = mapped_column(Float)
    bars: Mapped[int] = mapped_column(Integer)
    prev_close: Mapped[float | None] = mapped_column(Float, nullable=True)
    return_pct: Mapped[float | None] = mapped_column(Float, nullable=True)
    source: Mapped[str] = mapped_column(String(32), server_default="unknown")
    """The price source chosen for this asset and window (``PRICE_SOURCES`` order)."""
    sources: Mapped[int] = mapped_column(Integer, server_default="1")
    """How many price sources had bars in the window (more than one: fallbacks existed)."""

    __table_args__ = (Index("ix_mart_price_window_asset", "asset_id", "window_start"),)


class MartPriceGap(Base):
    """An asset whose price feed missed hourly bars while its market traded."""

    __tablename__ = "mart_price_gap"

    window_start: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    asset_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str | None] = mapped_column(String(32), nullable=True)
    """The source that was used, or null when no source had a bar at all."""
    expected_bars: Mapped[int] = mapped_column(Integer)
    bars: Mapped[int] = mapped_column(Integer)


class MartDocument(Base):
    """A published post or article with its sentiment, for lists on the pages."""

    __tablename__ = "mart_document"

    doc_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    kind: Mapped[str] = mapped_column(String(8))
    source: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    title: Mapped[str | None] = mapped_column(Text, nullable=True)
    text: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text, nullable=True)
    sentiment_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    sentiment_label: Mapped[str | None] = mapped_column(String(24), nullable=True)
    provider_sentiment: Mapped[float | None] = mapped_column(Float, nullable=True)
    """The provider's own published score (Alpha Vantage), beside ours; None elsewhere."""
    sentiment_model: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """The sentiment model version that scored the document."""
    sentiment_flags: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """Why the text was not scored as usual (comma separated), e.g. ``huge``; None if it was."""


class MartDocumentAsset(Base):
    """Which assets a published document mentions."""

    __tablename__ = "mart_document_asset"

    doc_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    asset_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
    method: Mapped[str] = mapped_column(String(16))
    relevance: Mapped[float] = mapped_column(Float)
    sentiment_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    """The mention's own sentiment (the document's, for a model without per-mention scores)."""
    sentiment_label: Mapped[str | None] = mapped_column(String(24), nullable=True)

    __table_args__ = (
        Index("ix_mart_document_asset_asset", "asset_id", "window_start"),
        Index("ix_mart_document_asset_window", "window_start"),
    )


class MartRelation(Base):
    """How an asset's sentiment or mentions went with its returns, with the uncertainty."""

    __tablename__ = "mart_relation"

    asset_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    """An asset id, or ``*`` for the estimate pooled over every asset."""
    source_class: Mapped[str] = mapped_column(String(16), primary_key=True)
    signal: Mapped[str] = mapped_column(String(32), primary_key=True)
    horizon: Mapped[int] = mapped_column(Integer, primary_key=True)
    """0: same-window return; 1: next-window return."""
    r: Mapped[float | None] = mapped_column(Float, nullable=True)
    ci_low: Mapped[float | None] = mapped_column(Float, nullable=True)
    ci_high: Mapped[float | None] = mapped_column(Float, nullable=True)
    n: Mapped[int] = mapped_column(Integer)
    p_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    q_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    granger_q: Mapped[float | None] = mapped_column(Float, nullable=True)
    """Benjamini–Hochberg q of "the signal Granger-causes returns" (next-window rows)."""
    verdict: Mapped[str] = mapped_column(Text)
    computed_until: Mapped[datetime] = mapped_column(UTCDateTime)


class MartRelationLag(Base):
    """Lead-lag: an asset's signal at window t against its return at t + lag, with the CI."""

    __tablename__ = "mart_relation_lag"

    asset_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    """An asset id, or ``*`` for the estimate pooled over every asset."""
    source_class: Mapped[str] = mapped_column(String(16), primary_key=True)
    signal: Mapped[str] = mapped_column(String(32), primary_key=True)
    lag: Mapped[int] = mapped_column(Integer, primary_key=True)
    """Windows from the signal to the return: positive, the signal came first."""
    r: Mapped[float | None] = mapped_column(Float, nullable=True)
    ci_low: Mapped[float | None] = mapped_column(Float, nullable=True)
    ci_high: Mapped[float | None] = mapped_column(Float, nullable=True)
    n: Mapped[int] = mapped_column(Integer)
    p_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    q_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    """Benjamini–Hochberg q over the assets at the same lag."""
    computed_until: Mapped[datetime] = mapped_column(UTCDateTime)


class MartRelationEvent(Base):
    """Event study: mean cumulative abnormal return around spikes, signed by the crowd's side."""

    __tablename__ = "mart_relation_event"

    asset_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    source_class: Mapped[str] = mapped_column(String(16), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(32), primary_key=True)
    """``mention_spike`` or ``sentiment_spike``."""
    tau: Mapped[int] = mapped_column(Integer, primary_key=True)
    """Windows from the spike (0: the spike window)."""
    mean_car: Mapped[float | None] = mapped_column(Float, nullable=True)
    ci_low: Mapped[float | None] = mapped_column(Float, nullable=True)
    ci_high: Mapped[float | None] = mapped_column(Float, nullable=True)
    n_events: Mapped[int] = mapped_column(Integer)
    p_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    computed_until: Mapped[datetime] = mapped_column(UTCDateTime)


class MartPrediction(Base):
    """Next-window direction per asset, with the model's out-of-sample record."""

    __tablename__ = "mart_prediction"

    window_start: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    """The window predicted (the one after the last published)."""
    asset_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    model: Mapped[str] = mapped_column(String(32))
    model_key: Mapped[str] = mapped_column(String(128))
    prob_up: Mapped[float] = mapped_column(Float)
    auc: Mapped[float | None] = mapped_column(Float, nullable=True)
    auc_ci_low: Mapped[float | None] = mapped_column(Float, nullable=True)
    auc_ci_high: Mapped[float | None] = mapped_column(Float, nullable=True)
    hit_rate: Mapped[float | None] = mapped_column(Float, nullable=True)
    n: Mapped[int] = mapped_column(Integer)
    verdict: Mapped[str] = mapped_column(Text)
    market_open: Mapped[bool] = mapped_column(Boolean, server_default=true())
    """False when the asset's market is closed for the whole window: no call is shown."""
    asset_auc: Mapped[float | None] = mapped_column(Float, nullable=True)
    """The model's out-of-sample AUC on this asset alone (``auc`` is pooled over all assets)."""
    asset_hit_rate: Mapped[float | None] = mapped_column(Float, nullable=True)
    asset_n: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """How many out-of-sample calls on this asset the asset's record rests on."""


class MartAttention(Base):
    """Unusual attention of one asset in one window against its own trailing windows.

    Computed at publish from ``mart_asset_window`` (all sources) by
    :mod:`tickerpulse.analytics.attention`; the movers page reads one window.
    """

    __tablename__ = "mart_attention"

    window_start: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    asset_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    asset_class: Mapped[str] = mapped_column(String(16))
    mentions: Mapped[int] = mapped_column(Integer)
    mention_z: Mapped[float | None] = mapped_column(Float, nullable=True)
    mention_change: Mapped[float | None] = mapped_column(Float, nullable=True)
    """Mentions against the trailing mean, as a fraction (1.0: twice the usual)."""
    sentiment: Mapped[float | None] = mapped_column(Float, nullable=True)
    sentiment_change: Mapped[float | None] = mapped_column(Float, nullable=True)
    sentiment_z: Mapped[float | None] = mapped_column(Float, nullable=True)
    share_of_voice: Mapped[float] = mapped_column(Float)
    """The asset's share of its class's mentions in the window."""


class MartAuthorCall(Base):
    """A social author's posts on one asset in one window, their stance and how it turned out.

    ``asset_id`` ``*`` is the author's whole window (posts and flagged posts over
    every asset). ``hit`` is filled when the next window's return is published.
    """

    __tablename__ = "mart_author_call"

    window_start: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    author_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    asset_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    posts: Mapped[int] = mapped_column(Integer)
    reach: Mapped[int] = mapped_column(Integer)
    """Likes, comments, views… the posts drew, as each provider counts engagement."""
    sentiment: Mapped[float | None] = mapped_column(Float, nullable=True)
    stance: Mapped[int] = mapped_column(Integer)
    """+1 bullish call, -1 bearish call, 0 no call."""
    flagged_posts: Mapped[int] = mapped_column(Integer, server_default="0")
    hit: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    """Whether the call matched the next window's return; null: no call or not yet known."""

    __table_args__ = (
        Index("ix_mart_author_call_asset", "asset_id", "window_start"),
        Index("ix_mart_author_call_author", "author_hash", "window_start"),
    )


class MartAuthorRecord(Base):
    """A social author's whole history: activity, spam flags and the judged calls' hit rate."""

    __tablename__ = "mart_author_record"

    author_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    posts: Mapped[int] = mapped_column(Integer)
    reach: Mapped[int] = mapped_column(Integer)
    flagged_posts: Mapped[int] = mapped_column(Integer)
    calls: Mapped[int] = mapped_column(Integer)
    """Judged calls (a stance and a next-window return)."""
    hits: Mapped[int] = mapped_column(Integer)
    hit_rate: Mapped[float | None] = mapped_column(Float, nullable=True)
    ci_low: Mapped[float | None] = mapped_column(Float, nullable=True)
    ci_high: Mapped[float | None] = mapped_column(Float, nullable=True)
    last_window: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_mart_author_record_rank", "calls", "ci_low"),)


class LiveBar(Base):
    """One event-time bar of the live trade stream; provisional until ``final``."""

    __tablename__ = "live_bar"

    symbol: Mapped[str] = mapped_column(String(64), primary_key=True)
    """The feed's symbol (``AAPL``, ``BINANCE:BTCUSDT``)."""
    interval_s: Mapped[int] = mapped_column(Integer, primary_key=True)
    bar_start: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    open: Mapped[float] = mapped_column(Float)
    high: Mapped[float] = mapped_column(Float)
    low: Mapped[float] = mapped_column(Float)
    close: Mapped[float] = mapped_column(Float)
    volume: Mapped[float] = mapped_column(Float)
    vwap: Mapped[float | None] = mapped_column(Float, nullable=True)
    """Volume-weighted average price; null when every trade had zero volume."""
    trades: Mapped[int] = mapped_column(Integer)
    final: Mapped[bool] = mapped_column(Boolean)
    """False while the bar is open and may still change."""
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())
    """When the processor last wrote the bar (its transaction's time): the live path's lag."""

    __table_args__ = (Index("ix_live_bar_interval_start", "interval_s", "bar_start"),)


class StreamProcessorStatus(Base):
    """How a supervised stream processor is doing, written by it (``/healthz``, ``/metrics``)."""

    __tablename__ = "stream_processor_status"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    """The consumer group it reads as (``live-bars``)."""
    state: Mapped[str] = mapped_column(String(16))
    """``running``, ``restarting`` (failed, waiting to retry) or ``stopped``."""
    restarts: Mapped[int] = mapped_column(Integer)
    """Restarts after a failure since the process started."""
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    """A running processor that has not written by then is down (its process died)."""


class LivePrediction(Base):
    """The online model's call on a symbol's next bar, made when one bar closed; resolved later."""

    __tablename__ = "live_prediction"

    symbol: Mapped[str] = mapped_column(String(64), primary_key=True)
    interval_s: Mapped[int] = mapped_column(Integer, primary_key=True)
    based_on: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    """Start of the bar whose close the call was made after."""
    close: Mapped[float] = mapped_column(Float)
    """That bar's close: the next bar is "up" if it closes above it."""
    prob_up: Mapped[float] = mapped_column(Float)
    model: Mapped[str] = mapped_column(String(120))
    resolved_by: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    """Start of the bar that decided the call; null while it is open."""
    up: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    """What happened; null while open or when the close did not change."""
    correct: Mapped[bool | None] = mapped_column(Boolean, nullable=True)


class LiveModelMetric(Base):
    """Prequential (test-then-train) scores of the online model, per symbol and overall (``*``)."""

    __tablename__ = "live_model_metric"

    scope: Mapped[str] = mapped_column(String(64), primary_key=True)
    interval_s: Mapped[int] = mapped_column(Integer, primary_key=True)
    model: Mapped[str] = mapped_column(String(120))
    n: Mapped[int] = mapped_column(Integer)
    hits: Mapped[int] = mapped_column(Integer)
    flat: Mapped[int] = mapped_column(Integer)
    accuracy: Mapped[float | None] = mapped_column(Float, nullable=True)
    log_loss: Mapped[float | None] = mapped_column(Float, nullable=True)
    recent_accuracy: Mapped[float | None] = mapped_column(Float, nullable=True)
    as_of: Mapped[datetime] = mapped_column(UTCDateTime)
    """Start of the newest bar the scores include."""
