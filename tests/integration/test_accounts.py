"""Accounts end to end over real HTTP forms: sign-up, verify, sign-in, reset, sessions, deletion."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from tests.web_helpers import CACHES, HTML, PASSWORD, add_user, csrf_of, platform_settings, sign_in
from tickerpulse.db.platform import EmailOutbox, User, UserSession
from tickerpulse.platform.crypto import digest
from tickerpulse.web.app import create_app
from tickerpulse.web.auth import SESSION_COOKIE


def latest_link(engine: Engine, to: str, path: str) -> str:
    with Session(engine) as session:
        body = session.scalars(
            select(EmailOutbox.body)
            .where(EmailOutbox.to_addr == to)
            .order_by(EmailOutbox.message_id.desc())
        ).first()
    assert body is not None, f"no e-mail to {to}"
    found = re.search(rf"http://[^/\s]+({re.escape(path)}\?token=[\w-]+)", body)
    assert found, body
    return found.group(1)


def post_form(client: TestClient, page: str, action: str, **fields: str):  # type: ignore[no-untyped-def]
    token = csrf_of(client.get(page).text)
    return client.post(action, data={**fields, "csrf_token": token}, follow_redirects=False)


@CACHES
def test_sign_up_verify_sign_in_and_out(engine: Engine, cache_seconds: float) -> None:
    settings = platform_settings(page_cache_seconds=cache_seconds)
    with TestClient(create_app(settings, engine)) as client:
        made = post_form(client, "/signup", "/signup", email="New@Example.com", password=PASSWORD)
        assert made.status_code == 200 and "new@example.com" in made.text
        early = post_form(client, "/login", "/login", email="new@example.com", password=PASSWORD)
        assert early.status_code == 403 and "confirm your e-mail" in early.text
        link = latest_link(engine, "new@example.com", "/verify")
        assert client.get(link, follow_redirects=False).status_code == 303
        assert client.get(link).status_code == 400  # single use
        signed = post_form(client, "/login", "/login", email="new@example.com", password=PASSWORD)
        assert signed.status_code == 303 and SESSION_COOKIE in signed.cookies
        account = client.get("/account")
        assert account.status_code == 200 and "new@example.com" in account.text
        assert ">Free<" in account.text
        client.post("/logout", data={"csrf_token": csrf_of(account.text)})
        assert client.get("/account", headers=HTML, follow_redirects=False).status_code == 303


def test_passwords_are_hashed_with_argon2_and_sessions_kept_as_digests(engine: Engine) -> None:
    add_user(engine, "a@example.com")
    with TestClient(create_app(platform_settings(), engine)) as client:
        sign_in(client, "a@example.com")
        cookie = client.cookies[SESSION_COOKIE]
    with Session(engine) as session:
        user = session.scalars(select(User)).one()
        stored = session.scalars(select(UserSession.token_hash)).one()
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
    assert stored == digest(cookie) and stored != cookie


def test_an_invalid_sign_up_says_why(engine: Engine) -> None:
    with TestClient(create_app(platform_settings(), engine)) as client:
        short = post_form(client, "/signup", "/signup", email="x@example.com", password="short")
        bad = post_form(client, "/signup", "/signup", email="not-an-email", password=PASSWORD)
    assert short.status_code == 400 and "at least 10 characters" in short.text
    assert bad.status_code == 400 and "valid e-mail" in bad.text


def test_repeated_failures_make_the_next_try_wait_even_with_the_right_password(
    engine: Engine,
) -> None:
    add_user(engine, "t@example.com")
    with TestClient(create_app(platform_settings(login_free_failures=3), engine)) as client:
        for _ in range(3):
            wrong = post_form(
                client, "/login", "/login", email="t@example.com", password="nope-nope-nope"
            )
            assert wrong.status_code == 401 and "do not match" in wrong.text
        right = post_form(client, "/login", "/login", email="t@example.com", password=PASSWORD)
    assert right.status_code == 429 and "Too many failed sign-ins" in right.text
    assert int(right.headers["retry-after"]) >= 1


def test_sign_in_never_keeps_a_session_id_chosen_before_it(engine: Engine) -> None:
    add_user(engine, "f@example.com")
    with TestClient(create_app(platform_settings(), engine)) as client:
        client.cookies.set(SESSION_COOKIE, "attacker-chosen-value")
        signed = post_form(client, "/login", "/login", email="f@example.com", password=PASSWORD)
        assert signed.status_code == 303
        assert signed.cookies[SESSION_COOKIE] not in ("", "attacker-chosen-value")
    with TestClient(create_app(platform_settings(), engine)) as other:
        other.cookies.set(SESSION_COOKIE, "attacker-chosen-value")
        assert other.get("/account").status_code == 401


def test_reset_link_works_once_and_signs_out_every_session(engine: Engine) -> None:
    add_user(engine, "r@example.com")
    app = create_app(platform_settings(), engine)
    with TestClient(app) as first, TestClient(app) as second:
        sign_in(first, "r@example.com")
        post_form(second, "/forgot", "/forgot", email="r@example.com")
        link = latest_link(engine, "r@example.com", "/reset")
        token = link.split("token=")[1]
        form = second.get(link).text
        done = second.post(
            "/reset", data={"token": token, "password": "a brand new password", "csrf_token": csrf_of(form)},
            follow_redirects=False,
        )  # fmt: skip
        assert done.status_code == 303
        again = second.post(
            "/reset", data={"token": token, "password": "another new password", "csrf_token": csrf_of(form)},
        )  # fmt: skip
        assert again.status_code == 400
        assert (
            first.get("/account", headers=HTML, follow_redirects=False).status_code == 303
        )  # signed out
        sign_in(second, "r@example.com", "a brand new password")


def test_unknown_addresses_get_the_same_reset_answer(engine: Engine) -> None:
    add_user(engine, "known@example.com")
    with TestClient(create_app(platform_settings(), engine)) as client:
        known = post_form(client, "/forgot", "/forgot", email="known@example.com")
        unknown = post_form(client, "/forgot", "/forgot", email="nobody@example.com")
    assert known.status_code == unknown.status_code == 200
    assert known.text.replace("known@example.com", "") == unknown.text.replace(
        "nobody@example.com", ""
    )


def test_export_then_delete_the_account(engine: Engine) -> None:
    add_user(engine, "d@example.com", tier="premium")
    with TestClient(create_app(platform_settings(), engine)) as client:
        sign_in(client, "d@example.com")
        export = client.get("/account/export")
        assert export.status_code == 200 and export.json()["user"]["email"] == "d@example.com"
        assert export.json()["subscription"][0]["tier"] == "premium"
        token = csrf_of(client.get("/account").text)
        wrong = client.post(
            "/account/delete",
            data={"confirm": "wrong", "csrf_token": token},
            follow_redirects=False,
        )
        assert "wrong_password" in wrong.headers["location"]
        gone = client.post(
            "/account/delete",
            data={"confirm": PASSWORD, "csrf_token": token},
            follow_redirects=False,
        )
        assert gone.status_code == 303
    with Session(engine) as session:
        assert session.scalars(select(User)).first() is None


def test_the_demo_accounts_pass_the_password_rule_and_sign_in(engine: Engine) -> None:
    from tickerpulse.platform.crypto import password_hasher
    from tickerpulse.platform.demo_accounts import DEMO_PASSWORD, seed_demo_accounts

    shown = seed_demo_accounts(engine, password_hasher(platform_settings()))
    with TestClient(create_app(platform_settings(demo_mode=True), engine)) as client:
        for email, _ in shown:
            sign_in(client, email, DEMO_PASSWORD)
