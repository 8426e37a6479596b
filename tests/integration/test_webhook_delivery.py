"""Alert webhooks end to end against a local HTTP server: signed, retried, recorded, guarded."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker
from werkzeug import Request, Response

from tests.integration.test_alert_delivery import NOW, add_rule
from tests.integration.test_web_queries import LATEST, seed_marts
from tests.web_helpers import add_user, platform_settings
from tickerpulse.db.platform import AlertWebhook, WebhookDelivery
from tickerpulse.platform.alert_delivery import AlertDelivery, deliver_window_alerts
from tickerpulse.platform.tiers import TierMatrix
from tickerpulse.platform.webhooks import outbox
from tickerpulse.platform.webhooks.delivery import (
    BACKOFF_CAP,
    MAX_ATTEMPTS,
    SNIPPET_BYTES,
    _claim,
    backoff,
    deliver_due,
    post,
)
from tickerpulse.platform.webhooks.signing import DELIVERY_HEADER, SIGNATURE_HEADER, verify
from tickerpulse.platform.webhooks.targets import check_target

KEY = b"tests-only-secret-key"
LOCAL = platform_settings(webhook_allow_private=True)
"""What tests (and the demo) use to reach the local server; refused by `serve`."""
PRODUCTION = platform_settings()


@pytest.fixture
def seeded(engine: Engine) -> Engine:
    """The page tests' marts: BTC rose 2 % in the newest window."""
    seed_marts(engine)
    return engine


def factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine)


def endpoint(engine: Engine, user_id: int, url: str, *, resolver=None) -> str:
    with Session(engine) as session:
        policy = outbox.policy_of(LOCAL if resolver is None else PRODUCTION)
        extra = {} if resolver is None else {"resolver": resolver}
        secret = outbox.save_endpoint(
            session, user_id=user_id, url=url, site_key=KEY, policy=policy, now=NOW, **extra
        )
        session.commit()
    assert secret is not None
    return secret


def deliveries(engine: Engine) -> list[WebhookDelivery]:
    with Session(engine) as session:
        rows = list(session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.delivery_id)))
        session.expunge_all()
        return rows


def fire(engine: Engine, matrix: TierMatrix | None = None) -> dict[str, int]:
    delivery = AlertDelivery(site_url="http://t", **({"matrix": matrix} if matrix else {}))
    return deliver_window_alerts(engine, LATEST, delivery=delivery, now=NOW)


def premium_with_rule(engine: Engine, email: str = "hooks@example.com") -> int:
    user = add_user(engine, email, tier="premium")
    add_rule(engine, user, "crypto:BTC", "price_move", 1.0, email=False)
    return user


def test_a_windows_alerts_are_posted_once_signed_and_recorded(
    seeded: Engine,
    httpserver: HTTPServer,
) -> None:
    user = premium_with_rule(seeded)
    secret = endpoint(seeded, user, httpserver.url_for("/hook"))
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    assert fire(seeded)["alert_webhooks"] == 1
    assert fire(seeded)["alert_webhooks"] == 0  # a re-run of the window owes nothing more
    sent_at = datetime.now(UTC)
    assert deliver_due(factory(seeded), LOCAL, KEY)["delivered"] == 1
    [(request, _)] = httpserver.log
    body = request.get_data()
    assert verify(secret, request.headers[SIGNATURE_HEADER], body, now=int(sent_at.timestamp()))
    document = json.loads(body)
    assert document["type"] == "alerts.fired" and document["alerts_url"] == "http://t/alerts"
    assert document["window"]["start"] == "2026-03-03T12:00:00Z"
    [alert] = document["alerts"]
    assert alert["asset_id"] == "crypto:BTC" and alert["kind"] == "price_move"
    assert alert["message"] == "BTC: price rose 2.00 % in 6 hours"
    assert request.headers["content-type"] == "application/json"
    [row] = deliveries(seeded)
    assert request.headers[DELIVERY_HEADER] == str(row.delivery_id)
    assert (row.attempts, row.last_status, row.delivered_at is not None) == (1, 200, True)
    assert deliver_due(factory(seeded), LOCAL, KEY) == {"delivered": 0, "retrying": 0,
                                                         "gave_up": 0}  # fmt: skip
    assert len(httpserver.log) == 1


def test_a_plan_without_webhooks_gets_its_alerts_but_no_delivery(
    seeded: Engine,
    httpserver: HTTPServer,
) -> None:
    pro = add_user(seeded, "pro@example.com", tier="pro")
    add_rule(seeded, pro, "crypto:BTC", "price_move", 1.0, email=False)
    endpoint(seeded, pro, httpserver.url_for("/hook"))
    counts = fire(seeded, TierMatrix.from_overrides({"alerts": "pro"}))
    assert (counts["alert_events"], counts["alert_webhooks"]) == (1, 0)


