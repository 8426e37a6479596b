"""The records that cross stages, documented once.

Every stage of the 6-hour cycle speaks in these terms: a ``Window`` of six
hours aligned to 00/06/12/18 UTC, ``Document`` rows normalised from any
provider, the ``Mention`` rows the tagger finds, the ``Sentiment`` the scorer
gives, ``PriceBar`` rows from any price source and the ``Trade`` records of the
live feed. Batch stages exchange them as Arrow tables with the schemas defined
here; timestamps are always timezone-aware UTC (live trades carry epoch
milliseconds, as the feed does).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa

WINDOW_HOURS = 6
WINDOW = timedelta(hours=WINDOW_HOURS)


class AssetClass(StrEnum):
    """What kind of instrument an asset is."""

    STOCK = "stock"
    ETF = "etf"
    CRYPTO = "crypto"
    FX = "fx"
    INDEX = "index"


class DocKind(StrEnum):
    """Whether a document is a social post or a news article."""

    POST = "post"
    NEWS = "news"


SOCIAL_SOURCES: tuple[str, ...] = ("reddit", "x", "telegram", "facebook", "instagram")
NEWS_SOURCES: tuple[str, ...] = ("news", "alphavantage", "finnhub")
PRICE_SOURCES: tuple[str, ...] = ("prices", "alphavantage", "finnhub", "ibkr")
TEXT_SOURCES: tuple[str, ...] = SOCIAL_SOURCES + NEWS_SOURCES
MARKET_DATA_SOURCES: tuple[str, ...] = tuple(s for s in PRICE_SOURCES if s in NEWS_SOURCES)
"""Sources that land both articles and prices; each line's context says which (``feed``)."""
PRICES_FEED = "prices"
"""The ``feed`` value in a landed line's context that marks it as price data."""


def source_class(source: str) -> str:
    """Return ``"news"`` for news sources and ``"social"`` for every other text source."""
    return "news" if source in NEWS_SOURCES else "social"


def as_utc(ts: datetime) -> datetime:
    """Return ``ts`` as an aware UTC datetime; naive input is refused, not guessed."""
    if ts.tzinfo is None:
        raise ValueError(f"naive datetime {ts!r}: timestamps must carry a time zone")
    return ts.astimezone(UTC)


@dataclass(frozen=True, order=True)
class Window:
    """A 6-hour window ``[start, start + 6h)`` whose start is 00, 06, 12 or 18 UTC."""

    start: datetime

    def __post_init__(self) -> None:
        start = as_utc(self.start)
        if start != _floor_to_window(start):
            raise ValueError(f"{start.isoformat()} is not a window start (00/06/12/18 UTC)")
        object.__setattr__(self, "start", start)

    @classmethod
    def containing(cls, ts: datetime) -> Window:
        """The window that contains the instant ``ts``."""
        return cls(_floor_to_window(as_utc(ts)))

    @classmethod
    def last_closed(cls, now: datetime) -> Window:
        """The most recent window that has fully ended at ``now``."""
        return cls.containing(as_utc(now)).previous()

    @classmethod
    def from_key(cls, key: str) -> Window:
        """Parse a key made by :attr:`key` (``20240131T06``)."""
        return cls(datetime.strptime(key, "%Y%m%dT%H").replace(tzinfo=UTC))

    @classmethod
    def between(cls, first: datetime, last: datetime) -> Iterator[Window]:
        """Every window whose start lies in ``[first, last)``, in order."""
        window = cls.containing(first)
        if window.start < as_utc(first):
            window = window.next()
        while window.start < as_utc(last):
            yield window
            window = window.next()

    @property
    def end(self) -> datetime:
        """The first instant after the window."""
        return self.start + WINDOW

    @property
    def key(self) -> str:
        """A compact sortable identifier, also used as the run id in the lake."""
        return self.start.strftime("%Y%m%dT%H")

    @property
    def date(self) -> date:
        """The UTC calendar date the window belongs to."""
        return self.start.date()

    def next(self) -> Window:
        """The window right after this one."""
        return Window(self.end)

    def previous(self) -> Window:
        """The window right before this one."""
        return Window(self.start - WINDOW)

    def __contains__(self, ts: object) -> bool:
        return isinstance(ts, datetime) and self.start <= as_utc(ts) < self.end

    def __str__(self) -> str:
        return f"{self.start:%Y-%m-%d %H:%M}–{self.end:%H:%M} UTC"


