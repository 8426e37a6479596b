"""Normalize raw provider records into documents and price bars.

Each landed line is ``{"fetched_at", "context", "item"}`` where ``item`` is
one record exactly as the provider's API returns it. One small mapping
function per provider turns an item into a :class:`~tickerpulse.domain.Document`
row; the simulator emits the same shapes, so real and simulated data take
the same path. Bad input never raises: it is quarantined with a reason;
texts are cleaned of control characters and capped in size first
(:mod:`~tickerpulse.enrich.sanitize`). Pure: bytes in, Arrow out.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pyarrow as pa
from selectolax.lexbor import LexborHTMLParser

from tickerpulse.domain import (
    DOCUMENT_SCHEMA,
    MARKET_DATA_SOURCES,
    PRICE_BAR_SCHEMA,
    PRICES_FEED,
    DocKind,
)
from tickerpulse.enrich.sanitize import (
    DEFAULT_MAX_TEXT_CHARS,
    binary_reason,
    size_reason,
    strip_controls,
)

QUARANTINE_LINE_LIMIT = 2000


@dataclass(frozen=True)
class Quarantined:
    """One bad input line, kept with the reason it was refused."""

    source: str
    reason: str
    line: str


@dataclass(frozen=True)
class NormalizedBatch:
    """Rows that normalised, the lines that did not, and how many duplicates were dropped."""

    table: pa.Table
    quarantined: list[Quarantined]
    duplicates: int
    lines: int
    sanitized: int = 0
    """Documents kept after control characters or lone surrogates were stripped from them."""


class BadRecord(ValueError):
    """A record that cannot become a row; the message is the quarantine reason."""


Row = dict[str, Any]


def normalize_documents(
    source: str, lines: Iterable[bytes], *, max_text_chars: int = DEFAULT_MAX_TEXT_CHARS
) -> NormalizedBatch:
    """Turn one text source's landed lines into :data:`DOCUMENT_SCHEMA` rows.

    A title or text longer than ``max_text_chars`` is quarantined, as is a text
    that is mostly control characters; fewer are stripped and the row counted
    in :attr:`NormalizedBatch.sanitized`.
    """
    mapper = DOCUMENT_MAPPERS.get(source)
    if mapper is None:
        raise ValueError(f"no normalizer for source {source!r}")
    columns: dict[str, list[Any]] = {name: [] for name in DOCUMENT_SCHEMA.names}
    quarantined: list[Quarantined] = []
    seen: set[str] = set()
    duplicates = sanitized = 0
    count = 0
    for line, envelope in _own_lines(source, lines, prices=False):
        count += 1
        try:
            if isinstance(envelope, BadRecord):
                raise envelope
            row = mapper(envelope["item"], envelope["context"])
            sanitized += _clean_text(row, max_text_chars)
            _check_text(row)
            if _simulated(envelope["context"]):
                row["url"] = None  # a made-up permalink is no page to open
        except BadRecord as exc:
            quarantined.append(_quarantine(source, str(exc), line))
            continue
        if row["doc_id"] in seen:
            duplicates += 1
            continue
        seen.add(row["doc_id"])
        for name, values in columns.items():
            values.append(row[name])
    table = pa.Table.from_pydict(columns, schema=DOCUMENT_SCHEMA)
    return NormalizedBatch(table, quarantined, duplicates, count, sanitized)


def _simulated(context: Any) -> bool:
    """Whether the simulator wrote the record (its context says ``simulated: true``)."""
    return isinstance(context, dict) and context.get("simulated") is True


def normalize_prices(source: str, lines: Iterable[bytes]) -> NormalizedBatch:
    """Turn one price source's landed lines into :data:`PRICE_BAR_SCHEMA` rows.

    Every bar is stamped with ``source``; a source that also lands articles
    (:data:`~tickerpulse.domain.MARKET_DATA_SOURCES`) contributes only the
    lines whose context says ``feed: prices``.
    """
    mapper = PRICE_MAPPERS.get(source)
    if mapper is None:
        raise ValueError(f"no price normalizer for source {source!r}")
    columns: dict[str, list[Any]] = {name: [] for name in PRICE_BAR_SCHEMA.names}
    quarantined: list[Quarantined] = []
    seen: set[tuple[str, str, datetime]] = set()
    duplicates = 0
    count = 0
    for line, envelope in _own_lines(source, lines, prices=True):
        count += 1
        try:
            if isinstance(envelope, BadRecord):
                raise envelope
            bars = mapper(envelope["item"], envelope["context"])
        except BadRecord as exc:
            quarantined.append(_quarantine(source, str(exc), line))
            continue
        for bar in bars:
            key = (bar["asset_id"], bar["interval"], bar["ts"])
            if key in seen:
                duplicates += 1
                continue
            seen.add(key)
            bar["source"] = source
            for name, values in columns.items():
                values.append(bar[name])
    table = pa.Table.from_pydict(columns, schema=PRICE_BAR_SCHEMA)
    return NormalizedBatch(table, quarantined, duplicates, count)


def _own_lines(
    source: str, lines: Iterable[bytes], *, prices: bool
) -> Iterator[tuple[bytes, dict[str, Any] | BadRecord]]:
    """The lines of ``source`` that are prices (or texts), each with its envelope or its fault.

    A source landing both (:data:`MARKET_DATA_SOURCES`) marks price lines by
    ``feed`` in their context; its unreadable lines count once, with the texts.
    """
    mixed = source in MARKET_DATA_SOURCES
    for line in lines:
        try:
            envelope = _envelope(line)
        except BadRecord as exc:
            if not (mixed and prices):
                yield line, exc
            continue
        if not mixed or (envelope["context"].get("feed") == PRICES_FEED) == prices:
            yield line, envelope


# --- shared helpers -------------------------------------------------------------------------


def _envelope(line: bytes) -> dict[str, Any]:
    try:
        envelope = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        envelope = _with_lone_surrogates(line)
        if envelope is None:
            raise BadRecord(f"corrupt JSON: {exc.msg}") from None
    if not isinstance(envelope, dict):
        raise BadRecord("not a JSON object")
    item, context = envelope.get("item"), envelope.get("context", {})
    if not isinstance(item, dict):
        raise BadRecord("missing field: item")
    if not isinstance(context, dict):
        raise BadRecord("wrong type: context")
    return {"item": item, "context": context}


def _with_lone_surrogates(line: bytes) -> Any:
    r"""The JSON orjson refuses for a lone surrogate escape (``\ud83d``), or None.

    Such escapes are valid JSON; the standard parser keeps them and
    :func:`_clean_text` strips them, so one bad character costs no post.
    """
    if b"\\ud" not in line.lower():
        return None
    try:
        return json.loads(line)
    except ValueError:
        return None


def _quarantine(source: str, reason: str, line: bytes) -> Quarantined:
    text = line[:QUARANTINE_LINE_LIMIT].decode("utf-8", errors="replace")
    return Quarantined(source=source, reason=reason, line=text)


def _field(record: dict[str, Any], name: str, kind: type | tuple[type, ...] = str) -> Any:
    """A required field of the expected type, or a quarantine reason naming it."""
    if name not in record or record[name] is None:
        raise BadRecord(f"missing field: {name}")
    value = record[name]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise BadRecord(f"wrong type: {name}")
    return value


def _optional(record: dict[str, Any], name: str, kind: type | tuple[type, ...] = str) -> Any:
    value = record.get(name)
    return value if isinstance(value, kind) and not isinstance(value, bool) else None


def _object(record: dict[str, Any], name: str) -> dict[str, Any]:
    """A nested object, or an empty one when absent or not an object."""
    value = record.get(name)
    return value if isinstance(value, dict) else {}


def _count(value: Any) -> int:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


def _unix(value: Any, name: str) -> datetime:
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise BadRecord(f"wrong type: {name}")
    try:
        return datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise BadRecord(f"bad timestamp: {name}") from None


def _iso(value: Any, name: str) -> datetime:
    """ISO 8601 with Z, +00:00 or Graph API's +0000."""
    if not isinstance(value, str):
        raise BadRecord(f"wrong type: {name}")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadRecord(f"bad timestamp: {name}") from None
    if parsed.tzinfo is None:
        raise BadRecord(f"timestamp without zone: {name}")
    return parsed.astimezone(UTC)


