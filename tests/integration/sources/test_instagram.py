"""Instagram source against a local HTTP server speaking the Graph API's hashtag search format."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tickerpulse.config import Settings
from tickerpulse.enrich.normalize import normalize_documents
from tickerpulse.sources.base import Page
from tickerpulse.sources.http import AuthError, BadResponse, HttpClient
from tickerpulse.sources.instagram import InstagramSource, build, missing_credentials

from .serving import serve_sequence

FIXTURES = Path(__file__).parents[2] / "fixtures" / "instagram"
TOKEN = "EAAG-secret-instagram-token-456"
IG_USER = "17841405309211844"
HASHTAG_ID = "17843826142012701"
SEARCH = "/v24.0/ig_hashtag_search"
MEDIA = f"/v24.0/{HASHTAG_ID}/recent_media"
UNTIL = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
LATER = datetime(2025, 3, 10, 15, 0, tzinfo=UTC)
WALKED = ["18034567890123456", "18034567890123455", "18034567890123454", "18034567890123453"]


def ig_reply(server: HTTPServer, name: str, status: int = 200, **headers: str) -> Response:
    text = (FIXTURES / name).read_text()
    text = text.replace("{base}", server.url_for("").rstrip("/")).replace("{token}", TOKEN)
    kind = "text/html" if name.endswith(".html") else "application/json"
    return Response(text, status=status, headers=headers, content_type=kind)


def ig_serve_search(server: HTTPServer) -> None:
    found = {"stocks": "hashtag_search_stocks.json", "nosuchtag": "hashtag_search_empty.json"}

    def handler(request: Request) -> Response:
        assert request.args["user_id"] == IG_USER
        return ig_reply(server, found[request.args["q"]])

    server.expect_request(SEARCH).respond_with_handler(handler)


def ig_serve_media(server: HTTPServer, first: Response | None = None) -> None:
    """Recent media: page 1 (or ``first``), then the pages their ``after`` cursors name."""
    pages = {
        "QVFIUmxtTXBage2": "recent_media_page2.json",
        "QVFIUmxtTXBage3": "recent_media_page3.json",
    }

    def handler(request: Request) -> Response:
        after = request.args.get("after")
        if after is None:
            return first or ig_reply(server, "recent_media_page1.json")
        return ig_reply(server, pages[after])

    server.expect_request(MEDIA).respond_with_handler(handler)


@pytest.fixture
def ig_settings(httpserver: HTTPServer) -> Settings:
    return Settings(
        _env_file=None,
        graph_api_url=httpserver.url_for("").rstrip("/"),
        graph_api_version="v24.0",
        instagram_access_token=TOKEN,
        instagram_user_id=IG_USER,
        instagram_hashtags=["#stocks"],
    )


@pytest.fixture
def ig_sleeps() -> list[float]:
    return []


@pytest.fixture
def ig_source(ig_settings: Settings, ig_sleeps: list[float]) -> Iterator[InstagramSource]:
    client = HttpClient("instagram", sleep=ig_sleeps.append)
    yield InstagramSource(ig_settings, client)
    client.close()


def landed_ids(pages: list[Page]) -> list[str]:
    return [orjson.loads(line)["item"]["id"] for page in pages for line in page.lines]


def all_lines(pages: list[Page]) -> list[bytes]:
    return [line for page in pages for line in page.lines]


def requested_afters(server: HTTPServer) -> list[str | None]:
    return [req.args.get("after") for req, _ in server.log if req.path == MEDIA]


def test_walks_recent_media_until_the_high_water_mark_and_caches_the_hashtag_id(
    httpserver: HTTPServer, ig_source: InstagramSource
) -> None:
    ig_serve_search(httpserver)
    ig_serve_media(httpserver)
    pages = list(ig_source.fetch({}, until=UNTIL))

    assert landed_ids(pages) == WALKED
    # page 3 holds nothing newer than the mark, so its ``next`` is not followed
    assert requested_afters(httpserver) == [None, "QVFIUmxtTXBage2", "QVFIUmxtTXBage3"]
    line = orjson.loads(pages[0].lines[0])
    assert line["context"] == {"hashtag": "stocks"}
    assert (
        line["item"] == orjson.loads((FIXTURES / "recent_media_page1.json").read_text())["data"][0]
    )
    first = httpserver.log[1][0]
    assert first.args["user_id"] == IG_USER
    assert first.args["access_token"] == TOKEN
    assert first.args["fields"] == (
        "id,caption,media_type,permalink,timestamp,like_count,comments_count"
    )
    assert pages[-1].cursor == {
        "hashtag_ids": {"stocks": HASHTAG_ID},
        "tags": {"stocks": {"high": {"time": "2025-03-10T11:40:00+00:00", "ids": [WALKED[0]]}}},
    }


def test_landed_media_normalise_and_media_without_caption_is_quarantined(
    httpserver: HTTPServer, ig_source: InstagramSource
) -> None:
    ig_serve_search(httpserver)
    ig_serve_media(httpserver)
    batch = normalize_documents("instagram", all_lines(list(ig_source.fetch({}, until=UNTIL))))

    rows = batch.table.to_pylist()
    assert [r["doc_id"] for r in rows] == [
        f"instagram:{i}" for i in (WALKED[0], WALKED[2], WALKED[3])
    ]
    assert rows[0]["created_at"] == datetime(2025, 3, 10, 11, 40, tzinfo=UTC)
    assert (
        rows[0]["text"] == "Bought more $MSFT on the dip today, long term hold #stocks #investing"
    )
    assert rows[0]["channel"] == "#stocks"
    assert rows[0]["engagement"] == 128
    assert [q.reason for q in batch.quarantined] == ["missing field: caption"]


def test_resume_after_crash_between_pages_loses_and_duplicates_nothing(
    httpserver: HTTPServer, ig_source: InstagramSource
) -> None:
    ig_serve_search(httpserver)
    ig_serve_media(httpserver)
    walk = ig_source.fetch({}, until=UNTIL)
    first = next(walk)
    walk.close()

    rest = list(ig_source.fetch(first.cursor, until=UNTIL))

    assert landed_ids([first, *rest]) == WALKED
    assert TOKEN not in orjson.dumps(first.cursor).decode()
    searches = [req for req, _ in httpserver.log if req.path == SEARCH]
    assert len(searches) == 1  # the resumed run took the hashtag id from the cursor


def test_next_run_lands_only_newer_media_without_searching_the_hashtag_again(
    httpserver: HTTPServer, ig_source: InstagramSource
) -> None:
    ig_serve_search(httpserver)
    ig_serve_media(httpserver)
    done = list(ig_source.fetch({}, until=UNTIL))[-1].cursor
    httpserver.clear()
    httpserver.expect_request(MEDIA).respond_with_response(
        ig_reply(httpserver, "recent_media_newer.json")
    )

    later = list(ig_source.fetch(done, until=datetime(2025, 3, 10, 18, tzinfo=UTC)))

    assert landed_ids(later) == ["18034567890123457"]
    assert [req.path for req, _ in httpserver.log] == [MEDIA]


def test_unknown_hashtag_is_skipped_and_the_others_still_land(
    httpserver: HTTPServer, ig_settings: Settings, ig_sleeps: list[float]
) -> None:
    ig_serve_search(httpserver)
    ig_serve_media(httpserver)
    settings = ig_settings.model_copy(update={"instagram_hashtags": ["nosuchtag", "stocks"]})
    with HttpClient("instagram", sleep=ig_sleeps.append) as client:
        pages = list(InstagramSource(settings, client).fetch({}, until=UNTIL))

    assert landed_ids(pages) == WALKED
    assert "nosuchtag" not in pages[-1].cursor["hashtag_ids"]


def test_429_waits_for_retry_after_then_succeeds(
    httpserver: HTTPServer, ig_source: InstagramSource, ig_sleeps: list[float]
) -> None:
    ig_serve_search(httpserver)
    serve_sequence(
        httpserver,
        MEDIA,
        [
            Response("", status=429, headers={"Retry-After": "12"}),
            ig_reply(httpserver, "recent_media_newer.json"),
        ],
    )
    pages = list(ig_source.fetch({}, until=LATER))

    assert ig_sleeps == [12.0]
    assert landed_ids(pages) == ["18034567890123457", "18034567890123456"]


def test_5xx_backs_off_then_succeeds(
    httpserver: HTTPServer, ig_source: InstagramSource, ig_sleeps: list[float]
) -> None:
    ig_serve_search(httpserver)
    serve_sequence(
        httpserver,
        MEDIA,
        [Response("", status=503), ig_reply(httpserver, "recent_media_newer.json")],
    )
    pages = list(ig_source.fetch({}, until=LATER))

    assert len(ig_sleeps) == 1 and 0.5 <= ig_sleeps[0] <= 1.0
    assert len(landed_ids(pages)) == 2


def test_graph_error_4_with_http_400_is_retried_after_the_business_usage_estimate(
    httpserver: HTTPServer, ig_source: InstagramSource, ig_sleeps: list[float]
) -> None:
    usage = {IG_USER: [{"type": "instagram", "call_count": 100, "total_cputime": 5,
                        "total_time": 9, "estimated_time_to_regain_access": 2}]}  # fmt: skip
    ig_serve_search(httpserver)
    serve_sequence(
        httpserver,
        MEDIA,
        [
            ig_reply(
                httpserver,
                "error_app_rate_limit.json",
                status=400,
                **{"X-Business-Use-Case-Usage": orjson.dumps(usage).decode()},
            ),
            ig_reply(httpserver, "recent_media_newer.json"),
        ],
    )
    pages = list(ig_source.fetch({}, until=LATER))

    assert ig_sleeps == [120.0]
    assert len(landed_ids(pages)) == 2


def test_full_app_usage_holds_off_the_next_request(
    httpserver: HTTPServer, ig_settings: Settings
) -> None:
    ig_serve_search(httpserver)
    usage = orjson.dumps({"call_count": 100, "total_cputime": 20, "total_time": 31}).decode()
    ig_serve_media(
        httpserver, first=ig_reply(httpserver, "recent_media_page1.json", **{"X-App-Usage": usage})
    )
    now = [1_741_600_000.0]
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    with HttpClient("instagram", sleep=sleep, clock=lambda: now[0]) as client:
        pages = list(InstagramSource(ig_settings, client).fetch({}, until=UNTIL))

    assert sleeps == [300.0]
    assert landed_ids(pages) == WALKED


def test_expired_token_raises_auth_error_saying_how_to_renew_it(
    httpserver: HTTPServer, ig_source: InstagramSource, ig_sleeps: list[float]
) -> None:
    httpserver.expect_request(SEARCH).respond_with_response(
        ig_reply(httpserver, "error_expired_token.json", status=400)
    )
    with pytest.raises(AuthError) as caught:
        list(ig_source.fetch({}, until=UNTIL))

    message = str(caught.value)
    assert "access token is expired or invalid" in message
    assert "INSTAGRAM_ACCESS_TOKEN" in message
    assert TOKEN not in message
    assert ig_sleeps == []


def test_no_recent_media_lands_nothing_but_keeps_the_hashtag_id(
    httpserver: HTTPServer, ig_source: InstagramSource
) -> None:
    ig_serve_search(httpserver)
    httpserver.expect_request(MEDIA).respond_with_response(
        ig_reply(httpserver, "recent_media_empty.json")
    )
    pages = list(ig_source.fetch({}, until=UNTIL))

    assert all_lines(pages) == []
    assert pages[-1].cursor == {"hashtag_ids": {"stocks": HASHTAG_ID}, "tags": {"stocks": {}}}


def test_html_instead_of_json_raises_bad_response(
    httpserver: HTTPServer, ig_source: InstagramSource
) -> None:
    ig_serve_search(httpserver)
    httpserver.expect_request(MEDIA).respond_with_response(ig_reply(httpserver, "maintenance.html"))
    with pytest.raises(BadResponse, match=r"expected JSON .* got text/html") as caught:
        list(ig_source.fetch({}, until=UNTIL))
    assert TOKEN not in str(caught.value)


def test_check_asks_me_with_the_token(httpserver: HTTPServer, ig_source: InstagramSource) -> None:
    httpserver.expect_request(
        "/v24.0/me", query_string={"fields": "id,name", "access_token": TOKEN}
    ).respond_with_response(ig_reply(httpserver, "me.json"))

    assert ig_source.check() == "token ok for Tickerpulse Reader; 1 Instagram hashtags configured"


def test_missing_credentials_names_the_environment_variables() -> None:
    assert missing_credentials(Settings(_env_file=None)) == [
        "INSTAGRAM_ACCESS_TOKEN",
        "INSTAGRAM_USER_ID",
    ]
    ready = Settings(_env_file=None, instagram_access_token="t", instagram_user_id="1")
    assert missing_credentials(ready) == []
    assert build(ready).name == "instagram"
