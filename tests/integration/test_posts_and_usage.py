"""Editorial posts (sanitised, scheduled, by tier), usage counts and the admin console."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from tests.integration.outage import database_outage
from tests.integration.test_web_queries import seed_marts
from tests.web_helpers import add_user, csrf_of, platform_settings, sign_in
from tickerpulse.db.platform import UsageDaily
from tickerpulse.platform.usage import UsageRecorder
from tickerpulse.web.app import create_app

BODY = "Bitcoin **breaks out**.\n\n<script>alert(1)</script> [x](javascript:alert(2))"


def write(client: TestClient, **fields: str) -> str:
    token = csrf_of(client.get("/staff/posts").text)
    saved = client.post(
        "/staff/posts", data={**fields, "csrf_token": token}, follow_redirects=False
    )
    assert saved.status_code == 303, saved.text
    return saved.headers["location"].split("?")[0].rsplit("/", 1)[1]


def test_posts_are_sanitised_scheduled_and_locked_by_tier(engine: Engine) -> None:
    seed_marts(engine)
    add_user(engine, "editor@example.com", role="editor")
    add_user(engine, "free@example.com")
    add_user(engine, "pro@example.com", tier="pro")
    later = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    app = create_app(platform_settings(), engine)
    with TestClient(app) as editor, TestClient(app) as free, TestClient(app) as pro:
        sign_in(editor, "editor@example.com")
        sign_in(free, "free@example.com")
        sign_in(pro, "pro@example.com")
        open_id = write(
            editor, title="BTC breakout", body=BODY, min_tier="free", assets="crypto:BTC"
        )
        pro_id = write(
            editor, title="Deep dive", body="Only for Pro.", min_tier="pro", assets="crypto:BTC"
        )
        write(editor, title="Tomorrow", body="Soon.", min_tier="free", assets="crypto:BTC",
              publish_at=later)  # fmt: skip
        bad = editor.post(
            "/staff/posts",
            data={"title": "x", "body": "y", "min_tier": "free", "assets": "crypto:NOPE",
                  "csrf_token": csrf_of(editor.get("/staff/posts").text)},
        )  # fmt: skip
        assert bad.status_code == 400 and "Unknown asset id “crypto:NOPE”" in bad.text
        post = free.get(f"/posts/{open_id}").text
        assert "<strong>breaks out</strong>" in post
        assert "&lt;script&gt;alert(1)" in post and "<script>alert(1)" not in post
        assert 'href="javascript' not in post
        asset_free = free.get("/asset/crypto:BTC").text
        assert "BTC breakout" in asset_free and "Tomorrow" not in asset_free
        assert "For Pro readers" in asset_free and "Only for Pro." not in asset_free
        assert free.get(f"/posts/{pro_id}").status_code == 403
        assert "Only for Pro." in pro.get(f"/posts/{pro_id}").text
        assert free.get("/staff/posts").status_code == 403


def test_page_views_and_api_calls_are_counted_per_user_and_route(engine: Engine) -> None:
    seed_marts(engine)
    user_id = add_user(engine, "u@example.com", tier="premium")
    add_user(engine, "admin@example.com", role="admin")
    app = create_app(platform_settings(), engine)
    with TestClient(app) as client, TestClient(app) as admin:
        sign_in(client, "u@example.com")
        for asset in ("crypto:BTC", "stock:TSLA", "crypto:BTC"):
            client.get(f"/asset/{asset}")
        client.get("/")
        app.state.usage.flush()
        with Session(engine) as session:
            counts = {
                (r.route, r.kind): r.requests
                for r in session.scalars(select(UsageDaily).where(UsageDaily.user_id == user_id))
            }
        assert counts[("/asset/{asset_id}", "page")] == 3 and counts[("/", "page")] == 1
        sign_in(admin, "admin@example.com")
        console = admin.get("/admin")
    assert console.status_code == 200
    assert "Page views and API calls per day" in console.text and "u@example.com" in console.text
    assert 'id="admin-usage-figure"' in console.text


def test_injection_attempts_in_form_fields_are_inert(engine: Engine) -> None:
    add_user(engine, "victim@example.com")
    attacks = [
        "' OR '1'='1' --",
        "<script>alert(1)</script>@x.io",
        "a@b.co'; DROP TABLE app_user;--",
    ]
    with TestClient(create_app(platform_settings(), engine)) as client:
        for attack in attacks:
            for action, fields in (
                ("/login", {"email": attack, "password": attack}),
                ("/signup", {"email": attack, "password": attack + "xxxxxxxxxx"}),
                ("/forgot", {"email": attack}),
            ):
                token = csrf_of(client.get(action if action != "/forgot" else "/forgot").text)
                answer = client.post(action, data={**fields, "csrf_token": token})
                assert answer.status_code < 500
                assert "<script>alert(1)</script>" not in answer.text
        sign_in(client, "victim@example.com")  # the table and the account survived


def usage_rows(engine: Engine) -> dict[tuple[int, str], int]:
    with Session(engine) as session:
        return {(r.user_id, r.route): r.requests for r in session.scalars(select(UsageDaily))}


def test_counts_of_a_failed_flush_are_kept_and_written_when_the_database_is_back(
    engine: Engine, pg_admin_uri: str, database_url: str
) -> None:
    recorder = UsageRecorder(engine)
    for _ in range(3):
        recorder.record(user_id=0, route="/", kind="page")
    with database_outage(pg_admin_uri, database_url), pytest.raises(OperationalError):
        recorder.flush()
    recorder.record(user_id=0, route="/", kind="page")
    assert recorder.flush() == 1
    assert usage_rows(engine) == {(0, "/"): 4}
    assert recorder.flush() == 0 and usage_rows(engine) == {(0, "/"): 4}  # written once


def test_the_background_flush_retries_until_the_database_is_back(
    engine: Engine, pg_admin_uri: str, database_url: str
) -> None:
    recorder = UsageRecorder(engine, interval_s=0.1)
    recorder.start()
    try:
        with database_outage(pg_admin_uri, database_url):
            recorder.record(user_id=0, route="/news", kind="page")
            time.sleep(0.5)  # several flushes fail meanwhile
        deadline = time.monotonic() + 10
        while not usage_rows(engine) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        recorder.stop()
    assert usage_rows(engine) == {(0, "/news"): 1}


def test_shutdown_writes_the_counts_an_outage_held_back(
    engine: Engine, pg_admin_uri: str, database_url: str
) -> None:
    seed_marts(engine)
    app = create_app(platform_settings(), engine)
    with TestClient(app) as client:
        for _ in range(2):
            client.get("/news")
        with database_outage(pg_admin_uri, database_url), pytest.raises(OperationalError):
            app.state.usage.flush()
    # leaving the client ran the app's shutdown, which flushed what was waiting
    assert usage_rows(engine) == {(0, "/news"): 2}
