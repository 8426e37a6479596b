"""The HTTP edge under abuse and faults: stuck places, a dead database, costly or spoofed requests."""

from __future__ import annotations

import json
import re
import threading
import time

import httpx
from bench.serving import serving
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from tests.integration.outage import database_outage
from tests.integration.test_web_queries import seed_marts
from tests.web_helpers import HTML, OPEN_TIERS, add_user, csrf_of, platform_settings, sign_in
from tickerpulse.platform import billing
from tickerpulse.web.app import create_app
from tickerpulse.web.metrics import AdmissionGate
from tickerpulse.web.server import server_options


def test_healthz_reports_a_gate_whose_places_are_all_held_too_long(engine: Engine) -> None:
    settings = platform_settings(web_max_in_flight=2, web_stuck_seconds=0.2)
    with TestClient(create_app(settings, engine)) as client:
        assert client.get("/healthz").status_code == 200
        gate: AdmissionGate = client.app.state.admission  # type: ignore[attr-defined]
        assert client.portal is not None
        tickets = [client.portal.call(gate.enter) for _ in range(2)]  # two requests that hang
        assert client.get("/healthz").status_code == 200  # not yet for long
        time.sleep(0.3)
        stuck = client.get("/healthz")
        assert stuck.status_code == 503
        assert stuck.json() == {"status": "stuck", "reason": stuck.json()["reason"]}
        assert "all 2 request places held" in stuck.json()["reason"]
        for ticket in tickets:
            gate.leave(ticket)
        assert client.get("/healthz").status_code == 200


def test_a_dead_database_answers_503_with_retry_after(
    engine: Engine, pg_admin_uri: str, database_url: str
) -> None:
    # The server started with its database up (start-up checks it); then Postgres goes away.
    client = TestClient(create_app(platform_settings(), engine))  # no lifespan: no usage flushes
    with database_outage(pg_admin_uri, database_url):
        for path, headers in [
            ("/", HTML),
            ("/", {}),
            ("/healthz", {}),
            ("/asset/crypto:BTC", HTML),
            ("/api/v1/trending", {"authorization": "Bearer tp_abc_secret"}),
        ]:
            response = client.get(path, headers=headers)
            assert response.status_code == 503, (path, response.status_code)
            assert response.headers["retry-after"] == "30"
            assert "database" in response.text


def test_compare_refuses_more_than_five_names_before_looking_any_up(engine: Engine) -> None:
    seed_marts(engine)
    settings = platform_settings(tier_overrides=OPEN_TIERS)
    names = ",".join(f"N{i}" for i in range(2500))
    with TestClient(create_app(settings, engine)) as client:
        started = time.perf_counter()
        response = client.get("/compare", params={"assets": names}, headers=HTML)
        took = time.perf_counter() - started
    assert response.status_code == 422
    assert "At most 5 assets at a time: you named 2500." in response.text
    assert took < 0.3, took


def test_the_api_docs_never_echo_the_host_header(engine: Engine) -> None:
    # Even with the Host allow-list opened up (a foreign Host is 400 by default).
    settings = platform_settings(public_url="https://tickerpulse.example", allowed_hosts=["*"])
    with TestClient(create_app(settings, engine)) as client:
        docs = client.get("/api/v1/docs", headers={"host": "evil.example"})
    assert docs.status_code == 200
    assert "evil.example" not in docs.text
    assert "https://tickerpulse.example/api/v1/trending" in docs.text


