"""The Telegram connector against a local server serving pages shaped like t.me/s/<channel>."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tickerpulse.config import Settings
from tickerpulse.enrich.normalize import normalize_documents
from tickerpulse.sources.base import Cursor, Page
from tickerpulse.sources.http import AuthError, HttpClient, SourceError
from tickerpulse.sources.telegram import (
    TelegramSource,
    build,
    missing_credentials,
    parse_count,
    parse_preview,
)

FIXTURES = Path(__file__).parents[2] / "fixtures" / "telegram"
UNTIL = datetime(2026, 3, 2, 12, tzinfo=UTC)
TOKEN = "123456:AAH-secret-bot-token"


def html(name: str) -> Response:
    return Response((FIXTURES / name).read_text(), content_type="text/html; charset=utf-8")


def serve_channel(server: HTTPServer, newest: str = "channel_newest.html") -> list[str | None]:
    """The channel's preview with ``before`` paging; returns the ``before`` values asked for."""
    asked: list[str | None] = []

    def handler(request: Request) -> Response:
        before = request.args.get("before")
        asked.append(before)
        return html(
            {None: newest, "101": "channel_before_101.html"}.get(before, "channel_before_95.html")
        )

    server.expect_request("/s/marketnews").respond_with_handler(handler)
    return asked


def source(
    server: HTTPServer, channels: list[str], sleeps: list[float] | None = None, **settings: Any
) -> TelegramSource:
    config = Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_channels=channels,
        telegram_web_url=server.url_for("").rstrip("/"),
        telegram_bot_api_url=server.url_for("").rstrip("/"),
        **settings,
    )
    slept = sleeps if sleeps is not None else []
    return TelegramSource(config, HttpClient("telegram", sleep=slept.append))


def items(pages: list[Page]) -> list[dict[str, Any]]:
    return [orjson.loads(line) for page in pages for line in page.lines]


def ids(pages: list[Page]) -> list[int]:
    return sorted(line["item"]["message_id"] for line in items(pages))


def test_view_counts_are_read_as_telegram_prints_them() -> None:
    assert [parse_count(v) for v in ("987", "1,204", "1.2K", "12.5K", "5M", "2B", "n/a")] == [
        987, 1204, 1200, 12500, 5_000_000, 2_000_000_000, None,
    ]  # fmt: skip


def test_a_page_gives_text_messages_oldest_first_and_skips_media_and_service_messages() -> None:
    page = parse_preview((FIXTURES / "channel_newest.html").read_text(), "marketnews")
    assert page.title == "Market News" and page.skipped == 2  # a photo and a service message
    assert [m.message_id for m in page.messages] == [101, 104, 105, 106]
    first = page.messages[0]
    assert first.text == "Breaking: $AAPL to announce buyback\nShares up 2% pre-market 🚀"
    assert first.views == 12500 and first.date == datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
    assert '<a href="https://example.com/eth"' in page.messages[1].html
    assert page.messages[3].text == "US open: S&P 500 flat, Nasdaq +0.3%"


def test_first_run_walks_back_one_window_and_leaves_newer_messages_for_later(
    httpserver: HTTPServer,
) -> None:
    asked = serve_channel(httpserver)
    pages = list(source(httpserver, ["marketnews"]).fetch({}, until=UNTIL))
    # 06:00-12:00: 97-101 and 104-105 (103 is a photo, 102 a service message, 106 is after noon)
    assert ids(pages) == [97, 98, 99, 100, 101, 104, 105]
    assert asked == [None, "101"]
    cursor = pages[-1].cursor
    assert cursor["channels"]["marketnews"] == {"high": 105}
    assert cursor["health"]["marketnews"]["last_error"] is None
    line = items(pages)[0]
    assert line["context"] == {"channel": "marketnews", "via": "web"}
    assert line["item"]["chat"] == {"username": "marketnews", "title": "Market News"}


def test_a_second_run_lands_only_messages_after_the_high_water_mark(httpserver: HTTPServer) -> None:
    serve_channel(httpserver, newest="channel_newer.html")
    telegram = source(httpserver, ["marketnews"])
    again = list(telegram.fetch({"channels": {"marketnews": {"high": 105}}}, until=UNTIL))
    assert ids(again) == []  # 106 and 107 are after noon
    later = list(telegram.fetch(again[-1].cursor, until=datetime(2026, 3, 2, 18, tzinfo=UTC)))
    assert ids(later) == [106, 107]
    assert later[-1].cursor["channels"]["marketnews"] == {"high": 107}


def test_a_crash_between_pages_resumes_at_the_next_page_without_loss_or_repeats(
    httpserver: HTTPServer,
) -> None:
    asked = serve_channel(httpserver)
    telegram = source(httpserver, ["marketnews"])
    walk: Iterator[Page] = telegram.fetch({}, until=UNTIL)
    first = next(walk)  # landed and its cursor stored; then the process dies
    stored: Cursor = json.loads(json.dumps(first.cursor))
    assert stored["channels"]["marketnews"]["walk"] == {"before": 101, "top": 105}
    rest = list(source(httpserver, ["marketnews"]).fetch(stored, until=UNTIL))
    assert ids([first]) + ids(rest) == [101, 104, 105, 97, 98, 99, 100]
    assert asked == [None, "101"] and rest[-1].cursor["channels"]["marketnews"] == {"high": 105}