def test_a_failing_endpoint_is_retried_with_growing_pauses_until_it_answers(
    seeded: Engine,
    httpserver: HTTPServer,
) -> None:
    endpoint(seeded, premium_with_rule(seeded), httpserver.url_for("/hook"))
    fire(seeded)
    httpserver.expect_ordered_request("/hook").respond_with_data("busy", status=503)
    httpserver.expect_ordered_request("/hook").respond_with_data("ok", status=204)
    start = datetime.now(UTC)
    assert deliver_due(factory(seeded), LOCAL, KEY, now=start)["retrying"] == 1
    [row] = deliveries(seeded)
    assert (row.attempts, row.last_status, row.last_error) == (1, 503, "busy")
    assert row.next_attempt_at == start + backoff(1)
    early = start + backoff(1) - timedelta(seconds=1)
    assert deliver_due(factory(seeded), LOCAL, KEY, now=early)["delivered"] == 0
    assert deliver_due(factory(seeded), LOCAL, KEY, now=start + backoff(1))["delivered"] == 1
    [row] = deliveries(seeded)
    assert (row.attempts, row.last_status, row.last_error) == (2, 204, None)
    assert [backoff(n).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]
    assert backoff(30) == BACKOFF_CAP


def test_it_gives_up_after_the_last_attempt(seeded: Engine, httpserver: HTTPServer) -> None:
    endpoint(seeded, premium_with_rule(seeded), httpserver.url_for("/hook"))
    fire(seeded)
    httpserver.expect_request("/hook").respond_with_data("down", status=500)
    moment = datetime.now(UTC)
    for _ in range(MAX_ATTEMPTS + 2):
        deliver_due(factory(seeded), LOCAL, KEY, now=moment)
        moment += BACKOFF_CAP
    [row] = deliveries(seeded)
    assert row.attempts == MAX_ATTEMPTS and row.gave_up_at is not None
    assert row.delivered_at is None and len(httpserver.log) == MAX_ATTEMPTS


def test_only_a_short_snippet_of_an_answer_is_kept(seeded: Engine, httpserver: HTTPServer) -> None:
    endpoint(seeded, premium_with_rule(seeded), httpserver.url_for("/hook"))
    fire(seeded)
    httpserver.expect_request("/hook").respond_with_data("x" * 100_000, status=400)
    deliver_due(factory(seeded), LOCAL, KEY)
    [row] = deliveries(seeded)
    assert row.last_status == 400 and row.last_error == "x" * SNIPPET_BYTES


def test_redirects_are_not_followed(seeded: Engine, httpserver: HTTPServer) -> None:
    endpoint(seeded, premium_with_rule(seeded), httpserver.url_for("/hook"))
    fire(seeded)
    httpserver.expect_request("/hook").respond_with_response(
        Response(status=307, headers={"Location": httpserver.url_for("/inside")})
    )
    httpserver.expect_request("/inside").respond_with_data("followed")
    assert deliver_due(factory(seeded), LOCAL, KEY)["retrying"] == 1
    assert [r.path for r, _ in httpserver.log] == ["/hook"]
    [row] = deliveries(seeded)
    assert row.last_status == 307 and "not followed" in (row.last_error or "")
    assert row.delivered_at is None


def test_a_name_that_resolves_inside_at_delivery_time_is_not_called(
    seeded: Engine,
    httpserver: HTTPServer,
) -> None:
    """DNS rebinding: public when saved, loopback when sent; the server must see nothing."""
    user = premium_with_rule(seeded)
    url = f"https://hooks.example.com:{httpserver.port}/hook"
    endpoint(seeded, user, url, resolver=lambda host, port: ["93.184.215.14"])
    httpserver.expect_request("/hook").respond_with_data("reached")
    fire(seeded)
    counts = deliver_due(factory(seeded), PRODUCTION, KEY, resolver=lambda h, p: ["127.0.0.1"])
    assert counts["retrying"] == 1 and httpserver.log == []
    [row] = deliveries(seeded)
    assert row.last_status is None and "resolves to a loopback address" in (row.last_error or "")


def test_a_sender_that_died_mid_send_leaves_the_delivery_due_again(
    seeded: Engine,
    httpserver: HTTPServer,
) -> None:
    endpoint(seeded, premium_with_rule(seeded), httpserver.url_for("/hook"))
    fire(seeded)
    httpserver.expect_request("/hook").respond_with_data("ok")
    start = datetime.now(UTC)
    [claimed] = _claim(factory(seeded), start)  # … and the process dies before it sends
    assert claimed.attempts == 1
    assert deliver_due(factory(seeded), LOCAL, KEY, now=start)["delivered"] == 0
    assert deliver_due(factory(seeded), LOCAL, KEY, now=start + backoff(1))["delivered"] == 1
    [row] = deliveries(seeded)
    assert row.attempts == 2 and len(httpserver.log) == 1


