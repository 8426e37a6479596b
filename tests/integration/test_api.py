"""The REST API: keys shown once and stored hashed, the pages' numbers, rate limits, OpenAPI."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from tests.integration.test_web_pages import table_rows
from tests.integration.test_web_queries import seed_marts
from tests.web_helpers import CACHES, add_user, csrf_of, platform_settings, sign_in
from tickerpulse.db.platform import ApiKey
from tickerpulse.platform.crypto import digest
from tickerpulse.web.app import create_app


def new_key(client: TestClient, name: str = "notebook") -> str:
    token = csrf_of(client.get("/account").text)
    page = client.post("/account/keys", data={"name": name, "csrf_token": token})
    assert page.status_code == 200
    found = re.search(r'id="api-key">(tp_[\w-]+)<', page.text)
    assert found, page.text
    return found.group(1)


@CACHES
def test_a_key_is_shown_once_stored_as_a_digest_and_revocable(
    engine: Engine, cache_seconds: float
) -> None:
    seed_marts(engine)
    add_user(engine, "k@example.com", tier="premium")
    settings = platform_settings(page_cache_seconds=cache_seconds)
    with TestClient(create_app(settings, engine)) as client:
        sign_in(client, "k@example.com")
        key = new_key(client)
        account = client.get("/account").text
        assert key not in account and key[3:15] in account  # the prefix only
        auth = {"authorization": f"Bearer {key}"}
        assert client.get("/api/v1/trending", headers=auth).status_code == 200
        assert client.get("/api/v1/trending", headers={"x-api-key": key}).status_code == 200
        revoke = re.search(r'action="(/account/keys/\w+/revoke)"', account)
        assert revoke
        client.post(revoke.group(1), data={"csrf_token": csrf_of(account)})
        assert client.get("/api/v1/trending", headers=auth).status_code == 401
    with Session(engine) as session:
        stored = session.scalars(select(ApiKey)).one()
    assert stored.key_hash == digest(key) and stored.revoked_at is not None


def test_the_api_returns_the_numbers_the_trending_page_shows(engine: Engine) -> None:
    seed_marts(engine)
    add_user(engine, "n@example.com", tier="premium")
    with TestClient(create_app(platform_settings(), engine)) as client:
        sign_in(client, "n@example.com")
        key = new_key(client)
        page = client.get("/").text
        api = client.get("/api/v1/trending", headers={"authorization": f"Bearer {key}"}).json()
        asset = client.get(
            "/api/v1/assets/crypto:BTC/windows?days=30", headers={"authorization": f"Bearer {key}"}
        ).json()
    rows = table_rows(page)
    assert [r["asset_id"] for r in api["rows"]] == [
        re.search(r"/asset/([\w:]+)", row).group(1)  # type: ignore[union-attr]
        for row in rows
    ]
    first = api["rows"][0]
    assert f">{first['mentions']}<" in rows[0]
    assert f"{first['sentiment_mean']:+.2f}" in rows[0]
    assert f"{first['return_pct'] * 100:+.2f} %" in rows[0]
    assert asset["symbol"] == "BTC" and asset["windows"][-1]["close"] is not None


def test_over_the_limit_answers_429_with_retry_after(engine: Engine) -> None:
    seed_marts(engine)
    add_user(engine, "r@example.com", tier="premium")
    settings = platform_settings(api_requests_per_minute={"premium": 3})
    with TestClient(create_app(settings, engine)) as client:
        sign_in(client, "r@example.com")
        auth = {"authorization": f"Bearer {new_key(client)}"}
        answers = [client.get("/api/v1/predictions", headers=auth) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers["x-ratelimit-remaining"] for a in answers] == ["2", "1", "0", "0"]
    assert int(answers[3].headers["retry-after"]) >= 1
    assert answers[0].headers["x-ratelimit-limit"] == "3"


def test_the_openapi_document_lists_every_route_with_its_errors(engine: Engine) -> None:
    with TestClient(create_app(platform_settings(), engine)) as client:
        spec = client.get("/api/v1/openapi.json").json()
        docs = client.get("/api/v1/docs")
    assert set(spec["paths"]) == {
        "/trending", "/assets/{asset_id}/windows", "/assets/{asset_id}/relation", "/news",
        "/predictions", "/search", "/movers", "/overview", "/authors", "/assets/{asset_id}/authors",
    }  # fmt: skip
    for path in spec["paths"].values():
        assert {"401", "403", "429"} <= set(path["get"]["responses"])
    assert docs.status_code == 200 and "GET /api/v1/trending" in docs.text