def _floor_to_window(ts: datetime) -> datetime:
    hour = ts.hour - ts.hour % WINDOW_HOURS
    return ts.replace(hour=hour, minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class Document:
    """One post or article, whatever its provider (the normalised record)."""

    doc_id: str
    kind: DocKind
    source: str
    channel: str
    author_hash: str | None
    created_at: datetime
    title: str | None
    text: str
    url: str | None
    lang: str | None
    engagement: int
    provider_sentiment: float | None = None
    """The provider's own published sentiment in [-1, 1] (Alpha Vantage's
    ``overall_sentiment_score``), kept beside ours; None for providers without one."""


@dataclass(frozen=True)
class Mention:
    """An asset that a document speaks of, and how we know."""

    doc_id: str
    asset_id: str
    method: str
    relevance: float
    span_start: int | None = None
    span_end: int | None = None
    score: float | None = None
    label: str | None = None


@dataclass(frozen=True)
class Sentiment:
    """The tone of one document: a score in [-1, 1] and its label band."""

    doc_id: str
    score: float
    label: str
    model: str
    flags: str | None = None


@dataclass(frozen=True)
class PriceBar:
    """One OHLCV bar of an asset from one price source."""

    asset_id: str
    ts: datetime
    interval: str
    open: float
    high: float
    low: float
    close: float
    volume: float
    source: str


@dataclass(frozen=True, slots=True)
class Trade:
    """One trade from a live feed, in the feed's own terms.

    ``ts_ms`` is the event time in milliseconds since the Unix epoch (UTC);
    ``conditions`` are the exchange's trade condition codes, kept as given.
    """

    symbol: str
    price: float
    ts_ms: int
    volume: float
    conditions: tuple[str, ...] = ()


# The Arrow schemas are built on first use (module __getattr__ below): importing the
# domain's records does not load pyarrow, so the text commands start fast.
if TYPE_CHECKING:
    DOCUMENT_SCHEMA: pa.Schema
    MENTION_SCHEMA: pa.Schema
    """One row per (document, asset): how the asset was found, the span ``[span_start,
    span_end)`` of its first occurrence in the enriched text (title + newline + body), and
    the mention's own sentiment (``score``, ``label``), which the aggregates use. Files
    written before the span and score existed read with them null: the document's score
    stands in."""
    SENTIMENT_SCHEMA: pa.Schema
    """One row per document. ``model`` is the scoring model's version; ``flags`` lists, comma
    separated, why a text was not scored as usual (``empty``, ``binary``, ``non-english``:
    neutral; ``huge``: a prefix was scored), null when none."""
    PRICE_BAR_SCHEMA: pa.Schema

SCHEMA_NAMES = ("DOCUMENT_SCHEMA", "MENTION_SCHEMA", "SENTIMENT_SCHEMA", "PRICE_BAR_SCHEMA")


def _schemas() -> dict[str, pa.Schema]:
    """Every schema by name (pyarrow loads here)."""
    import pyarrow as pa

    utc_micros = pa.timestamp("us", tz="UTC")
    return {
        "DOCUMENT_SCHEMA": pa.schema(
            [
                ("doc_id", pa.string()),
                ("kind", pa.string()),
                ("source", pa.string()),
                ("channel", pa.string()),
                ("author_hash", pa.string()),
                ("created_at", utc_micros),
                ("title", pa.string()),
                ("text", pa.string()),
                ("url", pa.string()),
                ("lang", pa.string()),
                ("engagement", pa.int64()),
                ("provider_sentiment", pa.float64()),
            ]
        ),
        "MENTION_SCHEMA": pa.schema(
            [
                ("doc_id", pa.string()),
                ("asset_id", pa.string()),
                ("method", pa.string()),
                ("relevance", pa.float64()),
                ("span_start", pa.int64()),
                ("span_end", pa.int64()),
                ("score", pa.float64()),
                ("label", pa.string()),
            ]
        ),
        "SENTIMENT_SCHEMA": pa.schema(
            [
                ("doc_id", pa.string()),
                ("score", pa.float64()),
                ("label", pa.string()),
                ("model", pa.string()),
                ("flags", pa.string()),
            ]
        ),
        "PRICE_BAR_SCHEMA": pa.schema(
            [
                ("asset_id", pa.string()),
                ("ts", utc_micros),
                ("interval", pa.string()),
                ("open", pa.float64()),
                ("high", pa.float64()),
                ("low", pa.float64()),
                ("close", pa.float64()),
                ("volume", pa.float64()),
                ("source", pa.string()),
            ]
        ),
    }


def __getattr__(name: str) -> pa.Schema:
    """The schemas, built once on first access; other names are not here."""
    if name in SCHEMA_NAMES:
        globals().update(_schemas())
        schema: pa.Schema = globals()[name]
        return schema
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
