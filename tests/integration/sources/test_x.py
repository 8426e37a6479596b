"""The X connector against a local HTTP server speaking X API v2 recent search."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from pydantic import SecretStr
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tickerpulse.config import Settings
from tickerpulse.domain import AssetClass
from tickerpulse.enrich.normalize import normalize_documents
from tickerpulse.sources.base import Page
from tickerpulse.sources.http import AuthError, BadResponse, HttpClient
from tickerpulse.sources.x import (
    XSource,
    build,
    build_queries,
    cashtags,
    missing_credentials,
    query_id,
    start_walk,
)
from tickerpulse.universe import AssetInfo, Universe, load_universe

FIXTURES = Path(__file__).parents[2] / "fixtures" / "x"
SEARCH = "/tweets/search/recent"
TOKEN = "test-bearer-token"
NOW = datetime(2026, 1, 2, 12, 0, tzinfo=UTC)
UNTIL = NOW
PAGE2_TOKEN = "b26v89c19zqg8o3fpzbkk9kkcx9v43y9w6bhaw4k3yz5p"
NEWEST_ID = "2007056778654646277"
ALL_IDS = {t["id"] for page in ("search_page1.json", "search_page2.json")
           for t in json.loads((FIXTURES / page).read_text())["data"]}  # fmt: skip
X_UNIVERSE = Universe(
    (
        AssetInfo("stock:TSLA", "TSLA", AssetClass.STOCK, "Tesla"),
        AssetInfo("crypto:BTC", "BTC", AssetClass.CRYPTO, "Bitcoin"),
        AssetInfo("crypto:1INCH", "1INCH", AssetClass.CRYPTO, "1inch"),
    )
)
X_QUERY = "($BTC OR $TSLA) -is:retweet lang:en"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


class FakeX:
    """Recent search as X documents it: bearer auth, next_token pages, since_id polling."""

    def __init__(self) -> None:
        self.requests: list[dict[str, str]] = []

    def __call__(self, request: Request) -> Response:
        self.requests.append(dict(request.args))
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return json_response(fixture("unauthorized.json"), 401)
        if request.args.get("next_token") == PAGE2_TOKEN:
            return json_response(fixture("search_page2.json"))
        if request.args.get("since_id") == NEWEST_ID:
            return json_response(fixture("search_empty.json"))
        return json_response(fixture("search_page1.json"))


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status=status, headers=headers,
                    content_type="application/json")  # fmt: skip


@pytest.fixture
def x_sleeps() -> list[float]:
    return []


@pytest.fixture
def x_settings(httpserver: HTTPServer) -> Settings:
    return Settings(_env_file=None, x_bearer_token=TOKEN, x_api_url=httpserver.url_for("/"))  # type: ignore[call-arg]


@pytest.fixture
def x_source(x_settings: Settings, x_sleeps: list[float]) -> XSource:
    client = HttpClient("x", sleep=x_sleeps.append, clock=lambda: NOW.timestamp() + sum(x_sleeps))
    return XSource(x_settings, client, universe=X_UNIVERSE, clock=lambda: NOW)


@pytest.fixture
def fake_x(httpserver: HTTPServer) -> FakeX:
    fake = FakeX()
    httpserver.expect_request(SEARCH).respond_with_handler(fake)
    return fake


def lines_of(pages: list[Page]) -> list[bytes]:
    return [line for page in pages for line in page.lines]


def ids_of(lines: list[bytes]) -> list[str]:
    return [orjson.loads(line)["item"]["id"] for line in lines]


def test_walks_every_page_and_lands_tweets_that_normalise(x_source: XSource, fake_x: FakeX) -> None:
    pages = list(x_source.fetch({}, until=UNTIL))

    assert [len(p.lines) for p in pages] == [3, 2]
    batch = normalize_documents("x", lines_of(pages))
    rows = {r["doc_id"]: r for r in batch.table.to_pylist()}
    assert set(rows) == {f"x:{i}" for i in ALL_IDS} and not batch.quarantined
    newest = rows[f"x:{NEWEST_ID}"]
    assert newest["created_at"] == datetime(2026, 1, 2, 11, 50, tzinfo=UTC)
    assert newest["text"] == "$TSLA breaking out above 480, loading calls"
    assert newest["url"] == f"https://x.com/alice_trades/status/{NEWEST_ID}"
    assert newest["engagement"] == 2 + 1 + 40 + 0 + 1  # impressions are views, not engagement
    assert pages[-1].cursor == {"queries": {query_id(X_QUERY): {"since_id": NEWEST_ID}}}


def test_requests_carry_the_documented_parameters(x_source: XSource, fake_x: FakeX) -> None:
    list(x_source.fetch({}, until=UNTIL))

    first, second = fake_x.requests
    assert first == {
        "query": X_QUERY,
        "max_results": "100",
        "tweet.fields": "created_at,lang,public_metrics,author_id,entities",
        "expansions": "author_id",
        "user.fields": "username,name",
        "start_time": "2026-01-02T06:00:00Z",
        "end_time": "2026-01-02T11:59:30Z",
    }
    assert second == {**first, "next_token": PAGE2_TOKEN}


def test_each_page_names_its_author_in_the_context(x_source: XSource, fake_x: FakeX) -> None:
    (first, *_) = lines_of(list(x_source.fetch({}, until=UNTIL)))
    context = orjson.loads(first)["context"]
    assert context["author"] == {
        "id": "1466151234567890001", "name": "Alice Trades", "username": "alice_trades"
    }  # fmt: skip
    assert context["query_id"] == query_id(X_QUERY)


def test_resume_after_crash_between_pages_loses_and_repeats_nothing(
    x_source: XSource, fake_x: FakeX
) -> None:
    walk = x_source.fetch({}, until=UNTIL)
    first = next(walk)
    del walk  # the process dies after page 1 was landed and its cursor saved

    walking = first.cursor["queries"][query_id(X_QUERY)]
    assert walking["since_id"] is None and walking["walk"]["next_token"] == PAGE2_TOKEN
    assert walking["walk"]["newest_id"] == NEWEST_ID
    rest = list(x_source.fetch(first.cursor, until=datetime(2026, 1, 2, 18, tzinfo=UTC)))

    landed = ids_of(first.lines + lines_of(rest))
    assert sorted(landed) == sorted(ALL_IDS)
    assert fake_x.requests[-1]["start_time"] == "2026-01-02T06:00:00Z"  # walk bounds kept
    assert rest[-1].cursor["queries"][query_id(X_QUERY)] == {"since_id": NEWEST_ID}


def test_next_cycle_polls_with_since_id(x_source: XSource, fake_x: FakeX) -> None:
    done = list(x_source.fetch({}, until=UNTIL))[-1].cursor

    (page,) = x_source.fetch(done, until=UNTIL)

    assert page.lines == [] and page.cursor == done
    assert fake_x.requests[-1]["since_id"] == NEWEST_ID
    assert "start_time" not in fake_x.requests[-1]


def test_posts_at_or_below_the_high_water_are_never_landed(
    x_source: XSource, httpserver: HTTPServer
) -> None:
    httpserver.expect_request(SEARCH).respond_with_json(fixture("search_page2.json"))
    high_water = fixture("search_page2.json")["data"][0]["id"]  # the newer post on that page
    cursor = {"queries": {query_id(X_QUERY): {"since_id": high_water}}}

    (page,) = x_source.fetch(cursor, until=UNTIL)

    assert page.lines == []
    assert page.cursor["queries"][query_id(X_QUERY)] == {"since_id": high_water}


def test_the_high_water_never_moves_back(x_source: XSource, httpserver: HTTPServer) -> None:
    httpserver.expect_request(SEARCH).respond_with_json(fixture("search_page2.json"))
    high_water = NEWEST_ID  # newer than everything this (since_id-ignoring) server sends
    cursor = {"queries": {query_id(X_QUERY): {"since_id": high_water}}}

    (page,) = x_source.fetch(cursor, until=UNTIL)

    assert page.lines == [] and page.cursor == cursor


def test_a_changed_universe_starts_fresh_queries(x_settings: Settings, fake_x: FakeX) -> None:
    old = {"queries": {"0123456789ab": {"since_id": NEWEST_ID}}}
    source = XSource(x_settings, HttpClient("x"), universe=X_UNIVERSE, clock=lambda: NOW)

    pages = list(source.fetch(old, until=UNTIL))

    assert "since_id" not in fake_x.requests[0]
    assert set(pages[-1].cursor["queries"]) == {query_id(X_QUERY)}


def test_empty_results_advance_the_time_high_water(
    x_source: XSource, httpserver: HTTPServer
) -> None:
    httpserver.expect_request(SEARCH).respond_with_json(fixture("search_empty.json"))

    (page,) = x_source.fetch({}, until=UNTIL)

    assert page.lines == []
    state = page.cursor["queries"][query_id(X_QUERY)]
    assert state == {"since_id": None, "since_time": "2026-01-02T11:59:30Z"}


def test_429_waits_for_retry_after_then_succeeds(
    x_source: XSource, httpserver: HTTPServer, x_sleeps: list[float]
) -> None:
    httpserver.expect_oneshot_request(SEARCH).respond_with_json(
        fixture("too_many_requests.json"), status=429, headers={"retry-after": "7"}
    )
    httpserver.expect_request(SEARCH).respond_with_json(fixture("search_page2.json"))

    pages = list(x_source.fetch({}, until=UNTIL))

    assert x_sleeps == [7.0] and len(lines_of(pages)) == 2


def test_429_waits_for_x_rate_limit_reset_epoch(
    x_source: XSource, httpserver: HTTPServer, x_sleeps: list[float]
) -> None:
    reset = str(int(NOW.timestamp()) + 42)
    httpserver.expect_oneshot_request(SEARCH).respond_with_json(
        fixture("too_many_requests.json"), status=429,
        headers={"x-rate-limit-limit": "450", "x-rate-limit-remaining": "0",
                 "x-rate-limit-reset": reset},
    )  # fmt: skip
    httpserver.expect_request(SEARCH).respond_with_json(fixture("search_page2.json"))

    list(x_source.fetch({}, until=UNTIL))

    assert x_sleeps == [42.0]


def test_http_client_pauses_before_the_wall_x_announces(
    httpserver: HTTPServer, x_sleeps: list[float]
) -> None:
    reset = str(int(NOW.timestamp()) + 30)
    httpserver.expect_oneshot_request("/a").respond_with_json(
        {}, headers={"x-rate-limit-remaining": "0", "x-rate-limit-reset": reset}
    )
    httpserver.expect_request("/b").respond_with_json({})
    client = HttpClient("x", sleep=x_sleeps.append, clock=lambda: NOW.timestamp() + sum(x_sleeps))

    client.get_json(httpserver.url_for("/a"))
    assert x_sleeps == []
    client.get_json(httpserver.url_for("/b"))

    assert x_sleeps == [30.0]


def test_5xx_backs_off_then_succeeds(
    x_source: XSource, httpserver: HTTPServer, x_sleeps: list[float]
) -> None:
    httpserver.expect_oneshot_request(SEARCH).respond_with_data("upstream error", status=503)
    httpserver.expect_request(SEARCH).respond_with_json(fixture("search_page2.json"))

    pages = list(x_source.fetch({}, until=UNTIL))

    assert len(x_sleeps) == 1 and 0.5 <= x_sleeps[0] <= 1.0
    assert len(lines_of(pages)) == 2


def test_malformed_tweets_are_landed_and_quarantined(
    x_source: XSource, httpserver: HTTPServer
) -> None:
    httpserver.expect_request(SEARCH).respond_with_json(fixture("search_malformed.json"))

    lines = lines_of(list(x_source.fetch({}, until=UNTIL)))
    batch = normalize_documents("x", lines)

    assert len(lines) == 3 and batch.table.num_rows == 1
    assert batch.table.column("text").to_pylist() == ["$BTC ETF inflows strong again today"]
    assert sorted(q.reason for q in batch.quarantined) == [
        "missing field: text", "wrong type: created_at"
    ]  # fmt: skip


def test_invalid_token_raises_auth_error(x_settings: Settings, fake_x: FakeX) -> None:
    settings = x_settings.model_copy(update={"x_bearer_token": SecretStr("expired")})
    source = XSource(settings, HttpClient("x"), universe=X_UNIVERSE, clock=lambda: NOW)

    with pytest.raises(AuthError, match=r"x: 401 .* credentials refused or expired"):
        list(source.fetch({}, until=UNTIL))
    assert "expired" not in str(fake_x.requests)  # the token travels in a header only


@pytest.mark.parametrize(
    ("respond", "message"),
    [
        (lambda s: s.respond_with_data((FIXTURES / "maintenance.html").read_text(),
                                       content_type="text/html"), "expected JSON .* text/html"),
        (lambda s: s.respond_with_data('{"data": [{"id": "1"', content_type="application/json"),
         "expected JSON"),
        (lambda s: s.respond_with_json(fixture("renamed_fields.json")), "no 'meta' object"),
    ],
    ids=["html", "truncated", "renamed-fields"],
)  # fmt: skip
def test_unexpected_bodies_raise_bad_response(
    x_source: XSource, httpserver: HTTPServer, respond: Callable[[Any], None], message: str
) -> None:
    respond(httpserver.expect_request(SEARCH))

    with pytest.raises(BadResponse, match=message):
        list(x_source.fetch({}, until=UNTIL))


def test_check_runs_one_small_search(x_source: XSource, fake_x: FakeX) -> None:
    summary = x_source.check()

    assert summary == "token ok; 2 cashtags in 1 queries; a sample search returned 3 posts"
    assert len(fake_x.requests) == 1 and fake_x.requests[0]["max_results"] == "10"


def test_universe_splits_into_queries_within_the_limit() -> None:
    tags = cashtags(load_universe())
    queries = build_queries(tags, 512)

    assert len(queries) > 1 and all(len(q) <= 512 for q in queries)
    assert all(q.startswith("(") and q.endswith(") -is:retweet lang:en") for q in queries)
    in_queries = [t for q in queries for t in q.split(")")[0][1:].split(" OR ")]
    assert in_queries == [f"${t}" for t in tags]
    assert {"$TSLA", "$BTC", "$BRK.B"} <= set(in_queries) and "$1INCH" not in in_queries


def test_high_water_out_of_search_reach_restarts_at_the_reach() -> None:
    old_id = str((int(datetime(2025, 12, 1, tzinfo=UTC).timestamp() * 1000) - 1288834974657) << 22)

    params = start_walk({"since_id": old_id}, until=UNTIL, now=NOW)

    assert params == {"start_time": "2025-12-26T12:10:00Z", "end_time": "2026-01-02T11:59:30Z"}


def test_missing_credentials_and_build() -> None:
    assert missing_credentials(Settings(_env_file=None, x_bearer_token=None)) == ["X_BEARER_TOKEN"]  # type: ignore[call-arg]
    settings = Settings(_env_file=None, x_bearer_token=TOKEN, source_request_budget=3)  # type: ignore[call-arg]
    assert missing_credentials(settings) == []
    source = build(settings)
    assert source.name == "x" and source.client.budget.limit == 3