def _rfc822(value: Any, name: str) -> datetime:
    """RSS dates ("Mon, 01 Jan 2024 06:00:00 +0000"), falling back to ISO 8601 (Atom)."""
    if not isinstance(value, str):
        raise BadRecord(f"wrong type: {name}")
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return _iso(value, name)
    if parsed.tzinfo is None:
        raise BadRecord(f"timestamp without zone: {name}")
    return parsed.astimezone(UTC)


def _plain(text: str) -> str:
    """Feed text without its HTML markup (summaries often carry links and paragraphs)."""
    if "<" not in text and "&" not in text:
        return text
    return " ".join(LexborHTMLParser(text).text(separator=" ").split())


def author_hash(source: str, author: str | None) -> str | None:
    """A stable pseudonymous author key; None when the author is unknown or deleted."""
    if not author or author in {"[deleted]", "[removed]"}:
        return None
    return hashlib.sha256(f"{source}:{author}".encode()).hexdigest()[:16]


_WORD = re.compile(r"[^\W\d_]+")
_ENGLISH = frozenset(
    "the a an and or but is are was were be been to of in on for with at by from this that it "
    "i you he she we they my your our not no buy sell up down just get got will can all new "
    "today now what why how market stock price shares earnings very".split()
)
_FOREIGN = {
    "es": frozenset("el la los las de del que y en es por para con una más hoy está".split()),
    "de": frozenset("der die das und ist nicht ich habe heute markt mit auf für den".split()),
    "fr": frozenset("le les des est et une pour avec sur aujourd'hui marché dans pas que".split()),
    "pt": frozenset("o os as um uma não hoje mercado com para está que muito".split()),
    "it": frozenset("il che oggi mercato della sono con per una non".split()),
}


