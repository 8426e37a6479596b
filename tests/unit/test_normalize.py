import json
from datetime import UTC, datetime

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tickerpulse.enrich.normalize import guess_language, normalize_documents, normalize_prices


def line(item: object, context: object | None = None) -> bytes:
    return orjson.dumps(
        {"fetched_at": "2026-01-01T00:00:00+00:00", "context": context or {}, "item": item}
    )


REDDIT_POST = {"kind": "t3", "data": {
    "id": "abc", "name": "t3_abc", "subreddit": "stocks", "title": "$AAPL to the moon",
    "selftext": "", "author": "alice", "created_utc": 1767225600.0, "score": 10,
    "num_comments": 2, "permalink": "/r/stocks/comments/abc/"}}  # fmt: skip
TWEET = {"id": "190", "text": "Long $TSLA", "author_id": "7", "created_at": "2026-01-01T06:12:00.000Z",
         "lang": "en", "public_metrics": {"retweet_count": 1, "reply_count": 2, "like_count": 3,
                                          "quote_count": 4}}  # fmt: skip
TELEGRAM = {"message_id": 5, "date": 1767225600, "text": "BTC breakout",
            "chat": {"id": -100, "title": "Signals", "username": "signals", "type": "channel"}}  # fmt: skip
FACEBOOK = {"id": "1_2", "message": "Ford Motor strong", "created_time": "2026-01-01T06:00:00+0000",
            "permalink_url": "https://facebook.com/1/posts/2", "from": {"name": "Page", "id": "1"},
            "shares": {"count": 3}, "reactions": {"summary": {"total_count": 4}}}  # fmt: skip
INSTAGRAM = {"id": "178", "caption": "bitcoin 🚀 #crypto", "timestamp": "2026-01-01T06:00:00+0000",
             "permalink": "https://instagram.com/p/x/", "media_type": "IMAGE", "like_count": 9,
             "comments_count": 1}  # fmt: skip
NEWS = {"id": "https://r.example/a", "title": "Apple rallies", "link": "https://r.example/a",
        "summary": "Shares rose.", "published": "Thu, 01 Jan 2026 06:00:00 +0000"}  # fmt: skip


def test_reddit_post_maps_every_field() -> None:
    (row,) = normalize_documents("reddit", [line(REDDIT_POST)]).table.to_pylist()
    assert row["doc_id"] == "reddit:t3_abc" and row["kind"] == "post" and row["channel"] == "stocks"
    assert row["title"] == "$AAPL to the moon" and row["text"] == ""
    assert row["created_at"] == datetime(2026, 1, 1, tzinfo=UTC)
    assert row["url"] == "https://www.reddit.com/r/stocks/comments/abc/"
    assert row["engagement"] == 12 and len(row["author_hash"]) == 16


@pytest.mark.parametrize(
    ("source", "item", "context", "doc_id", "engagement"),
    [
        ("x", TWEET, {"author": {"id": "7", "username": "bob"}}, "x:190", 10),
        ("telegram", TELEGRAM, {}, "telegram:signals/5", 0),
        ("facebook", FACEBOOK, {"page": "Page"}, "facebook:1_2", 7),
        ("instagram", INSTAGRAM, {"hashtag": "crypto"}, "instagram:178", 10),
    ],
)
def test_each_provider_shape_normalises(
    source: str, item: dict[str, object], context: dict[str, object], doc_id: str, engagement: int
) -> None:
    (row,) = normalize_documents(source, [line(item, context)]).table.to_pylist()
    assert row["doc_id"] == doc_id and row["source"] == source
    assert row["engagement"] == engagement
    assert (
        row["created_at"].tzinfo is not None and row["created_at"].utcoffset().total_seconds() == 0
    )


def test_news_entry_uses_outlet_and_hashed_guid() -> None:
    (row,) = normalize_documents("news", [line(NEWS, {"outlet": "reuters"})]).table.to_pylist()
    assert (
        row["doc_id"].startswith("news:reuters:")
        and len(row["doc_id"]) == len("news:reuters:") + 16
    )
    assert row["kind"] == "news" and row["title"] == "Apple rallies"
    assert row["created_at"] == datetime(2026, 1, 1, 6, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b'{"item": {"kind": "t3", "da', "corrupt JSON"),
        (b"[1, 2]", "not a JSON object"),
        (line(None), "missing field: item"),
        (line({"kind": "t3", "data": {**REDDIT_POST["data"], "name": None}}), "missing field: name"),  # type: ignore[dict-item]
        (line({"kind": "t3", "data": {**REDDIT_POST["data"], "created_utc": "yesterday"}}), "wrong type: created_utc"),  # type: ignore[dict-item]
        (line({"kind": "t3", "data": {**REDDIT_POST["data"], "title": " ", "selftext": ""}}), "empty text"),  # type: ignore[dict-item]
        (line({"kind": "t1", "data": {**REDDIT_POST["data"], "body": "[deleted]"}}), "deleted"),  # type: ignore[dict-item]
        (line({"kind": "t3", "data": {**REDDIT_POST["data"], "title": "Heute habe ich Apple gekauft, der Markt steigt"}}), "language:de"),  # type: ignore[dict-item]
    ],
)  # fmt: skip
def test_bad_input_is_quarantined_with_its_reason(raw: bytes, reason: str) -> None:
    batch = normalize_documents("reddit", [raw])
    assert batch.table.num_rows == 0
    (item,) = batch.quarantined
    assert item.reason.startswith(reason) and item.source == "reddit"


def test_duplicates_are_dropped_and_counted() -> None:
    batch = normalize_documents("reddit", [line(REDDIT_POST)] * 3)
    assert batch.table.num_rows == 1 and batch.duplicates == 2 and batch.lines == 3


