"""Facebook source against a local HTTP server speaking the Graph API's Page posts format."""

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
from tickerpulse.sources.facebook import FacebookSource, build, missing_credentials
from tickerpulse.sources.http import AuthError, BadResponse, HttpClient

from .serving import serve_sequence

FIXTURES = Path(__file__).parents[2] / "fixtures" / "facebook"
TOKEN = "EAAG-secret-facebook-token-123"
PAGE = "marketwatchers"
POSTS = f"/v24.0/{PAGE}/posts"
UNTIL = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
ALL_IDS = ["104958162837_1003", "104958162837_1002", "104958162837_1001", "104958162837_1000"]


def fb_reply(server: HTTPServer, name: str, status: int = 200, **headers: str) -> Response:
    text = (FIXTURES / name).read_text()
    text = text.replace("{base}", server.url_for("").rstrip("/")).replace("{token}", TOKEN)
    kind = "text/html" if name.endswith(".html") else "application/json"
    return Response(text, status=status, headers=headers, content_type=kind)


def fb_serve_pages(server: HTTPServer, first: str = "posts_page1.json") -> None:
    """Page posts: the first page, then the page its ``next`` URL asks for."""
    pages = {None: first, "QVFIUnpage2": "posts_page2.json"}

    def handler(request: Request) -> Response:
        return fb_reply(server, pages[request.args.get("after")])

    server.expect_request(POSTS).respond_with_handler(handler)


@pytest.fixture
def fb_settings(httpserver: HTTPServer) -> Settings:
    return Settings(
        _env_file=None,
        graph_api_url=httpserver.url_for("").rstrip("/"),
        graph_api_version="v24.0",
        facebook_access_token=TOKEN,
        facebook_pages=[PAGE],
    )


@pytest.fixture
def fb_sleeps() -> list[float]:
    return []


@pytest.fixture
def fb_source(fb_settings: Settings, fb_sleeps: list[float]) -> Iterator[FacebookSource]:
    client = HttpClient("facebook", sleep=fb_sleeps.append)
    yield FacebookSource(fb_settings, client)
    client.close()


def landed_ids(pages: list[Page]) -> list[str]:
    return [orjson.loads(line)["item"]["id"] for page in pages for line in page.lines]


def all_lines(pages: list[Page]) -> list[bytes]:
    return [line for page in pages for line in page.lines]


def test_walks_every_page_newest_first_and_lands_posts_untouched(
    httpserver: HTTPServer, fb_source: FacebookSource
) -> None:
    fb_serve_pages(httpserver)
    pages = list(fb_source.fetch({}, until=UNTIL))

    assert landed_ids(pages) == ALL_IDS
    first = orjson.loads(pages[0].lines[0])
    assert first["context"] == {"page": PAGE}
    expected = orjson.loads((FIXTURES / "posts_page1.json").read_text())["data"][0]
    assert first["item"] == expected
    request = httpserver.log[0][0]
    assert request.args["access_token"] == TOKEN
    assert request.args["fields"] == (
        "id,message,created_time,permalink_url,from,shares,reactions.summary(true)"
    )
    assert request.args["since"] == str(int(datetime(2025, 3, 10, 6, tzinfo=UTC).timestamp()))
    assert pages[-1].cursor == {
        "pages": {PAGE: {"high": {"time": "2025-03-10T11:30:00+00:00", "ids": [ALL_IDS[0]]}}}
    }


def test_landed_posts_normalise_into_documents_and_a_post_without_message_is_quarantined(
    httpserver: HTTPServer, fb_source: FacebookSource
) -> None:
    fb_serve_pages(httpserver)
    batch = normalize_documents("facebook", all_lines(list(fb_source.fetch({}, until=UNTIL))))

    rows = batch.table.to_pylist()
    assert [r["doc_id"] for r in rows] == [f"facebook:{i}" for i in ALL_IDS[:3]]
    assert rows[0]["created_at"] == datetime(2025, 3, 10, 11, 30, tzinfo=UTC)
    assert rows[0]["text"].startswith("Apple earnings beat today, $AAPL up 4%")
    assert rows[0]["channel"] == PAGE
    assert rows[0]["engagement"] == 24
    assert [q.reason for q in batch.quarantined] == ["missing field: message"]
    assert "104958162837_1000" in batch.quarantined[0].line