_LANGUAGES_OF: dict[str, tuple[str, ...]] = {}
for _lang, _words in (("en", _ENGLISH), *_FOREIGN.items()):
    for _word in _words:
        _LANGUAGES_OF[_word] = (*_LANGUAGES_OF.get(_word, ()), _lang)
_FOREIGN_WORDS = frozenset().union(*_FOREIGN.values())


def guess_language(text: str) -> str:
    """``"en"`` unless the text shows clear signs of another language.

    Cheap by design, it runs on every text: first the share of letters outside
    Latin script, then common function words of a few other languages against
    English ones. Texts with few words (cashtags, emoji, slang) count as English.
    """
    if not text.isascii():
        letters = [c for c in text if c.isalpha()]
        non_latin = sum(1 for c in letters if ord(c) > 0x24F)
        if letters and non_latin / len(letters) > 0.3:
            return _script_language(letters)
    words = _WORD.findall(text.lower())
    if _FOREIGN_WORDS.isdisjoint(words):  # the common case, decided without counting
        return "en"
    hits: dict[str, int] = {}
    for word in words:
        for lang in _LANGUAGES_OF.get(word, ()):
            hits[lang] = hits.get(lang, 0) + 1
    english = hits.pop("en", 0)
    if not hits:
        return "en"
    best = max(sorted(hits), key=hits.__getitem__)
    return best if hits[best] >= 2 and hits[best] > english else "en"


def _script_language(letters: list[str]) -> str:
    sample = letters[:40]
    if any("\u0400" <= c <= "\u04ff" for c in sample):
        return "ru"
    if any("\u4e00" <= c <= "\u9fff" for c in sample):
        return "zh"
    if any("\u3040" <= c <= "\u30ff" for c in sample):
        return "ja"
    if any("\u0600" <= c <= "\u06ff" for c in sample):
        return "ar"
    return "und"


def _clean_text(row: Row, max_text_chars: int) -> bool:
    """Strip control characters from every string of ``row``; whether any were stripped.

    Raises:
        BadRecord: The title or text is too long, or mostly control characters.
    """
    for name in ("title", "text"):
        reason = size_reason(row[name], max_text_chars)
        if reason:
            raise BadRecord(reason)
    stripped = False
    for name, value in row.items():
        if not isinstance(value, str):
            continue
        cleaned, removed = strip_controls(value)
        if removed:
            reason = binary_reason(value, removed) if name in ("title", "text") else None
            if reason:
                raise BadRecord(reason)
            row[name], stripped = cleaned, True
    return stripped


def _check_text(row: Row) -> None:
    text = f"{row['title'] or ''} {row['text']}".strip()
    if not text:
        raise BadRecord("empty text")
    lang = row["lang"] or guess_language(text)
    if lang not in {"en", "und"}:  # X says "und" for texts of only cashtags and emoji
        raise BadRecord(f"language:{lang}")
    row["lang"] = "en"


