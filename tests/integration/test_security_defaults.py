"""Secure by default: the attacks an audit made on the running site, each refused outside demo.

Forged billing events, a free self-upgrade, reading reset links in the outbox,
DNS rebinding, cookies over plain HTTP, a server without SECRET_KEY or with the
demo's accounts, links to the wrong port, tokens left in the outbox.
"""

from __future__ import annotations

import json
import re
import socketserver
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any, ClassVar

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.web_helpers import HTML, PASSWORD, add_user, csrf_of, platform_settings, sign_in
from tickerpulse.config import Settings
from tickerpulse.db.platform import EmailOutbox, Payment, Subscription
from tickerpulse.platform import billing, mail
from tickerpulse.platform.crypto import password_hasher
from tickerpulse.web.app import create_app

OLD_SANDBOX_SECRET = "whsec_tickerpulse_sandbox"
"""The constant the sandbox used to sign with, readable by anyone in the source."""
LIVE_TOKEN = re.compile(r"token=(?!redacted)[A-Za-z0-9_-]{20,}")
DEMO = {"demo_mode": True}


def production(**overrides: object) -> Settings:
    """The defaults `tickerpulse serve` runs with (SECRET_KEY comes from the test env)."""
    return platform_settings(**{"cookie_secure": None, "allowed_hosts": [], **overrides})


def https(app: Any, host: str = "localhost") -> TestClient:
    """A client that reaches the site over HTTPS at ``host`` (as a browser behind TLS does)."""
    return TestClient(app, base_url=f"https://{host}")


def outbox_bodies(engine: Engine, to: str) -> list[str]:
    with Session(engine) as session:
        rows = session.scalars(
            select(EmailOutbox.body)
            .where(EmailOutbox.to_addr == to)
            .order_by(EmailOutbox.message_id)
        )
        return list(rows)


def forged(kind: str, obj: dict[str, Any], event_id: str) -> tuple[str, dict[str, str]]:
    payload = json.dumps({"id": event_id, "type": kind, "data": {"object": obj}})
    return payload, {"stripe-signature": billing.sign_payload(payload, OLD_SANDBOX_SECRET)}


# --- billing -------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", [{}, DEMO], ids=["production", "demo"])
def test_anonymous_forged_billing_events_change_no_plan_and_no_revenue(
    engine: Engine, mode: dict[str, object]
) -> None:
    victim = add_user(engine, "victim@example.com", tier="pro")
    free = add_user(engine, "free@example.com")
    attacks = [
        forged(
            "checkout.session.completed",
            {"client_reference_id": str(free), "customer": "cus_x", "subscription": "sub_x",
             "metadata": {"tier": "premium"}},
            "evt_upgrade",
        ),
        forged("customer.subscription.deleted", {"customer": f"cus_test_{victim}"}, "evt_cancel"),
        forged(
            "charge.refunded",
            {"customer": f"cus_test_{victim}", "id": "ch_x", "amount_refunded": 99_999_999},
            "evt_refund",
        ),
    ]  # fmt: skip
    with TestClient(create_app(platform_settings(**mode), engine)) as client:
        answers = [client.post("/billing/webhook", content=p, headers=h) for p, h in attacks]
    assert [a.status_code for a in answers] == [404, 404, 404]
    with Session(engine) as session:
        assert session.get(Subscription, free) is None
        assert session.get(Subscription, victim).status == "active"  # type: ignore[union-attr]
        assert session.scalar(select(func.count()).select_from(Payment)) == 0


def test_a_signed_in_free_reader_cannot_pay_themselves_premium_outside_demo(
    engine: Engine,
) -> None:
    user_id = add_user(engine, "cheapskate@example.com")
    with TestClient(create_app(platform_settings(), engine)) as client:
        sign_in(client, "cheapskate@example.com")
        token = csrf_of(client.get("/account").text)
        paid = client.post(
            "/billing/sandbox/pay", data={"tier": "premium", "csrf_token": token},
            follow_redirects=False,
        )  # fmt: skip
        assert paid.status_code == 404
        assert client.get("/billing/sandbox/checkout?tier=premium").status_code == 404
        assert client.get("/predictions", headers=HTML).status_code == 403
    with Session(engine) as session:
        assert session.get(Subscription, user_id) is None


def test_without_a_payment_provider_checkout_says_payments_are_off(engine: Engine) -> None:
    add_user(engine, "buyer@example.com")
    with TestClient(create_app(platform_settings(), engine)) as client:
        sign_in(client, "buyer@example.com")
        token = csrf_of(client.get("/pricing").text)
        answer = client.post("/billing/checkout", data={"tier": "pro", "csrf_token": token})
    assert answer.status_code == 503 and "Payments are not configured" in answer.text


