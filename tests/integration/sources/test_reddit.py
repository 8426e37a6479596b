"""The Reddit connector against a local HTTP server speaking Reddit's documented formats."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from pytest_httpserver import HTTPServer

from tickerpulse.config import Settings
from tickerpulse.enrich.normalize import normalize_documents
from tickerpulse.sources.base import Cursor, Page
from tickerpulse.sources.http import AuthError, BadResponse, HttpClient, SourceError
from tickerpulse.sources.reddit import RedditSource, build, missing_credentials

FIXTURES = Path(__file__).parents[2] / "fixtures" / "reddit"
UNTIL = datetime(2026, 1, 2, 12, tzinfo=UTC)
USER_AGENT = "python:tickerpulse-tests:0.1 (by /u/tickerpulse)"
BASIC = "Basic " + base64.b64encode(b"reddit-id:reddit-secret").decode()
FIRST_PAGE = {"limit": "100", "raw_json": "1"}


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def token(value: str) -> dict[str, Any]:
    return {**fixture("token.json"), "access_token": value}


def bearer(value: str = "tok-1") -> dict[str, str]:
    return {"Authorization": f"bearer {value}", "User-Agent": USER_AGENT}


def after(name: str) -> dict[str, str]:
    return {**FIRST_PAGE, "after": name}


@pytest.fixture
def reddit_sleeps() -> list[float]:
    return []


@pytest.fixture
def reddit_settings(httpserver: HTTPServer) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        reddit_client_id="reddit-id",
        reddit_client_secret="reddit-secret",  # type: ignore[arg-type]
        reddit_user_agent=USER_AGENT,
        reddit_subreddits=["stocks"],
        reddit_api_url=httpserver.url_for("/"),
        reddit_auth_url=httpserver.url_for("/api/v1/access_token"),
    )


@pytest.fixture
def reddit_source(reddit_settings: Settings, reddit_sleeps: list[float]) -> Iterator[RedditSource]:
    client = HttpClient("reddit", sleep=reddit_sleeps.append, clock=lambda: 1_000.0)
    yield RedditSource(reddit_settings, client)
    client.close()


def serve_token(httpserver: HTTPServer, value: str = "tok-1") -> None:
    httpserver.expect_request(
        "/api/v1/access_token",
        method="POST",
        headers={"Authorization": BASIC},
        data="grant_type=client_credentials",
    ).respond_with_json(token(value))


def serve_stocks(httpserver: HTTPServer, new_page1: Any = None) -> None:
    """Two pages of r/stocks/new (the second reaches the look-back floor), one of comments."""
    serve_token(httpserver)
    listing = httpserver.expect_request
    listing("/r/stocks/new", headers=bearer(), query_string=FIRST_PAGE).respond_with_json(
        new_page1 or fixture("new_page1.json")
    )
    listing("/r/stocks/new", headers=bearer(), query_string=after("t3_1hq0a03")).respond_with_json(
        fixture("new_page2.json")
    )
    listing("/r/stocks/comments", headers=bearer(), query_string=FIRST_PAGE).respond_with_json(
        fixture("comments_page1.json")
    )


def lines_of(pages: list[Page]) -> list[bytes]:
    return [line for page in pages for line in page.lines]


def names(lines: list[bytes]) -> list[str]:
    return [orjson.loads(line)["item"]["data"]["name"] for line in lines]


ALL_NAMES = [
    "t3_1hq0a05", "t3_1hq0a04", "t3_1hq0a03", "t3_1hq0a02", "t3_1hq0a01",
    "t1_m4x0c03", "t1_m4x0c02", "t1_m4x0c01",
]  # fmt: skip


def test_pages_follow_after_until_the_look_back_floor(
    httpserver: HTTPServer, reddit_source: RedditSource
) -> None:
    serve_stocks(httpserver)
    pages = list(reddit_source.fetch({}, until=UNTIL))
    assert [len(page.lines) for page in pages] == [3, 2, 3]
    assert names(lines_of(pages)) == ALL_NAMES  # t3_1hq0a00 is older than one window: not landed
    contexts = [orjson.loads(line)["context"] for line in lines_of(pages)]
    assert contexts[0] == {"subreddit": "stocks", "listing": "new"}
    assert contexts[-1] == {"subreddit": "stocks", "listing": "comments"}
    cursors = [orjson.dumps(page.cursor, option=orjson.OPT_SORT_KEYS) for page in pages]
    assert len(set(cursors)) == len(cursors)  # every part gets its own name in the lake
    assert pages[0].cursor["streams"]["stocks/new"]["after"] == "t3_1hq0a03"
    assert pages[-1].cursor["streams"]["stocks/new"] == {
        "hw": [1767354600, "t3_1hq0a05"], "after": None, "top": None
    }  # fmt: skip


def test_landed_lines_normalise_into_documents(
    httpserver: HTTPServer, reddit_source: RedditSource
) -> None:
    serve_stocks(httpserver)
    batch = normalize_documents("reddit", lines_of(list(reddit_source.fetch({}, until=UNTIL))))
    rows = {row["doc_id"]: row for row in batch.table.to_pylist()}
    assert sorted(rows) == sorted(f"reddit:{name}" for name in ALL_NAMES if name != "t1_m4x0c01")
    post = rows["reddit:t3_1hq0a05"]
    assert post["created_at"] == UNTIL - timedelta(minutes=10)
    assert post["title"] == "NVDA earnings tonight, holding calls"
    assert post["text"] == "Anyone else long $NVDA?" and post["channel"] == "stocks"
    assert post["url"] == "https://www.reddit.com/r/stocks/comments/1hq0a05/x/"
    assert post["engagement"] == 12
    comment = rows["reddit:t1_m4x0c02"]
    assert comment["text"] == "Apple is overvalued imo" and comment["title"] is None
    assert comment["created_at"] == UNTIL - timedelta(minutes=90)
    assert comment["engagement"] == 3  # the parent post's num_comments is not the comment's
    removed = rows["reddit:t3_1hq0a02"]
    assert removed["title"] == "Microsoft guidance" and removed["text"] == ""
    assert [(q.reason, "t1_m4x0c01" in q.line) for q in batch.quarantined] == [("deleted", True)]


def test_resume_after_crash_between_pages_loses_and_duplicates_nothing(
    httpserver: HTTPServer, reddit_source: RedditSource
) -> None:
    serve_stocks(httpserver)
    run = reddit_source.fetch({}, until=UNTIL)
    first = next(run)
    run.close()  # crash: page 1 is landed and its cursor saved, the rest never happens
    rest = list(reddit_source.fetch(first.cursor, until=UNTIL))
    landed = names(first.lines) + names(lines_of(rest))
    assert sorted(landed) == sorted(ALL_NAMES) and len(landed) == len(set(landed))
    resumed = [r for r, _ in httpserver.log if r.path == "/r/stocks/new"][-2:]
    assert [r.args.get("after") for r in resumed] == [None, "t3_1hq0a03"]  # no page re-read


def test_next_run_lands_only_items_above_the_high_water_mark(
    httpserver: HTTPServer, reddit_source: RedditSource
) -> None:
    page1 = fixture("new_page1.json")
    late = json.loads(json.dumps(page1["data"]["children"][0]))
    late["data"].update(name="t3_1hq0a06", id="1hq0a06", created_utc=UNTIL.timestamp() + 1800)
    page1["data"]["children"].insert(0, late)  # posted after the window being landed
    serve_stocks(httpserver, new_page1=page1)
    cursor: Cursor = {}
    for page in reddit_source.fetch({}, until=UNTIL):
        cursor = page.cursor
    assert "t3_1hq0a06" not in names(lines_of(list(reddit_source.fetch({}, until=UNTIL))))

    pages = list(reddit_source.fetch(cursor, until=UNTIL + timedelta(hours=6)))
    assert names(lines_of(pages)) == ["t3_1hq0a06"]  # the page stops at the old high-water mark
    assert pages[-1].cursor["streams"]["stocks/new"]["hw"] == [
        UNTIL.timestamp() + 1800,
        "t3_1hq0a06",
    ]
    assert list(reddit_source.fetch(pages[-1].cursor, until=UNTIL + timedelta(hours=6))) == []


def test_429_waits_for_retry_after_then_succeeds(
    httpserver: HTTPServer, reddit_source: RedditSource, reddit_sleeps: list[float]
) -> None:
    serve_token(httpserver)
    httpserver.expect_oneshot_request("/r/stocks/new").respond_with_data(
        "Too Many Requests", status=429, headers={"Retry-After": "7"}
    )
    httpserver.expect_request("/r/stocks/new").respond_with_json(fixture("malformed_new.json"))
    httpserver.expect_request("/r/stocks/comments").respond_with_json(fixture("empty_listing.json"))
    pages = list(reddit_source.fetch({}, until=UNTIL))
    assert reddit_sleeps == [7.0]
    assert len(lines_of(pages)) == 2


def test_5xx_backs_off_then_succeeds(
    httpserver: HTTPServer, reddit_source: RedditSource, reddit_sleeps: list[float]
) -> None:
    serve_token(httpserver)
    httpserver.expect_oneshot_request("/r/stocks/comments").respond_with_data(
        "<html>502 Bad Gateway</html>", status=502, content_type="text/html"
    )
    httpserver.expect_request("/r/stocks/new").respond_with_json(fixture("empty_listing.json"))
    httpserver.expect_request("/r/stocks/comments").respond_with_json(
        fixture("comments_page1.json")
    )
    pages = list(reddit_source.fetch({}, until=UNTIL))
    assert len(reddit_sleeps) == 1 and 0.5 <= reddit_sleeps[0] <= 1.0  # jittered first backoff
    assert names(lines_of(pages)) == ["t1_m4x0c03", "t1_m4x0c02", "t1_m4x0c01"]


def test_exhausted_rate_limit_pauses_until_reset(
    httpserver: HTTPServer, reddit_source: RedditSource, reddit_sleeps: list[float]
) -> None:
    serve_token(httpserver)
    httpserver.expect_request("/r/stocks/new").respond_with_json(
        fixture("empty_listing.json"),
        headers={
            "X-Ratelimit-Used": "100",
            "X-Ratelimit-Remaining": "0",
            "X-Ratelimit-Reset": "42",
        },
    )
    httpserver.expect_request("/r/stocks/comments").respond_with_json(fixture("empty_listing.json"))
    list(reddit_source.fetch({}, until=UNTIL))
    assert reddit_sleeps == [42.0]


def test_malformed_item_is_landed_and_quarantined(
    httpserver: HTTPServer, reddit_source: RedditSource
) -> None:
    serve_token(httpserver)
    httpserver.expect_request("/r/stocks/new").respond_with_json(fixture("malformed_new.json"))
    httpserver.expect_request("/r/stocks/comments").respond_with_json(fixture("empty_listing.json"))
    lines = lines_of(list(reddit_source.fetch({}, until=UNTIL)))
    assert len(lines) == 2  # the child that is not an object cannot be landed: skipped
    batch = normalize_documents("reddit", lines)
    assert batch.table.column("doc_id").to_pylist() == ["reddit:t3_1hq0b02"]
    assert [q.reason for q in batch.quarantined] == ["wrong type: created_utc"]


def test_expired_token_is_renewed_once(httpserver: HTTPServer, reddit_source: RedditSource) -> None:
    httpserver.expect_oneshot_request("/api/v1/access_token", method="POST").respond_with_json(
        token("tok-1")
    )
    serve_token(httpserver, "tok-2")
    httpserver.expect_request("/r/stocks/new", headers=bearer("tok-1")).respond_with_json(
        {"message": "Unauthorized", "error": 401}, status=401
    )
    for path in ("/r/stocks/new", "/r/stocks/comments"):
        httpserver.expect_request(path, headers=bearer("tok-2")).respond_with_json(
            fixture("empty_listing.json")
        )
    list(reddit_source.fetch({}, until=UNTIL))
    assert [r.path for r, _ in httpserver.log].count("/api/v1/access_token") == 2


def test_token_refused_after_renewal_raises_auth_error(
    httpserver: HTTPServer, reddit_source: RedditSource
) -> None:
    serve_token(httpserver)
    httpserver.expect_request("/r/stocks/new").respond_with_json(
        {"message": "Unauthorized", "error": 401}, status=401
    )
    with pytest.raises(AuthError, match=r"/r/stocks/new still refused with a fresh token"):
        list(reddit_source.fetch({}, until=UNTIL))
    assert [r.path for r, _ in httpserver.log].count("/api/v1/access_token") == 2


def test_wrong_client_secret_raises_auth_error(
    httpserver: HTTPServer, reddit_source: RedditSource
) -> None:
    httpserver.expect_request("/api/v1/access_token").respond_with_json(
        {"message": "Unauthorized", "error": 401}, status=401
    )
    with pytest.raises(AuthError, match="REDDIT_CLIENT_ID/REDDIT_CLIENT_SECRET refused"):
        list(reddit_source.fetch({}, until=UNTIL))


def test_empty_listings_land_nothing(httpserver: HTTPServer, reddit_source: RedditSource) -> None:
    serve_token(httpserver)
    for path in ("/r/stocks/new", "/r/stocks/comments"):
        httpserver.expect_request(path).respond_with_json(fixture("empty_listing.json"))
    pages = list(reddit_source.fetch({}, until=UNTIL))
    assert lines_of(pages) == []
    floor = (UNTIL - timedelta(hours=6)).timestamp()
    assert pages[-1].cursor["streams"]["stocks/comments"]["hw"] == [floor, ""]
    assert list(reddit_source.fetch(pages[-1].cursor, until=UNTIL)) == []


def test_html_instead_of_json_raises_bad_response(
    httpserver: HTTPServer, reddit_source: RedditSource
) -> None:
    serve_token(httpserver)
    httpserver.expect_request("/r/stocks/new").respond_with_data(
        (FIXTURES / "unavailable.html").read_text(), content_type="text/html"
    )
    with pytest.raises(BadResponse, match=r"expected JSON from GET .*/r/stocks/new, got text/html"):
        list(reddit_source.fetch({}, until=UNTIL))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"kind": "Listing", "data": {"after": None, "posts": []}}, "has no data.children"),
        ({"listing": {"children": []}}, "did not answer a Listing"),
    ],
)
def test_renamed_listing_fields_raise_bad_response(
    httpserver: HTTPServer, reddit_source: RedditSource, body: Any, message: str
) -> None:
    serve_token(httpserver)
    httpserver.expect_request("/r/stocks/new").respond_with_json(body)
    with pytest.raises(BadResponse, match=message):
        list(reddit_source.fetch({}, until=UNTIL))


def test_truncated_body_raises_bad_response(
    httpserver: HTTPServer, reddit_source: RedditSource
) -> None:
    serve_token(httpserver)
    text = (FIXTURES / "new_page1.json").read_text()
    httpserver.expect_request("/r/stocks/new").respond_with_data(
        text[: len(text) // 2], content_type="application/json"
    )
    with pytest.raises(BadResponse, match="expected JSON"):
        list(reddit_source.fetch({}, until=UNTIL))


def test_unknown_subreddit_redirect_raises_source_error(
    httpserver: HTTPServer, reddit_source: RedditSource
) -> None:
    serve_token(httpserver)
    httpserver.expect_request("/r/stocks/new").respond_with_data(
        "", status=302, headers={"Location": "/subreddits/search.json?q=stocks"}
    )
    httpserver.expect_request("/subreddits/search.json").respond_with_json(
        fixture("empty_listing.json")
    )
    with pytest.raises(SourceError, match="subreddit does not exist or was renamed"):
        list(reddit_source.fetch({}, until=UNTIL))


def test_check_gets_a_token_and_reads_the_first_subreddit(
    httpserver: HTTPServer, reddit_source: RedditSource
) -> None:
    serve_token(httpserver)
    httpserver.expect_request("/r/stocks/about", headers=bearer()).respond_with_json(
        fixture("about.json")
    )
    assert (
        reddit_source.check()
        == "token ok; r/stocks has 9214337 subscribers; 1 subreddits configured"
    )


def test_missing_credentials_names_the_environment_variables(reddit_settings: Settings) -> None:
    assert missing_credentials(reddit_settings) == []
    empty = reddit_settings.model_copy(
        update={"reddit_client_id": None, "reddit_client_secret": None}
    )
    assert missing_credentials(empty) == ["REDDIT_CLIENT_ID", "REDDIT_CLIENT_SECRET"]
    source = build(reddit_settings.model_copy(update={"source_request_budget": 3}))
    assert source.client.budget.limit == 3 and source.name == "reddit"
    source.client.close()


def test_resume_whose_anchor_was_deleted_restarts_from_the_newest(
    httpserver: HTTPServer, reddit_source: RedditSource
) -> None:
    serve_stocks(httpserver)
    run = reddit_source.fetch({}, until=UNTIL)
    first = next(run)
    run.close()
    # Meanwhile t3_1hq0a03 (the page token) was deleted and t3_1hq0a04 edited: Reddit answers
    # an empty page after a vanished anchor, and the newest page no longer holds the anchor.
    httpserver.clear()
    serve_token(httpserver)
    page1 = fixture("new_page1.json")
    edited = page1["data"]["children"][1]["data"]
    edited.update(selftext="AAPL looks strong (edit: sold)", edited=UNTIL.timestamp() - 60)
    page1["data"]["children"].pop(2)
    page1["data"]["after"] = "t3_1hq0a04"
    listing = httpserver.expect_request
    listing("/r/stocks/new", query_string=after("t3_1hq0a03")).respond_with_json(
        fixture("empty_listing.json")
    )
    listing("/r/stocks/new", query_string=FIRST_PAGE).respond_with_json(page1)
    listing("/r/stocks/new", query_string=after("t3_1hq0a04")).respond_with_json(
        fixture("new_page2.json")
    )
    listing("/r/stocks/comments").respond_with_json(fixture("comments_page1.json"))
    rest = list(reddit_source.fetch(first.cursor, until=UNTIL))
    landed = first.lines + lines_of(rest)
    assert set(names(landed)) == set(ALL_NAMES)  # nothing lost
    batch = normalize_documents("reddit", landed)
    assert batch.duplicates == 2  # t3_1hq0a05 and the edited t3_1hq0a04 were landed twice
    rows = {row["doc_id"]: row for row in batch.table.to_pylist()}
    assert rows["reddit:t3_1hq0a04"]["text"] == "AAPL looks strong"  # first line read wins
    assert rest[-1].cursor["streams"]["stocks/new"]["hw"] == [1767354600, "t3_1hq0a05"]