def test_a_slow_webhook_does_not_hold_up_other_requests(engine: Engine) -> None:
    user_id = add_user(engine, "slow@example.com", tier="pro")
    secret = "whsec_slow_tests"
    settings = platform_settings(
        payment_provider="stripe", stripe_api_key="sk_test_slow", stripe_webhook_secret=secret
    )
    payload = json.dumps(
        {
            "id": "evt_slow",
            "type": "customer.subscription.deleted",
            "data": {"object": {"customer": f"cus_test_{user_id}"}},
        }
    )
    outcome: dict[str, int] = {}
    with serving(create_app(settings, engine)) as base, engine.connect() as locker:
        # another transaction holds the subscription row: the webhook's update waits for it
        locker.execute(text("SELECT 1 FROM subscription FOR UPDATE"))

        def post_webhook() -> None:
            headers = {"stripe-signature": billing.sign_payload(payload, secret)}
            reply = httpx.post(base + "/billing/webhook", content=payload, headers=headers)
            outcome["status"] = reply.status_code

        webhook = threading.Thread(target=post_webhook)
        webhook.start()
        time.sleep(0.5)  # the webhook is waiting for the lock
        health = httpx.get(base + "/healthz", timeout=5)
        answered_while_webhook_waited = webhook.is_alive() and "status" not in outcome
        locker.rollback()
        webhook.join(timeout=10)
    # held up, /healthz would wait for the lock, so for the webhook (and time out here)
    assert health.status_code == 200 and answered_while_webhook_waited
    assert outcome["status"] == 200


def inline_scripts(html: str) -> list[str]:
    """``<script>`` tags that would run code written in the page itself."""
    tags = re.findall(r"<script\b[^>]*>", html)
    return [t for t in tags if "src=" not in t and 'type="application/json"' not in t]


def test_every_response_carries_the_security_headers_and_pages_no_inline_script(
    engine: Engine,
) -> None:
    seed_marts(engine)
    add_user(engine, "h@example.com", tier="premium", role="admin")
    settings = platform_settings(tier_overrides=OPEN_TIERS)
    with TestClient(create_app(settings, engine)) as client:
        sign_in(client, "h@example.com")
        pages = ["/", "/asset/crypto:BTC", "/compare?assets=BTC,TSLA", "/news", "/predictions"]
        pages += ["/live", "/admin", "/pricing", "/account", "/alerts", "/api/v1/docs"]
        answers = {path: client.get(path, headers=HTML) for path in pages}
        answers["413"] = client.post("/login", content=b"x" * 2_000_000)
        answers["422"] = client.get("/asset/a%00b")
    assert answers["413"].status_code == 413 and answers["422"].status_code == 422
    for path, answer in answers.items():
        csp = answer.headers["content-security-policy"]
        assert "script-src 'self';" in csp and "frame-ancestors 'none'" in csp, path
        assert answer.headers["x-frame-options"] == "DENY", path
        assert answer.headers["x-content-type-options"] == "nosniff", path
        assert answer.headers["referrer-policy"] == "same-origin", path
        assert "strict-transport-security" not in answer.headers, path  # plain http
        assert inline_scripts(answer.text) == [], path
    assert answers["/account"].headers["cache-control"] == "no-store"
    assert "no-store" not in answers["/"].headers.get("cache-control", "")


def test_account_export_and_api_key_pages_are_never_stored(engine: Engine) -> None:
    add_user(engine, "s@example.com", tier="premium")
    with TestClient(create_app(platform_settings(), engine)) as client:
        sign_in(client, "s@example.com")
        export = client.get("/account/export")
        token = csrf_of(client.get("/account").text)
        key_page = client.post("/account/keys", data={"name": "n", "csrf_token": token})
    assert export.status_code == 200 and export.headers["cache-control"] == "no-store"
    assert "tp_" in key_page.text and key_page.headers["cache-control"] == "no-store"


def test_hsts_only_over_https_or_from_a_trusted_proxy(engine: Engine) -> None:
    with TestClient(create_app(platform_settings(), engine), base_url="https://t") as client:
        assert "max-age=" in client.get("/pricing").headers["strict-transport-security"]
    https_site = platform_settings(public_url="https://tickerpulse.example")
    with TestClient(create_app(https_site, engine)) as client:
        assert "strict-transport-security" in client.get("/pricing").headers
    for trusted, expected in (("127.0.0.1", True), ("10.9.9.9", False)):
        settings = platform_settings(web_trusted_proxies=trusted)
        with serving(create_app(settings, engine), **server_options(settings)) as base:
            forwarded = httpx.get(base + "/pricing", headers={"x-forwarded-proto": "https"})
        assert ("strict-transport-security" in forwarded.headers) is expected, trusted