# --- what a production server refuses to start with ----------------------------------------


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"payment_provider": "sandbox"}, "PAYMENT_PROVIDER=sandbox"),
        ({"payment_provider": "stripe", "stripe_api_key": "sk_test_1"}, "STRIPE_WEBHOOK_SECRET"),
        ({"payment_provider": "stripe", "stripe_webhook_secret": "whsec_1"}, "STRIPE_API_KEY"),
        ({"demo_mode": True, "web_host": "0.0.0.0"}, "WEB_HOST=0.0.0.0"),
    ],
    ids=["sandbox", "stripe-no-webhook-secret", "stripe-no-api-key", "demo-on-all-interfaces"],
)
def test_unsafe_settings_stop_the_server_with_a_message_naming_the_variable(
    engine: Engine, overrides: dict[str, object], named: str
) -> None:
    with pytest.raises(RuntimeError, match=re.escape(named)):
        create_app(platform_settings(**overrides), engine)


def test_a_server_without_secret_key_refuses_to_start(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.delenv("SECRET_KEY")
    with pytest.raises(RuntimeError, match="SECRET_KEY is not set"):
        create_app(platform_settings(home=tmp_path, secret_key=None), engine)
    assert not (tmp_path / "secret_key").exists()
    create_app(platform_settings(home=tmp_path, secret_key=None, **DEMO), engine)  # its own
    assert (tmp_path / "secret_key").exists()


def test_serve_says_what_to_set_and_exits_2_without_secret_key(
    database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    from tickerpulse.cli import app

    monkeypatch.delenv("SECRET_KEY")
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("TICKERPULSE_HOME", str(tmp_path))
    result = CliRunner().invoke(app, ["serve"])
    assert result.exit_code == 2, result.output
    assert "SECRET_KEY is not set" in result.output


def test_the_demo_accounts_stop_a_production_server_but_not_the_demo(engine: Engine) -> None:
    from tickerpulse.platform.demo_accounts import DEMO_PASSWORD, seed_demo_accounts

    seed_demo_accounts(engine, password_hasher(platform_settings()))
    with pytest.raises(RuntimeError, match=re.escape("admin@demo.tickerpulse.dev")):
        create_app(platform_settings(), engine)
    with TestClient(create_app(platform_settings(**DEMO), engine)) as client:
        sign_in(client, "admin@demo.tickerpulse.dev", DEMO_PASSWORD)
        assert client.get("/admin", headers=HTML).status_code == 200


# --- hosts and cookies ---------------------------------------------------------------------


def test_a_foreign_host_name_is_refused_against_dns_rebinding(engine: Engine) -> None:
    for settings in (production(), platform_settings(allowed_hosts=[], **DEMO)):
        app = create_app(settings, engine)
        assert https(app, "attacker.example").get("/healthz").status_code == 400
        for host in ("localhost:8123", "127.0.0.1", "[::1]:8000"):
            assert https(app, host).get("/healthz").status_code == 200, host
    public = create_app(production(public_url="https://tickerpulse.example.com"), engine)
    assert https(public, "tickerpulse.example.com").get("/healthz").status_code == 200
    assert https(public, "attacker.example").get("/healthz").status_code == 400


def test_production_cookies_are_https_only_with_the_host_prefix(engine: Engine) -> None:
    add_user(engine, "reader@example.com")
    with https(create_app(production(), engine)) as client:
        login = client.get("/login")
        assert "__Host-tp_anon=" in login.headers["set-cookie"]
        assert "secure" in login.headers["set-cookie"].lower()
        signed = client.post(
            "/login", data={"email": "reader@example.com", "password": PASSWORD,
                            "csrf_token": csrf_of(login.text)},
            follow_redirects=False,
        )  # fmt: skip
        cookies = signed.headers.get_list("set-cookie")
        session_cookie = next(c for c in cookies if c.startswith("__Host-tp_session="))
        assert "Secure" in session_cookie and "Path=/" in session_cookie
        assert "Domain" not in session_cookie and "HttpOnly" in session_cookie
        assert client.get("/account").status_code == 200
    with TestClient(create_app(platform_settings(cookie_secure=None, **DEMO), engine)) as demo:
        sign_in(demo, "reader@example.com")
        assert "tp_session" in demo.cookies  # plain HTTP on 127.0.0.1 works in the demo


# --- the outbox ----------------------------------------------------------------------------


def test_the_outbox_page_does_not_exist_outside_demo_even_for_the_admin(engine: Engine) -> None:
    add_user(engine, "root@example.com", role="admin")
    with TestClient(create_app(platform_settings(), engine)) as client:
        sign_in(client, "root@example.com")
        assert client.get("/dev/outbox", headers=HTML).status_code == 404


def test_anonymous_readers_of_the_demo_outbox_cannot_take_over_the_admin(engine: Engine) -> None:
    add_user(engine, "root@example.com", role="admin")
    with TestClient(create_app(platform_settings(**DEMO), engine)) as attacker:
        token = csrf_of(attacker.get("/forgot").text)
        attacker.post("/forgot", data={"email": "root@example.com", "csrf_token": token})
        page = attacker.get("/dev/outbox")
        assert page.status_code == 200 and "Reset your tickerpulse password" in page.text
        assert "/reset?token=redacted" in page.text and not LIVE_TOKEN.search(page.text)
    with TestClient(create_app(platform_settings(**DEMO), engine)) as admin:
        sign_in(admin, "root@example.com")
        assert LIVE_TOKEN.search(admin.get("/dev/outbox").text)  # the demo's operator


# --- links and tokens in e-mails -----------------------------------------------------------


def sign_up(client: TestClient, email: str) -> None:
    token = csrf_of(client.get("/signup").text)
    answer = client.post(
        "/signup", data={"email": email, "password": PASSWORD, "csrf_token": token}
    )
    assert answer.status_code == 200, answer.text


def test_email_links_use_the_host_and_port_the_site_is_reached_at(engine: Engine) -> None:
    with https(create_app(production(), engine), "localhost:9443") as client:
        sign_up(client, "new@example.com")
    [body] = outbox_bodies(engine, "new@example.com")
    assert "https://localhost:9443/verify?token=" in body
    settings = production(public_url="https://tickerpulse.example.com/")
    with https(create_app(settings, engine), "localhost:9443") as client:
        sign_up(client, "other@example.com")
    [body] = outbox_bodies(engine, "other@example.com")
    assert "https://tickerpulse.example.com/verify?token=" in body


def test_a_used_token_is_redacted_from_the_outbox(engine: Engine) -> None:
    with TestClient(create_app(platform_settings(), engine)) as client:
        sign_up(client, "new@example.com")
        [body] = outbox_bodies(engine, "new@example.com")
        link = re.search(r"/verify\?token=[A-Za-z0-9_-]+", body)
        assert link is not None
        assert client.get(link.group(0), follow_redirects=False).status_code == 303
    [body] = outbox_bodies(engine, "new@example.com")
    assert "/verify?token=redacted" in body and not LIVE_TOKEN.search(body)


def test_replaced_and_expired_tokens_are_redacted_from_the_outbox(engine: Engine) -> None:
    add_user(engine, "a@example.com")
    add_user(engine, "b@example.com")
    with TestClient(create_app(platform_settings(), engine)) as client:
        token = csrf_of(client.get("/forgot").text)
        for email in ("a@example.com", "a@example.com", "b@example.com"):
            client.post("/forgot", data={"email": email, "csrf_token": token})
        first, second = outbox_bodies(engine, "a@example.com")
        assert not LIVE_TOKEN.search(first) and LIVE_TOKEN.search(second)
        with Session(engine) as session:  # b's link is now older than a reset token lives
            session.execute(
                update(EmailOutbox)
                .where(EmailOutbox.to_addr == "b@example.com")
                .values(created_at=func.now() - timedelta(hours=2))
            )
            session.commit()
        client.post("/forgot", data={"email": "a@example.com", "csrf_token": token})
    [expired] = outbox_bodies(engine, "b@example.com")
    assert "/reset?token=redacted" in expired and not LIVE_TOKEN.search(expired)


class Smtp(socketserver.StreamRequestHandler):
    """Just enough SMTP (RFC 5321) to take messages: greeting, EHLO, MAIL, RCPT, DATA, QUIT."""

    received: ClassVar[list[str]] = []

    def reply(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self) -> None:
        self.reply("220 test ESMTP")
        while line := self.rfile.readline().decode():
            verb = line[:4].upper()
            if verb == "EHLO":
                self.reply("250 test")
            elif verb == "DATA":
                self.reply("354 go on")
                lines = []
                while (data := self.rfile.readline().decode()) not in (".\r\n", ""):
                    lines.append(data)
                Smtp.received.append("".join(lines))
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 ok")


@pytest.fixture
def smtp_server() -> Iterator[int]:
    Smtp.received.clear()
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Smtp)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_a_delivered_message_keeps_no_token_in_the_outbox(engine: Engine, smtp_server: int) -> None:
    settings = platform_settings(smtp_url=f"smtp://127.0.0.1:{smtp_server}")
    with TestClient(create_app(settings, engine)) as client:
        sign_up(client, "new@example.com")
        sent = mail.deliver_pending(client.app.state.sessionmaker, settings)  # type: ignore[attr-defined]
    assert sent == 1 and len(Smtp.received) == 1
    assert LIVE_TOKEN.search(Smtp.received[0].replace("=\r\n", ""))  # the reader got the link
    [body] = outbox_bodies(engine, "new@example.com")
    assert "/verify?token=redacted" in body and not LIVE_TOKEN.search(body)


def test_the_web_process_delivers_the_outbox_when_smtp_is_set(
    engine: Engine, smtp_server: int
) -> None:
    settings = platform_settings(smtp_url=f"smtp://127.0.0.1:{smtp_server}")
    with TestClient(create_app(settings, engine)) as client:
        sign_up(client, "new@example.com")
        deadline = time.monotonic() + 15  # the sender looks every 5 s
        while not Smtp.received and time.monotonic() < deadline:
            time.sleep(0.1)
    assert len(Smtp.received) == 1
