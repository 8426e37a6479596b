"""The alert webhook page in the real app: who may use it, the secret shown once, refusals."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from pytest_httpserver import HTTPServer
from sqlalchemy import Engine

from tests.web_helpers import HTML, add_user, csrf_of, platform_settings, sign_in
from tickerpulse.platform.webhooks.signing import SIGNATURE_HEADER
from tickerpulse.web.app import create_app
from tickerpulse.web.startup import UnsafeSettings

SECRET = re.compile(r'<p class="secret" id="signing-secret">(tpwh_[0-9a-f]{64})</p>')


def client_for(engine: Engine, email: str, tier: str, **settings: object) -> TestClient:
    add_user(engine, email, tier=tier)
    values = {"webhook_send_seconds": 0, **settings}
    client = TestClient(create_app(platform_settings(**values), engine))
    client.__enter__()
    sign_in(client, email)
    return client


@pytest.fixture
def premium(engine: Engine) -> Iterator[TestClient]:
    client = client_for(engine, "premium@example.com", "premium")
    yield client
    client.__exit__(None, None, None)


def save(client: TestClient, url: str) -> httpx.Response:
    token = csrf_of(client.get("/alerts/webhook", headers=HTML).text)
    return client.post(
        "/alerts/webhook", data={"url": url, "csrf_token": token}, headers=HTML,
        follow_redirects=False,
    )  # fmt: skip


def test_it_comes_with_premium_and_the_alerts_page_links_it(engine: Engine) -> None:
    pro = client_for(engine, "pro@example.com", "pro")
    page = pro.get("/alerts/webhook", headers=HTML)
    assert page.status_code == 403 and "Alerts by webhook" in page.text
    assert "comes with the <strong>Premium</strong> plan" in page.text
    pro.__exit__(None, None, None)
    premium = client_for(engine, "p2@example.com", "premium")
    assert premium.get("/alerts/webhook", headers=HTML).status_code == 200
    assert 'href="/alerts/webhook"' in premium.get("/alerts", headers=HTML).text
    assert "Alerts by webhook" in premium.get("/pricing", headers=HTML).text
    premium.__exit__(None, None, None)


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("https://127.0.0.1/hook", "loopback"),
        ("https://169.254.169.254/latest/meta-data/", "link-local"),
        ("https://localhost:8443/x", "loopback"),
        ("http://hooks.example.com/x", "must start with https://"),
    ],
)
def test_a_public_server_refuses_inside_and_plain_http_urls(
    premium: TestClient, url: str, why: str
) -> None:
    answer = save(premium, url)
    assert answer.status_code == 400 and why in answer.text
    assert not SECRET.search(answer.text)
    assert "Nothing has been sent yet" in answer.text
    again = premium.get("/alerts/webhook", headers=HTML).text
    assert "Make a new secret" not in again  # nothing was saved


def test_the_secret_is_shown_once_and_a_rotation_replaces_it(
    engine: Engine, httpserver: HTTPServer
) -> None:
    client = client_for(engine, "demo@example.com", "premium", demo_mode=True)
    first = save(client, httpserver.url_for("/hook"))
    assert first.status_code == 200 and first.headers["cache-control"] == "no-store"
    secret = SECRET.search(first.text)
    assert secret is not None
    page = client.get("/alerts/webhook", headers=HTML).text
    assert secret.group(1) not in page and "Make a new secret" in page
    changed = save(client, httpserver.url_for("/other"))
    assert changed.status_code == 303 and changed.headers["location"].endswith("done=saved")
    assert secret.group(1) not in client.get("/alerts/webhook?done=saved", headers=HTML).text
    token = csrf_of(page)
    rotated = client.post("/alerts/webhook/rotate", data={"csrf_token": token}, headers=HTML)
    new = SECRET.search(rotated.text)
    assert new is not None and new.group(1) != secret.group(1)
    assert rotated.headers["cache-control"] == "no-store"
    client.__exit__(None, None, None)


def test_the_servers_sender_delivers_a_test_to_the_endpoint(
    engine: Engine, httpserver: HTTPServer
) -> None:
    client = client_for(
        engine, "demo@example.com", "premium", demo_mode=True, webhook_send_seconds=0.2
    )
    httpserver.expect_request("/hook", method="POST").respond_with_data("thanks")
    save(client, httpserver.url_for("/hook"))
    token = csrf_of(client.get("/alerts/webhook", headers=HTML).text)
    sent = client.post("/alerts/webhook/test", data={"csrf_token": token}, follow_redirects=False)
    assert sent.headers["location"].endswith("done=test")
    deadline = time.monotonic() + 10
    while not httpserver.log and time.monotonic() < deadline:
        time.sleep(0.1)
    [(request, _)] = httpserver.log
    assert request.headers[SIGNATURE_HEADER].startswith("t=")
    time.sleep(0.5)  # the sender records the answer
    page = client.get("/alerts/webhook", headers=HTML).text
    assert "delivered" in page and "HTTP 200" in page and "thanks" in page
    client.__exit__(None, None, None)


def test_private_targets_are_refused_at_start_outside_demo_mode(engine: Engine) -> None:
    with pytest.raises(UnsafeSettings, match="WEBHOOK_ALLOW_PRIVATE"):
        create_app(platform_settings(webhook_allow_private=True), engine)