def test_tweet_language_from_the_provider_wins() -> None:
    spanish = {**TWEET, "lang": "es"}
    assert normalize_documents("x", [line(spanish)]).quarantined[0].reason == "language:es"
    emoji_only = {**TWEET, "lang": "und", "text": "$TSLA 🚀🚀"}
    assert normalize_documents("x", [line(emoji_only)]).table.num_rows == 1


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("$BTC 🚀🚀", "en"),
        ("AT&T earnings beat, very bullish", "en"),
        ("Compré más $TSLA hoy, el mercado está subiendo", "es"),
        ("Сегодня купил $BTC, рынок растёт", "ru"),
        ("今天买了更多的$NVDA，市场在上涨", "zh"),
        ("", "en"),
    ],
)
def test_guess_language(text: str, lang: str) -> None:
    assert guess_language(text) == lang


def test_candles_become_bars_and_no_data_is_empty() -> None:
    candle = {"c": [2.0, 3.0], "h": [2.5, 3.5], "l": [1.5, 2.5], "o": [1.8, 2.0],
              "t": [1767225600, 1767229200], "v": [10, 20], "s": "ok"}  # fmt: skip
    context = {"asset_id": "stock:AAPL", "symbol": "AAPL", "resolution": "60"}
    batch = normalize_prices("prices", [line(candle, context), line({"s": "no_data"}, context)])
    rows = batch.table.to_pylist()
    assert [r["close"] for r in rows] == [2.0, 3.0] and rows[0]["interval"] == "1h"
    assert rows[1]["ts"] == datetime(2026, 1, 1, 1, tzinfo=UTC) and not batch.quarantined
    broken = {**candle, "c": [2.0]}
    assert (
        normalize_prices("prices", [line(broken, context)])
        .quarantined[0]
        .reason.startswith("candle arrays")
    )


def test_a_market_data_source_gives_prices_only_its_lines_marked_as_price_feed() -> None:
    candle = {"c": [2.0], "h": [2.5], "l": [1.5], "o": [1.8], "t": [1767225600], "v": [10],
              "s": "ok"}  # fmt: skip
    context = {"asset_id": "stock:AAPL", "symbol": "AAPL", "resolution": "60"}
    lines = [line(candle, {**context, "feed": "prices"}), line(candle, context), b"{broken"]
    batch = normalize_prices("finnhub", lines)
    assert batch.lines == 1 and not batch.quarantined
    assert batch.table.to_pylist()[0]["source"] == "finnhub"


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.binary(max_size=200)
        | st.builds(line, st.dictionaries(st.text(max_size=5), st.text(max_size=5))),
        max_size=20,
    )
)
def test_arbitrary_bytes_never_raise_and_every_line_is_accounted_for(lines: list[bytes]) -> None:
    for source in ("reddit", "x", "telegram", "facebook", "instagram", "news"):
        batch = normalize_documents(source, lines)
        assert batch.table.num_rows + len(batch.quarantined) + batch.duplicates == len(lines)
    prices = normalize_prices("prices", lines)
    assert prices.lines == len(lines)
    assert all(q.reason and q.source == "prices" for q in prices.quarantined)


def reddit_with(**data: object) -> bytes:
    return line({"kind": "t3", "data": {**REDDIT_POST["data"], **data}})  # type: ignore[dict-item]


def test_control_characters_are_stripped_from_every_text_field_and_counted() -> None:
    raw = reddit_with(
        title="$AAPL\x00 to the moon",
        selftext="line one\nline\ttwo\x07\x1b",
        subreddit="sto\x00cks",
    )
    batch = normalize_documents("reddit", [raw])
    (row,) = batch.table.to_pylist()
    assert row["title"] == "$AAPL to the moon"
    assert row["text"] == "line one\nline\ttwo"
    assert row["channel"] == "stocks"
    assert batch.sanitized == 1 and not batch.quarantined


def test_lone_surrogates_are_stripped_not_the_whole_post() -> None:
    raw = line(REDDIT_POST).replace(b"to the moon", b"to the \\ud83d moon")
    batch = normalize_documents("reddit", [raw])
    (row,) = batch.table.to_pylist()
    assert row["title"] == "$AAPL to the  moon" and batch.sanitized == 1


def test_a_text_that_is_mostly_control_characters_is_quarantined_as_binary() -> None:
    binary = "".join(chr(c) for c in range(32)) * 20 + "$AAPL"
    batch = normalize_documents("reddit", [reddit_with(selftext=binary)])
    assert batch.table.num_rows == 0
    (item,) = batch.quarantined
    assert item.reason.startswith("binary text")


def test_a_text_over_the_size_cap_is_quarantined_with_its_size() -> None:
    huge = "$AAPL " * 20_000  # 120,000 characters
    batch = normalize_documents("reddit", [reddit_with(selftext=huge)], max_text_chars=100_000)
    assert batch.table.num_rows == 0
    (item,) = batch.quarantined
    assert item.reason == "text too long: 120,000 characters (limit 100,000)"
    small = normalize_documents("reddit", [reddit_with(selftext="$AAPL " * 100)])
    assert small.table.num_rows == 1


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_no_control_character_or_surrogate_survives_normalization(text: str) -> None:
    # the standard library's encoder writes lone surrogates as escapes (orjson refuses them)
    raw = json.dumps({"context": {}, "item": {**TWEET, "text": text}}).encode()
    batch = normalize_documents("x", [raw])
    for row in batch.table.to_pylist():
        for value in (row["text"], row["title"] or "", row["channel"], row["doc_id"]):
            assert not any(
                (ord(c) < 32 and c not in "\t\n\r") or 0xD800 <= ord(c) <= 0xDFFF for c in value
            )