def test_resume_after_crash_between_pages_loses_and_duplicates_nothing(
    httpserver: HTTPServer, fb_source: FacebookSource
) -> None:
    fb_serve_pages(httpserver)
    walk = fb_source.fetch({}, until=UNTIL)
    first = next(walk)
    walk.close()  # the process dies after page 1 is durable

    rest = list(fb_source.fetch(first.cursor, until=UNTIL))

    ids = landed_ids([first, *rest])
    assert ids == ALL_IDS
    saved = orjson.dumps(first.cursor).decode()
    assert "after=QVFIUnpage2" in saved
    assert TOKEN not in saved
    assert rest[-1].cursor["pages"][PAGE]["high"]["time"] == "2025-03-10T11:30:00+00:00"


def test_a_stale_paging_token_restarts_the_walk_under_the_old_mark(
    httpserver: HTTPServer, fb_source: FacebookSource
) -> None:
    fb_serve_pages(httpserver)
    stale = f"{httpserver.url_for('').rstrip('/')}{POSTS}?limit=2&after=STALE"
    httpserver.expect_request(POSTS, query_string={"limit": "2", "after": "STALE",
                                                   "access_token": TOKEN}).respond_with_json(
        {"error": {"message": "Invalid cursor", "type": "OAuthException", "code": 100}},
        status=400,
    )  # fmt: skip
    httpserver.handlers.insert(0, httpserver.handlers.pop())  # match the stale URL first
    cursor = {"pages": {PAGE: {"walk": {"next": stale, "top": None, "pages": 1}}}}

    pages = list(fb_source.fetch(cursor, until=UNTIL))

    assert [response.status_code for _, response in httpserver.log] == [400, 200, 200]
    assert landed_ids(pages) == ALL_IDS


def test_every_page_carries_a_distinct_cursor(
    httpserver: HTTPServer, fb_settings: Settings, fb_sleeps: list[float]
) -> None:
    fb_serve_pages(httpserver)
    httpserver.expect_request("/v24.0/otherpage/posts").respond_with_response(
        fb_reply(httpserver, "posts_newer.json")
    )
    settings = fb_settings.model_copy(update={"facebook_pages": [PAGE, "otherpage"]})
    with HttpClient("facebook", sleep=fb_sleeps.append) as client:
        pages = list(FacebookSource(settings, client).fetch({}, until=UNTIL))

    cursors = [orjson.dumps(p.cursor, option=orjson.OPT_SORT_KEYS) for p in pages]
    assert len(set(cursors)) == len(cursors) == 3
    assert orjson.loads(pages[-1].lines[0])["context"] == {"page": "otherpage"}


def test_next_run_lands_only_posts_newer_than_the_high_water_mark(
    httpserver: HTTPServer, fb_source: FacebookSource
) -> None:
    fb_serve_pages(httpserver)
    done = list(fb_source.fetch({}, until=UNTIL))[-1].cursor
    httpserver.clear()
    httpserver.expect_request(POSTS).respond_with_response(fb_reply(httpserver, "posts_newer.json"))

    later = list(fb_source.fetch(done, until=datetime(2025, 3, 10, 18, tzinfo=UTC)))

    assert landed_ids(later) == ["104958162837_1004"]
    assert httpserver.log[0][0].args["since"] == str(
        int(datetime(2025, 3, 10, 11, 30, tzinfo=UTC).timestamp())
    )


def test_posts_at_or_after_until_wait_for_the_next_run(
    httpserver: HTTPServer, fb_source: FacebookSource
) -> None:
    fb_serve_pages(httpserver)
    pages = list(fb_source.fetch({}, until=datetime(2025, 3, 10, 11, 0, tzinfo=UTC)))

    assert landed_ids(pages) == ALL_IDS[1:]
    assert pages[-1].cursor["pages"][PAGE]["high"]["time"] == "2025-03-10T10:45:00+00:00"


def test_429_waits_for_retry_after_then_succeeds(
    httpserver: HTTPServer, fb_source: FacebookSource, fb_sleeps: list[float]
) -> None:
    serve_sequence(
        httpserver,
        POSTS,
        [
            Response("", status=429, headers={"Retry-After": "7"}),
            fb_reply(httpserver, "posts_page2.json"),
        ],
    )
    pages = list(fb_source.fetch({}, until=UNTIL))

    assert fb_sleeps == [7.0]
    assert landed_ids(pages) == ALL_IDS[2:]


def test_5xx_backs_off_then_succeeds(
    httpserver: HTTPServer, fb_source: FacebookSource, fb_sleeps: list[float]
) -> None:
    serve_sequence(
        httpserver,
        POSTS,
        [Response("upstream error", status=502), fb_reply(httpserver, "posts_page2.json")],
    )
    pages = list(fb_source.fetch({}, until=UNTIL))

    assert len(fb_sleeps) == 1 and 0.5 <= fb_sleeps[0] <= 1.0
    assert landed_ids(pages) == ALL_IDS[2:]