def test_a_channel_without_public_preview_is_reported_and_the_others_still_land(
    httpserver: HTTPServer,
) -> None:
    serve_channel(httpserver)
    httpserver.expect_request("/s/privatedesk").respond_with_response(
        Response(status=302, headers={"Location": "/privatedesk"})
    )
    httpserver.expect_request("/privatedesk").respond_with_response(html("landing_no_preview.html"))
    pages = list(source(httpserver, ["privatedesk", "marketnews"]).fetch({}, until=UNTIL))
    health = pages[-1].cursor["health"]
    assert "'privatedesk' has no public web preview" in health["privatedesk"]["last_error"]
    assert health["marketnews"]["last_error"] is None and len(ids(pages)) == 7


def test_landed_messages_normalize_into_documents(httpserver: HTTPServer) -> None:
    serve_channel(httpserver)
    pages = list(source(httpserver, ["marketnews"]).fetch({}, until=UNTIL))
    batch = normalize_documents("telegram", [line for p in pages for line in p.lines])
    assert not batch.quarantined
    rows = {row["doc_id"]: row for row in batch.table.to_pylist()}
    tesla = rows["telegram:marketnews/105"]
    assert tesla["url"] == "https://t.me/marketnews/105" and tesla["engagement"] == 5_000_000
    assert tesla["created_at"] == datetime(2026, 3, 2, 11, 50, tzinfo=UTC)
    assert tesla["text"] == "Tesla recalls 20k vehicles; $TSLA -1% 📉"


def test_bot_api_channel_posts_land_with_the_offset_kept(httpserver: HTTPServer) -> None:
    serve_channel(httpserver)
    bot = f"/bot{TOKEN}/getUpdates"
    offsets: list[str | None] = []

    def updates(request: Request) -> Response:
        offsets.append(request.args.get("offset"))
        name = "bot_updates.json" if request.args.get("offset") is None else "bot_no_updates.json"
        return Response((FIXTURES / name).read_text(), content_type="application/json")

    httpserver.expect_request(bot).respond_with_handler(updates)
    telegram = source(httpserver, ["marketnews"], telegram_bot_token=TOKEN)
    pages = list(telegram.fetch({}, until=UNTIL))
    bot_lines = [i for i in items(pages) if i["context"]["via"] == "bot"]
    assert [i["item"]["message_id"] for i in bot_lines] == [77, 78]
    assert bot_lines[0]["context"]["channel"] == "deskalerts"
    assert pages[-1].cursor["bot_offset"] == 523003 and offsets == [None, "523003"]
    batch = normalize_documents("telegram", [orjson.dumps(i) for i in bot_lines])
    assert sorted(batch.table.column("text").to_pylist()) == [
        "$AMD upgraded to buy at Citi", "Chart: $SPY breaks resistance",
    ]  # fmt: skip


def test_a_refused_bot_token_never_appears_in_the_error(httpserver: HTTPServer) -> None:
    httpserver.expect_request(f"/bot{TOKEN}/getUpdates").respond_with_response(
        Response((FIXTURES / "bot_unauthorized.json").read_text(), status=401,
                 content_type="application/json")
    )  # fmt: skip
    telegram = source(httpserver, [], telegram_bot_token=TOKEN)
    with pytest.raises(AuthError) as refused:
        list(telegram.fetch({}, until=UNTIL))
    assert TOKEN not in str(refused.value) and "<token>" in str(refused.value)


def test_credentials_check_and_build(httpserver: HTTPServer) -> None:
    serve_channel(httpserver)
    assert missing_credentials(Settings(_env_file=None, telegram_channels=[])) == [  # type: ignore[call-arg]
        "TELEGRAM_CHANNELS"
    ]
    configured = Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_channels=["marketnews"],
        telegram_web_url=httpserver.url_for("").rstrip("/"),
    )
    assert missing_credentials(configured) == []
    assert "4 messages with text" in build(configured).check()
    with pytest.raises(SourceError, match="TELEGRAM_CHANNELS is empty"):
        source(httpserver, []).check()


def test_429_with_retry_after_and_a_5xx_are_waited_out(httpserver: HTTPServer) -> None:
    replies = [
        Response("slow down", status=429, headers={"Retry-After": "7"}),
        Response("bad gateway", status=502),
        html("channel_before_95.html"),  # an empty history: nothing to land
    ]
    httpserver.expect_request("/s/marketnews").respond_with_handler(lambda _: replies.pop(0))
    sleeps: list[float] = []
    pages = list(source(httpserver, ["marketnews"], sleeps).fetch({}, until=UNTIL))
    assert sleeps[0] == 7 and len(sleeps) == 2 and not replies
    assert ids(pages) == [] and pages[-1].cursor["channels"]["marketnews"] == {}
    assert pages[-1].cursor["health"]["marketnews"]["last_error"] is None


def test_a_bot_post_without_text_is_landed_and_quarantined_by_the_normalizer(
    httpserver: HTTPServer,
) -> None:
    body = json.loads((FIXTURES / "bot_updates.json").read_text())
    del body["result"][1]["channel_post"]["caption"]  # a bare photo
    answers = [body, {"ok": True, "result": []}]
    httpserver.expect_request(f"/bot{TOKEN}/getUpdates").respond_with_handler(
        lambda _: Response(json.dumps(answers.pop(0)), content_type="application/json")
    )
    pages = list(source(httpserver, [], telegram_bot_token=TOKEN).fetch({}, until=UNTIL))
    batch = normalize_documents("telegram", [line for p in pages for line in p.lines])
    assert batch.table.num_rows == 1 and [q.reason for q in batch.quarantined] == [
        "missing field: text"
    ]