def test_a_rotated_secret_signs_from_then_on_and_removal_drops_what_is_owed(
    seeded: Engine,
    httpserver: HTTPServer,
) -> None:
    user = premium_with_rule(seeded)
    old = endpoint(seeded, user, httpserver.url_for("/hook"))
    with Session(seeded) as session:
        new = outbox.rotate_secret(session, user_id=user, site_key=KEY, now=NOW)
        assert outbox.enqueue_test(session, user_id=user, alerts_url="http://t/alerts", now=NOW)
        assert not outbox.enqueue_test(session, user_id=user, alerts_url="http://t/alerts",
                                       now=NOW)  # one test at a time  # fmt: skip
        session.commit()
    assert new is not None and new != old
    httpserver.expect_request("/hook").respond_with_data("ok")
    deliver_due(factory(seeded), LOCAL, KEY)
    [(request, _)] = httpserver.log
    header, body, now = request.headers[SIGNATURE_HEADER], request.get_data(), int(time.time())
    assert verify(new, header, body, now=now) and not verify(old, header, body, now=now)
    assert json.loads(body)["type"] == "webhook.test"
    fire(seeded)
    with Session(seeded) as session:
        assert outbox.remove_endpoint(session, user_id=user)
        session.commit()
    assert [d.event_key.split(":")[0] for d in deliveries(seeded)] == ["test"]  # kept: done


def test_a_slow_endpoint_is_cut_off_at_the_deadline(httpserver: HTTPServer) -> None:
    def slow(request: Request) -> Response:
        time.sleep(1.5)
        return Response("late")

    httpserver.expect_request("/slow").respond_with_handler(slow)
    target = check_target(httpserver.url_for("/slow"), outbox.policy_of(LOCAL))
    started = time.monotonic()
    outcome = asyncio.run(post(target, b"{}", {}, deadline=0.3))
    assert time.monotonic() - started < 1.2
    assert outcome.status is None and outcome.note == "no complete answer within 0.3 s"
    time.sleep(1.3)  # let the server finish before the next test uses it


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/x", "https://10.0.0.1/x"])
def test_production_refuses_inside_urls_when_they_are_saved(engine: Engine, url: str) -> None:
    user = add_user(engine, "p@example.com", tier="premium")
    with Session(engine) as session, pytest.raises(ValueError, match=r"https://|public"):
        outbox.save_endpoint(
            session, user_id=user, url=url, site_key=KEY, policy=outbox.policy_of(PRODUCTION),
            now=NOW,
        )  # fmt: skip


def good_and_stored(engine: Engine, httpserver: HTTPServer, stored_url: str) -> int:
    """A user with a working endpoint and one whose URL is stored as given (unchecked), each
    owed a test delivery; returns the second user's id."""
    good, bad = (add_user(engine, f"{n}@example.com", tier="premium") for n in ("good", "bad"))
    endpoint(engine, good, httpserver.url_for("/hook"))
    with Session(engine) as session:
        session.add(AlertWebhook(user_id=bad, url=stored_url, secret_nonce="n", created_at=NOW,
                                 updated_at=NOW))  # fmt: skip
        for user in (good, bad):
            assert outbox.enqueue_test(session, user_id=user, alerts_url="http://t/alerts", now=NOW)
        session.commit()
    return bad


def test_an_endpoint_saved_before_a_stricter_check_does_not_stop_the_others(
    engine: Engine,
    httpserver: HTTPServer,
) -> None:
    """A DEL in a stored URL made httpx raise mid-round: nobody's outcome was recorded."""
    bad = good_and_stored(engine, httpserver, httpserver.url_for("/a\x7fb"))
    httpserver.expect_request("/hook").respond_with_data("ok")
    assert deliver_due(factory(engine), LOCAL, KEY) == {"delivered": 1, "retrying": 1,
                                                        "gave_up": 0}  # fmt: skip
    refused = {row.user_id: row.last_error for row in deliveries(engine)}[bad]
    assert refused is not None and "control characters" in refused


def test_an_unexpected_error_on_one_delivery_does_not_stop_the_others(
    engine: Engine,
    httpserver: HTTPServer,
) -> None:
    """Whatever one endpoint's send raises, the round records every other outcome, and its own."""
    bad = good_and_stored(engine, httpserver, f"http://broken.example.com:{httpserver.port}/hook")

    def resolver(host: str, port: int) -> list[str]:
        if host == "broken.example.com":  # a resolver fault that is not a lookup failure
            raise OSError("resolver socket closed")
        return ["127.0.0.1"]

    httpserver.expect_request("/hook").respond_with_data("ok")
    counts = deliver_due(factory(engine), LOCAL, KEY, resolver=resolver)
    assert counts == {"delivered": 1, "retrying": 1, "gave_up": 0}
    failed = {row.user_id: row for row in deliveries(engine)}[bad]
    assert failed.delivered_at is None and failed.attempts == 1
    assert "OSError" in (failed.last_error or "")