def test_graph_throttling_with_http_403_is_retried_after_the_business_usage_estimate(
    httpserver: HTTPServer, fb_source: FacebookSource, fb_sleeps: list[float]
) -> None:
    usage = {"104958162837": [{"type": "pages", "call_count": 100, "total_cputime": 12,
                               "total_time": 15, "estimated_time_to_regain_access": 3}]}  # fmt: skip
    serve_sequence(
        httpserver,
        POSTS,
        [
            fb_reply(
                httpserver,
                "error_user_rate_limit.json",
                status=403,
                **{"X-Business-Use-Case-Usage": orjson.dumps(usage).decode()},
            ),
            fb_reply(httpserver, "posts_page2.json"),
        ],
    )
    pages = list(fb_source.fetch({}, until=UNTIL))

    assert fb_sleeps == [180.0]
    assert landed_ids(pages) == ALL_IDS[2:]


def test_expired_token_raises_auth_error_saying_how_to_renew_it(
    httpserver: HTTPServer, fb_source: FacebookSource, fb_sleeps: list[float]
) -> None:
    httpserver.expect_request(POSTS).respond_with_response(
        fb_reply(httpserver, "error_expired_token.json", status=400)
    )
    with pytest.raises(AuthError) as caught:
        list(fb_source.fetch({}, until=UNTIL))

    message = str(caught.value)
    assert "access token is expired or invalid" in message
    assert "190/463" in message
    assert "FACEBOOK_ACCESS_TOKEN" in message
    assert TOKEN not in message
    assert len(httpserver.log) == 1 and fb_sleeps == []


def test_no_new_posts_lands_nothing(httpserver: HTTPServer, fb_source: FacebookSource) -> None:
    httpserver.expect_request(POSTS).respond_with_response(fb_reply(httpserver, "posts_empty.json"))
    assert all_lines(list(fb_source.fetch({}, until=UNTIL))) == []


def test_html_instead_of_json_raises_bad_response(
    httpserver: HTTPServer, fb_source: FacebookSource
) -> None:
    httpserver.expect_request(POSTS).respond_with_response(fb_reply(httpserver, "maintenance.html"))
    with pytest.raises(BadResponse, match=r"expected JSON .* got text/html") as caught:
        list(fb_source.fetch({}, until=UNTIL))
    assert TOKEN not in str(caught.value)


def test_renamed_top_level_fields_raise_bad_response(
    httpserver: HTTPServer, fb_source: FacebookSource
) -> None:
    httpserver.expect_request(POSTS).respond_with_response(
        fb_reply(httpserver, "renamed_fields.json")
    )
    with pytest.raises(BadResponse, match=r"without a 'data' list .*paging, posts"):
        list(fb_source.fetch({}, until=UNTIL))


def test_next_url_on_another_host_is_refused_without_sending_the_token(
    httpserver: HTTPServer, fb_source: FacebookSource
) -> None:
    body = orjson.loads(fb_reply(httpserver, "posts_page1.json").get_data())
    body["paging"]["next"] = f"https://evil.example/v24.0/x/posts?access_token={TOKEN}&after=A"
    httpserver.expect_request(POSTS).respond_with_json(body)

    walk = fb_source.fetch({}, until=UNTIL)
    assert landed_ids([next(walk)]) == ALL_IDS[:2]
    with pytest.raises(BadResponse, match=r"evil\.example") as caught:
        next(walk)
    assert TOKEN not in str(caught.value)


def test_check_asks_me_with_the_token(httpserver: HTTPServer, fb_source: FacebookSource) -> None:
    httpserver.expect_request(
        "/v24.0/me", query_string={"fields": "id,name", "access_token": TOKEN}
    ).respond_with_response(fb_reply(httpserver, "me.json"))

    assert fb_source.check() == "token ok for Tickerpulse Reader; 1 Facebook pages configured"


def test_missing_credentials_names_the_environment_variables() -> None:
    assert missing_credentials(Settings(_env_file=None, facebook_pages=[])) == [
        "FACEBOOK_ACCESS_TOKEN",
        "FACEBOOK_PAGES",
    ]
    ready = Settings(_env_file=None, facebook_access_token="t", facebook_pages=["p"])
    assert missing_credentials(ready) == []
    assert build(ready).name == "facebook"