def _document(
    *,
    doc_id: str,
    kind: DocKind,
    source: str,
    channel: str,
    author: str | None,
    created_at: datetime,
    title: str | None,
    text: str,
    url: str | None,
    lang: str | None,
    engagement: int,
    provider_sentiment: float | None = None,
) -> Row:
    return {
        "doc_id": doc_id,
        "kind": str(kind),
        "source": source,
        "channel": channel,
        "author_hash": author_hash(source, author),
        "created_at": created_at,
        "title": title,
        "text": text,
        "url": url,
        "lang": lang,
        "engagement": engagement,
        "provider_sentiment": provider_sentiment,
    }


# --- one mapping per provider -----------------------------------------------------------------


def _reddit(item: dict[str, Any], context: dict[str, Any]) -> Row:
    kind = _field(item, "kind")
    data = _field(item, "data", dict)
    if kind not in {"t1", "t3"}:
        raise BadRecord(f"unexpected reddit kind: {kind}")
    is_post = kind == "t3"
    body = _field(data, "selftext" if is_post else "body")
    if body in {"[deleted]", "[removed]"} and not is_post:
        raise BadRecord("deleted")
    if body in {"[deleted]", "[removed]"}:
        body = ""
    permalink = _optional(data, "permalink")
    return _document(
        doc_id=f"reddit:{_field(data, 'name')}",
        kind=DocKind.POST,
        source="reddit",
        channel=_field(data, "subreddit"),
        author=_optional(data, "author"),
        created_at=_unix(data.get("created_utc"), "created_utc"),
        title=_field(data, "title") if is_post else None,
        text=body,
        url=f"https://www.reddit.com{permalink}" if permalink else None,
        lang=None,
        # a comment listing's num_comments counts the parent post's comments, not the comment's
        engagement=_count(data.get("score")) + (_count(data.get("num_comments")) if is_post else 0),
    )


def _x(item: dict[str, Any], context: dict[str, Any]) -> Row:
    tweet_id = _field(item, "id")
    username = _optional(_object(context, "author"), "username")
    metrics = _object(item, "public_metrics")
    return _document(
        doc_id=f"x:{tweet_id}",
        kind=DocKind.POST,
        source="x",
        channel="x",
        author=_optional(item, "author_id"),
        created_at=_iso(item.get("created_at"), "created_at"),
        title=None,
        text=_field(item, "text"),
        url=f"https://x.com/{username or 'i'}/status/{tweet_id}",
        lang=_optional(item, "lang"),
        # impression_count (views) sits in public_metrics too; engagement counts interactions only
        engagement=sum(_count(v) for k, v in metrics.items() if k not in _X_NOT_ENGAGEMENT),
    )


_X_NOT_ENGAGEMENT = frozenset({"impression_count"})


def _telegram(item: dict[str, Any], context: dict[str, Any]) -> Row:
    chat = _field(item, "chat", dict)
    username = _field(chat, "username")
    message_id = _field(item, "message_id", int)
    text = _optional(item, "text") or _optional(item, "caption")
    if text is None:
        raise BadRecord("missing field: text")
    return _document(
        doc_id=f"telegram:{username}/{message_id}",
        kind=DocKind.POST,
        source="telegram",
        channel=username,
        author=username,
        created_at=_unix(item.get("date"), "date"),
        title=None,
        text=text,
        url=f"https://t.me/{username}/{message_id}",
        lang=None,
        engagement=_count(item.get("views")),
    )


def _facebook(item: dict[str, Any], context: dict[str, Any]) -> Row:
    sender = _object(item, "from")
    shares = _object(item, "shares")
    summary = _object(_object(item, "reactions"), "summary")
    return _document(
        doc_id=f"facebook:{_field(item, 'id')}",
        kind=DocKind.POST,
        source="facebook",
        channel=_optional(context, "page") or _optional(sender, "name") or "facebook",
        author=_optional(sender, "id"),
        created_at=_iso(item.get("created_time"), "created_time"),
        title=None,
        text=_field(item, "message"),
        url=_optional(item, "permalink_url"),
        lang=None,
        engagement=_count(shares.get("count")) + _count(summary.get("total_count")),
    )


