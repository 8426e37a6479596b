"""Who may see what: every route × {anonymous, free, pro, premium, admin}, CSRF, Free-tier limits."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from tests.integration.test_web_queries import WINDOWS, seed_marts, stat, weak_btc_relation
from tests.web_helpers import CACHES, HTML, add_user, platform_settings, sign_in
from tickerpulse.db.platform import User
from tickerpulse.platform import api_keys
from tickerpulse.universe import load_universe
from tickerpulse.web.app import create_app

ROLES = ("anonymous", "free", "pro", "premium", "admin")
OK, AUTH, GATED, MISSING = 200, 401, 403, 404
# Route → expected status per role, in ROLES order.
MATRIX = {
    "/": (OK, OK, OK, OK, OK),
    "/asset/crypto:BTC": (OK, OK, OK, OK, OK),
    "/pricing": (OK, OK, OK, OK, OK),
    "/search?q=btc": (OK, OK, OK, OK, OK),
    "/search/suggest?q=btc": (OK, OK, OK, OK, OK),
    "/export/trending.csv": (GATED, GATED, OK, OK, OK),
    "/export/asset/crypto:BTC/windows.csv": (GATED, GATED, OK, OK, OK),
    "/export/compare.csv?assets=BTC,TSLA": (GATED, GATED, OK, OK, OK),
    "/export/news-coverage.csv": (GATED, GATED, OK, OK, OK),
    "/export/predictions.csv": (GATED, GATED, GATED, OK, OK),
    "/export/watchlist.csv": (GATED, GATED, GATED, OK, OK),
    "/methodology": (OK, OK, OK, OK, OK),
    "/posts": (OK, OK, OK, OK, OK),
    "/news": (GATED, GATED, OK, OK, OK),
    "/compare?assets=BTC,TSLA": (GATED, GATED, OK, OK, OK),
    "/predictions": (GATED, GATED, GATED, OK, OK),
    "/watchlist": (GATED, GATED, GATED, OK, OK),
    "/alerts": (GATED, GATED, GATED, OK, OK),
    "/live": (GATED, GATED, GATED, OK, OK),
    "/live/stream": (GATED, GATED, GATED, OK, OK),
    "/movers": (OK, OK, OK, OK, OK),
    "/overview": (OK, OK, OK, OK, OK),
    "/authors": (GATED, GATED, GATED, OK, OK),
    "/asset/crypto:BTC/authors": (GATED, GATED, GATED, OK, OK),
    "/account": (AUTH, OK, OK, OK, OK),
    "/account/export": (AUTH, OK, OK, OK, OK),
    "/staff/posts": (AUTH, GATED, GATED, GATED, OK),
    "/admin": (AUTH, GATED, GATED, GATED, OK),
    "/admin/ledger": (AUTH, GATED, GATED, GATED, OK),
    # outside demo mode the demo's outbox and sandbox checkout do not exist, for anyone
    "/dev/outbox": (MISSING, MISSING, MISSING, MISSING, MISSING),
    "/billing/sandbox/portal": (MISSING, MISSING, MISSING, MISSING, MISSING),
    "/api/v1/trending": (AUTH, GATED, GATED, OK, OK),
    "/api/v1/predictions": (AUTH, GATED, GATED, OK, OK),
    "/api/v1/news": (AUTH, GATED, GATED, OK, OK),
    "/api/v1/assets/crypto:BTC/windows": (AUTH, GATED, GATED, OK, OK),
    "/api/v1/assets/crypto:BTC/relation": (AUTH, GATED, GATED, OK, OK),
    "/api/v1/search?q=btc": (AUTH, GATED, GATED, OK, OK),
    "/api/v1/movers": (AUTH, GATED, GATED, OK, OK),
    "/api/v1/overview": (AUTH, GATED, GATED, OK, OK),
    "/api/v1/authors": (AUTH, GATED, GATED, OK, OK),
    "/api/v1/assets/crypto:BTC/authors": (AUTH, GATED, GATED, OK, OK),
}


@pytest.fixture(scope="module", params=[0, 30], ids=["uncached", "cached"])
def clients(pg_admin_uri: str, request: pytest.FixtureRequest) -> Iterator[dict[str, TestClient]]:
    """One signed-in client (and API key) per role over seeded marts, caches off and on."""
    from sqlalchemy import create_engine

    from tests.conftest import fresh_database

    monkey = pytest.MonkeyPatch()
    monkey.setenv("SECRET_KEY", "matrix-secret")
    monkey.setenv("ARGON2_TIME_COST", "1")
    monkey.setenv("ARGON2_MEMORY_KIB", "8192")
    with fresh_database(pg_admin_uri) as url:
        engine = create_engine(url)
        seed_marts(engine)
        # a live stream of the snapshot alone, so a test client's GET returns
        settings = platform_settings(page_cache_seconds=request.param, live_stream_max_seconds=0)
        app = create_app(settings, engine)
        made: dict[str, TestClient] = {}
        for role in ROLES:
            client = TestClient(app)
            client.__enter__()
            if role != "anonymous":
                email = f"{role}@example.com"
                add_user(
                    engine, email, tier=role if role in ("pro", "premium") else None,
                    role="admin" if role == "admin" else "user",
                )  # fmt: skip
                sign_in(client, email)
                with Session(engine) as session:
                    user = session.query(User).filter_by(email=email).one()
                    key = api_keys.create_key(session, user, name="t", now=datetime.now(UTC))
                    session.commit()
                client.headers["authorization"] = f"Bearer {key}"
            made[role] = client
        yield made
        for client in made.values():
            client.__exit__(None, None, None)
        engine.dispose()
    monkey.undo()


@pytest.mark.parametrize("route", list(MATRIX))
def test_every_route_answers_each_role_as_the_tier_matrix_says(
    clients: dict[str, TestClient], route: str
) -> None:
    got = tuple(clients[role].get(route, follow_redirects=False).status_code for role in ROLES)
    assert got == MATRIX[route], f"{route}: {dict(zip(ROLES, got, strict=True))}"


def test_gated_pages_explain_the_plan_to_upgrade_to(clients: dict[str, TestClient]) -> None:
    page = clients["free"].get("/predictions", headers=HTML)
    assert page.status_code == 403 and "comes with the <strong>Premium</strong> plan" in page.text
    assert 'href="/pricing"' in page.text
    anonymous = clients["anonymous"].get("/news", headers=HTML)
    assert "Sign up" in anonymous.text and "Pro" in anonymous.text
    live = clients["pro"].get("/live", headers=HTML)
    assert live.status_code == 403 and "The live stream" in live.text and "Premium" in live.text
    api = clients["pro"].get("/api/v1/trending")
    assert api.json()["detail"].startswith("The REST API needs the Premium plan")


@CACHES
def test_free_readers_get_the_top_20_a_day_behind_and_no_relation_panel(
    engine: Engine, cache_seconds: float
) -> None:
    seed_marts(engine)
    assets = [a for a in load_universe() if a.asset_class == "stock"][:25]
    with Session(engine) as session:
        session.add_all(
            stat(w, a.asset_id, 10 + i, 0.1) for w in WINDOWS[:4] for i, a in enumerate(assets)
        )
        session.add(weak_btc_relation())
        session.commit()
    add_user(engine, "free@example.com")
    add_user(engine, "pro@example.com", tier="pro")
    app = create_app(platform_settings(page_cache_seconds=cache_seconds), engine)
    with TestClient(app) as free, TestClient(app) as pro:
        sign_in(free, "free@example.com")
        sign_in(pro, "pro@example.com")
        free_page, pro_page = free.get("/").text, pro.get("/").text
        free_asset, pro_asset = (
            free.get("/asset/crypto:BTC").text,
            pro.get("/asset/crypto:BTC").text,
        )
    assert "Free plan: the top 20, a day behind" in free_page
    assert free_page.count("<tr>") == 21 and "Top 20 " in free_page
    assert "Mar 2, 18:00" in free_page or "2026-03-02" in free_page  # LATEST − 24 h
    assert "a day behind" not in pro_page
    assert "weak positive" in pro_asset and "weak positive" not in free_asset
    assert "comes with the <strong>Pro</strong> plan" in free_asset
    assert "per day, last 7 days" in free_asset and "per 6-hour window" in pro_asset


def test_the_nav_links_every_part_and_a_gated_part_opens_a_preview_of_it(
    clients: dict[str, TestClient],
) -> None:
    # One rule: every part is in the nav (watchlist and alerts once signed in); a part the
    # plan lacks shows what it gives and which plan has it, never a bare upgrade box.
    for role in ROLES:
        nav = clients[role].get("/", headers=HTML).text
        assert 'href="/live"' in nav and 'href="/predictions"' in nav
        assert 'href="/movers"' in nav and 'href="/overview"' in nav and 'href="/authors"' in nav
        assert ('href="/watchlist"' in nav) == (role != "anonymous")
        assert ('href="/alerts"' in nav) == (role != "anonymous")
    for role in ("free", "pro"):
        for path, preview in (
            ("/live", "1-minute price bars"),
            ("/watchlist", "Your own list of assets on one page"),
            ("/alerts", "checked after every 6-hour window"),
            ("/authors", "how often their bullish or bearish calls matched"),
        ):
            page = clients[role].get(path, headers=HTML)
            assert page.status_code == 403 and preview in page.text
            assert "comes with the <strong>Premium</strong> plan" in page.text
    assert "Latest alerts" in clients["premium"].get("/alerts", headers=HTML).text
    stream = clients["premium"].get("/live/stream")
    assert stream.headers["content-type"].startswith("text/event-stream")
    assert "event: snapshot" in stream.text


CSRF_FORMS = [
    ("/signup", {"email": "c@example.com", "password": "long enough password"}),
    ("/login", {"email": "free@example.com", "password": "whatever-whatever"}),
    ("/forgot", {"email": "free@example.com"}),
    ("/logout", {}),
    ("/account/password", {"current": "x", "password": "y" * 12}),
    ("/account/delete", {"confirm": "x"}),
    ("/account/keys", {"name": "k"}),
    ("/billing/checkout", {"tier": "pro"}),
    ("/staff/posts", {"title": "t", "body": "b", "min_tier": "free"}),
    ("/watchlist", {"asset": "BTC"}),
    ("/watchlist/remove", {"asset": "crypto:BTC"}),
    ("/alerts/rules", {"asset": "BTC", "kind": "price_move", "threshold": "5"}),
    ("/alerts/rules/1/delete", {}),
    ("/alerts/read", {}),
]


@pytest.mark.parametrize(("action", "fields"), CSRF_FORMS)
@pytest.mark.parametrize("token", [None, "forged-token"])
def test_forms_without_this_readers_csrf_token_are_refused(
    clients: dict[str, TestClient], action: str, fields: dict[str, str], token: str | None
) -> None:
    data = dict(fields) if token is None else {**fields, "csrf_token": token}
    answer = clients["admin"].post(action, data=data, follow_redirects=False)
    assert answer.status_code == 403 and "another site" in answer.text


def test_a_token_from_another_readers_session_is_refused(clients: dict[str, TestClient]) -> None:
    from tests.web_helpers import csrf_of

    pro_token = csrf_of(clients["pro"].get("/account").text)
    answer = clients["premium"].post(
        "/account/keys", data={"name": "k", "csrf_token": pro_token}, follow_redirects=False
    )
    assert answer.status_code == 403
