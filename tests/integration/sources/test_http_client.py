"""The shared HTTP client against a real local server: retries, rate limits, budget, errors."""

from __future__ import annotations

import json

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tickerpulse.sources.http import (
    AuthError,
    BadResponse,
    BudgetExhausted,
    HttpClient,
    RateLimited,
    RequestBudget,
    RetryPolicy,
    SourceError,
)


def client(server: HTTPServer, sleeps: list[float], **kwargs: object) -> HttpClient:
    return HttpClient("demo", base_url=server.url_for("/"), sleep=sleeps.append, **kwargs)  # type: ignore[arg-type]


def test_429_waits_for_retry_after_then_succeeds(httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request("/items").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "7"}
    )
    httpserver.expect_ordered_request("/items").respond_with_json({"ok": True})
    sleeps: list[float] = []
    assert client(httpserver, sleeps).get_json("/items") == {"ok": True}
    assert sleeps == [7.0]


def test_5xx_backs_off_with_jitter_then_succeeds(httpserver: HTTPServer) -> None:
    for status in (500, 503):
        httpserver.expect_ordered_request("/items").respond_with_data("oops", status=status)
    httpserver.expect_ordered_request("/items").respond_with_json([1, 2])
    sleeps: list[float] = []
    policy = RetryPolicy(backoff_base=2.0)
    assert client(httpserver, sleeps, policy=policy).get_json("/items") == [1, 2]
    assert len(sleeps) == 2
    assert 1.0 <= sleeps[0] <= 2.0 and 2.0 <= sleeps[1] <= 4.0


def test_gives_up_after_the_last_attempt(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/items").respond_with_data("down", status=502)
    sleeps: list[float] = []
    with pytest.raises(SourceError, match="gave up after 3 attempts: 502"):
        client(httpserver, sleeps, policy=RetryPolicy(attempts=3)).get_json("/items")
    assert len(sleeps) == 2


def test_unauthorised_fails_at_once_without_leaking_the_query(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/me").respond_with_json({"error": "invalid_token"}, status=401)
    sleeps: list[float] = []
    with pytest.raises(AuthError, match="credentials refused or expired") as caught:
        client(httpserver, sleeps).get_json("/me", params={"access_token": "s3cret"})
    assert "s3cret" not in str(caught.value)
    assert sleeps == []


def test_html_instead_of_json_is_a_bad_response(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/items").respond_with_data(
        "<!DOCTYPE html><html><body>Login</body></html>", content_type="text/html"
    )
    with pytest.raises(BadResponse, match=r"expected JSON .* got text/html"):
        client(httpserver, []).get_json("/items")


def test_truncated_json_is_a_bad_response(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/items").respond_with_data(
        json.dumps({"data": [1, 2, 3]})[:-4], content_type="application/json"
    )
    with pytest.raises(BadResponse, match="expected JSON"):
        client(httpserver, []).get_json("/items")


def test_exhausted_rate_limit_pauses_the_next_request(httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request("/a").respond_with_json(
        {}, headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": "42"}
    )
    httpserver.expect_ordered_request("/b").respond_with_json({})
    sleeps: list[float] = []
    now = [1000.0]
    http = client(httpserver, sleeps, clock=lambda: now[0])
    http.get_json("/a")
    assert sleeps == []
    http.get_json("/b")
    assert sleeps == [42.0]


def test_a_wait_longer_than_we_accept_stops_the_source(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/items").respond_with_data(
        "", status=429, headers={"Retry-After": "3600"}
    )
    with pytest.raises(RateLimited, match="wait 3600 s"):
        client(httpserver, [], policy=RetryPolicy(longest_wait=60)).get_json("/items")


def test_every_attempt_spends_the_budget(httpserver: HTTPServer) -> None:
    responses = iter([Response("x", status=500), Response("{}", content_type="application/json")])

    def handler(request: Request) -> Response:
        return next(responses)

    httpserver.expect_request("/items").respond_with_handler(handler)
    budget = RequestBudget(limit=2)
    http = client(httpserver, [], budget=budget)
    http.get_json("/items")
    assert budget.used == 2
    with pytest.raises(BudgetExhausted, match="budget of 2"):
        http.get_json("/items")