def _instagram(item: dict[str, Any], context: dict[str, Any]) -> Row:
    hashtag = _optional(context, "hashtag")
    return _document(
        doc_id=f"instagram:{_field(item, 'id')}",
        kind=DocKind.POST,
        source="instagram",
        channel=f"#{hashtag}" if hashtag else "instagram",
        author=None,  # hashtag search does not expose the author
        created_at=_iso(item.get("timestamp"), "timestamp"),
        title=None,
        text=_field(item, "caption"),
        url=_optional(item, "permalink"),
        lang=None,
        engagement=_count(item.get("like_count")) + _count(item.get("comments_count")),
    )


def _news(item: dict[str, Any], context: dict[str, Any]) -> Row:
    outlet = _field(context, "outlet")
    guid = _optional(item, "id") or _field(item, "link")
    digest = hashlib.sha1(guid.encode()).hexdigest()[:16]
    published = item.get("published") or item.get("updated")  # Atom may have only <updated>
    if published is None:
        raise BadRecord("missing field: published")
    return _document(
        doc_id=f"news:{outlet}:{digest}",
        kind=DocKind.NEWS,
        source="news",
        channel=outlet,
        author=None,
        created_at=_rfc822(published, "published"),
        title=_plain(_field(item, "title")),
        text=_plain(_optional(item, "summary") or ""),
        url=_optional(item, "link"),
        lang=None,
        engagement=0,
    )


def _finnhub_news(item: dict[str, Any], context: dict[str, Any]) -> Row:
    return _document(
        doc_id=f"finnhub:{_field(item, 'id', int)}",
        kind=DocKind.NEWS,
        source="finnhub",
        channel=_optional(item, "source") or "finnhub",
        author=None,
        created_at=_unix(item.get("datetime"), "datetime"),
        title=_plain(_field(item, "headline")),
        text=_plain(_optional(item, "summary") or ""),
        url=_optional(item, "url"),
        lang=None,
        engagement=0,
    )


