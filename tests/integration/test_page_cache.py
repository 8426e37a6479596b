"""Anonymous pages come from a short-lived cache, signed-in ones never; readers are remembered briefly."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session

from tests.web_helpers import HTML, OPEN_TIERS, add_user, csrf_of, platform_settings, sign_in
from tickerpulse.config import Settings
from tickerpulse.db.platform import UserSession
from tickerpulse.web.app import create_app
from tickerpulse.web.cache import CachedPage, PageCache

from .test_web_queries import seed_marts


def test_pages_expire_and_the_least_recently_used_go_first() -> None:
    now = [0.0]
    cache = PageCache(ttl=30, size=2, clock=lambda: now[0])
    cache.put("/a", CachedPage(200, [], b"a"))
    cache.put("/b", CachedPage(200, [], b"b"))
    assert cache.get("/a") is not None  # /a is now the most recently used
    cache.put("/c", CachedPage(200, [], b"c"))
    assert cache.get("/b") is None and cache.get("/a") is not None
    now[0] = 31
    assert cache.get("/a") is None and cache.get("/c") is None


def test_anonymous_views_are_cached_per_url_and_cookies_bypass_it(engine: Engine) -> None:
    seed_marts(engine)
    with TestClient(
        create_app(Settings(_env_file=None, tier_overrides=OPEN_TIERS), engine)
    ) as client:  # type: ignore[call-arg]
        first, second = client.get("/?period=24h"), client.get("/?period=24h")
        assert (first.headers["x-cache"], second.headers["x-cache"]) == ("miss", "hit")
        assert first.text == second.text and "server-timing" in second.headers
        assert client.get("/?period=7d").headers["x-cache"] == "miss"
        signed_in = client.get("/?period=24h", headers={"Cookie": "session=abc"})
        assert "x-cache" not in signed_in.headers and signed_in.status_code == 200
        assert "x-cache" not in client.get("/asset/stock:NOPE").headers  # a 404 is not kept


def test_the_cache_can_be_switched_off(engine: Engine) -> None:
    seed_marts(engine)
    settings = Settings(_env_file=None, tier_overrides=OPEN_TIERS, page_cache_seconds=0)  # type: ignore[call-arg]
    with TestClient(create_app(settings, engine)) as client:
        assert "x-cache" not in client.get("/").headers


def test_signed_in_readers_are_remembered_for_reads_and_looked_up_afresh_for_writes(
    engine: Engine,
) -> None:
    add_user(engine, "r@example.com")
    with TestClient(create_app(platform_settings(page_cache_seconds=30), engine)) as client:
        sign_in(client, "r@example.com")
        account = client.get("/account", headers=HTML)
        assert account.status_code == 200
        with Session(engine) as session:  # the session ends behind the app's back
            session.execute(delete(UserSession))
            session.commit()
        assert client.get("/account", headers=HTML).status_code == 200  # remembered (≤ 5 s)
        write = client.post(
            "/account/keys", data={"name": "k", "csrf_token": csrf_of(account.text)},
            headers=HTML, follow_redirects=False,
        )  # fmt: skip
        assert write.status_code in (303, 403)  # a write is looked up afresh: not signed in
        after = client.get("/account", headers=HTML, follow_redirects=False)
        assert after.status_code == 303  # and every remembered reader was forgotten