def _alphavantage_news(item: dict[str, Any], context: dict[str, Any]) -> Row:
    url = _field(item, "url")
    stamp = _field(item, "time_published")
    try:
        created = datetime.strptime(stamp[:15], "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        raise BadRecord(f"bad time_published: {stamp[:40]}") from None
    return _document(
        doc_id=f"alphavantage:{hashlib.sha1(url.encode()).hexdigest()[:16]}",
        kind=DocKind.NEWS,
        source="alphavantage",
        channel=_optional(item, "source") or "alphavantage",
        author=None,
        created_at=created,
        title=_plain(_field(item, "title")),
        text=_plain(_optional(item, "summary") or ""),
        url=url,
        lang=None,
        engagement=0,
        provider_sentiment=_published_score(item.get("overall_sentiment_score")),
    )


def _published_score(value: Any) -> float | None:
    """A provider's published sentiment score if it is a number in [-1, 1], else None.

    A missing or odd score does not quarantine the article: ours is computed anyway.
    """
    try:
        score = float(value)
    except (TypeError, ValueError):
        return None
    return score if -1.0 <= score <= 1.0 else None  # NaN fails both comparisons


DOCUMENT_MAPPERS: dict[str, Callable[[dict[str, Any], dict[str, Any]], Row]] = {
    "reddit": _reddit,
    "x": _x,
    "telegram": _telegram,
    "facebook": _facebook,
    "instagram": _instagram,
    "news": _news,
    "finnhub": _finnhub_news,
    "alphavantage": _alphavantage_news,
}

_RESOLUTIONS = {"1": "1m", "5": "5m", "15": "15m", "30": "30m", "60": "1h", "D": "1d"}


def _finnhub_candles(item: dict[str, Any], context: dict[str, Any]) -> list[Row]:
    """Finnhub's ``/stock/candle`` body (``s``, ``t``, ``o``, ``h``, ``l``, ``c``, ``v`` arrays)."""
    asset_id = _field(context, "asset_id")
    interval = _RESOLUTIONS.get(str(context.get("resolution", "60")), "1h")
    status = _field(item, "s")
    if status == "no_data":
        return []
    if status != "ok":
        raise BadRecord(f"unexpected candle status: {status}")
    series = {k: _field(item, k, list) for k in ("t", "o", "h", "l", "c", "v")}
    if len({len(v) for v in series.values()}) != 1:
        raise BadRecord("candle arrays of different lengths")
    bars = []
    for t, o, h, low, c, v in zip(*series.values(), strict=True):
        values = (o, h, low, c, v)
        if not all(isinstance(x, int | float) and not isinstance(x, bool) for x in values):
            raise BadRecord("wrong type: candle value")
        bars.append(
            {
                "asset_id": asset_id,
                "ts": _unix(t, "t"),
                "interval": interval,
                "open": float(o),
                "high": float(h),
                "low": float(low),
                "close": float(c),
                "volume": float(v),
            }
        )
    return bars


def _alphavantage_series(item: dict[str, Any], context: dict[str, Any]) -> list[Row]:
    """Any Alpha Vantage ``Time Series …`` body: intraday (in its Meta Data time zone) or daily."""
    asset_id = _field(context, "asset_id")
    keys = [k for k in item if k.startswith("Time Series")]
    if len(keys) != 1 or not isinstance(item[keys[0]], dict):
        raise BadRecord("no single Time Series in the body")
    meta = _object(item, "Meta Data")
    zone_name = next((v for k, v in meta.items() if k.endswith("Time Zone")), "UTC")
    try:
        zone = ZoneInfo(str(zone_name))
    except (ValueError, KeyError):
        raise BadRecord(f"unknown time zone {zone_name!r}") from None
    daily = "Daily" in keys[0]
    bars = []
    for stamp, values in item[keys[0]].items():
        if not isinstance(values, dict):
            raise BadRecord("wrong type: series point")
        bars.append(_av_bar(asset_id, str(stamp), values, zone, daily))
    return bars


def _av_bar(asset_id: str, stamp: str, values: dict[str, Any], zone: ZoneInfo, daily: bool) -> Row:
    def number(name: str, default: float | None = None) -> float:
        for key, value in values.items():
            if key.split(". ", 1)[-1].startswith(name):
                try:
                    return float(value)
                except (TypeError, ValueError):
                    break
        if default is not None:
            return default
        raise BadRecord(f"missing or bad {name} at {stamp[:20]}")

    try:
        if daily:
            ts = datetime.strptime(stamp[:10], "%Y-%m-%d").replace(tzinfo=UTC)
        else:
            local = datetime.strptime(stamp[:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=zone)
            ts = local.astimezone(UTC)
    except ValueError:
        raise BadRecord(f"bad series time {stamp[:20]!r}") from None
    return {
        "asset_id": asset_id,
        "ts": ts,
        "interval": "1d" if daily else "1h",
        "open": number("open"),
        "high": number("high"),
        "low": number("low"),
        "close": number("close"),
        "volume": number("volume", default=0.0),  # FX series have no volume
    }


_IB_BAR_SIZES = {"1 hour": "1h", "1 day": "1d", "5 mins": "5m", "1 min": "1m"}


def _ibkr_bars(item: dict[str, Any], context: dict[str, Any]) -> list[Row]:
    """The ``{"bars": [...]}`` item the IBKR source lands (see ``sources.ibkr.bar_item``)."""
    asset_id = _field(context, "asset_id")
    interval = _IB_BAR_SIZES.get(str(context.get("bar_size")))
    if interval is None:
        raise BadRecord(f"unknown bar size {context.get('bar_size')!r}")
    rows = []
    for bar in _field(item, "bars", list):
        if not isinstance(bar, dict):
            raise BadRecord("wrong type: bar")
        stamp = str(bar.get("date"))
        ts = (
            datetime.fromisoformat(stamp).replace(tzinfo=UTC)
            if len(stamp) == 10
            else _iso(stamp, "date")
        )
        values: list[float] = []
        for key in ("open", "high", "low", "close"):
            value = bar.get(key)
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise BadRecord(f"wrong type: bar {key}")
            values.append(float(value))
        volume = bar.get("volume")
        rows.append(
            {
                "asset_id": asset_id, "ts": ts, "interval": interval,
                "open": values[0], "high": values[1], "low": values[2], "close": values[3],
                "volume": float(volume) if isinstance(volume, int | float) else 0.0,
            }
        )  # fmt: skip
    return rows


PRICE_MAPPERS: dict[str, Callable[[dict[str, Any], dict[str, Any]], list[Row]]] = {
    "prices": _finnhub_candles,  # the simulated world lands Finnhub's candle shape
    "finnhub": _finnhub_candles,
    "alphavantage": _alphavantage_series,
    "ibkr": _ibkr_bars,
}
"""Source → mapping of one landed price item to bar rows (without ``source``)."""
