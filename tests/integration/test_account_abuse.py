"""Attacks on the account forms: enumeration, mail floods, lockout as a weapon, weak passwords.

Each test performs the attack over real HTTP forms against the real app and
database. Timing tests measure, as a client would, how long each answer took
until its last byte was sent, and compare medians of interleaved tries within
one run (a ratio, never an absolute time) so a loaded machine slows both alike.
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tests.web_helpers import HTML, PASSWORD, add_user, csrf_of, platform_settings, sign_in
from tickerpulse.db.platform import EmailOutbox, UserSession
from tickerpulse.web.app import create_app


def costly_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Twice the default argon2 cost, for the accounts and the app: a missing hash shows well."""
    monkeypatch.setenv("ARGON2_TIME_COST", "4")
    monkeypatch.setenv("ARGON2_MEMORY_KIB", "19456")


NO_LIMITS = {
    "login_free_failures": 10_000,
    "login_ip_free_failures": 10_000,
    "signups_per_ip_hour": 10_000,
    "account_mails_per_ip_hour": 10_000,
    "account_mails_per_address_hour": 10_000,
}
"""Limits out of the way, for tests that measure answers rather than limits."""
TRIES = 15
WRONG = "not the password at all"


def client_at(app: object, ip: str) -> TestClient:
    """A test client whose requests come from ``ip``."""
    return TestClient(app, client=(ip, 50000))  # type: ignore[arg-type]


def without_tokens(html: str, *addresses: str) -> str:
    """A page with its CSRF tokens and the given addresses blanked, to compare two answers."""
    html = re.sub(r'name="csrf_token" value="[^"]+"', "", html)
    for address in addresses:
        html = html.replace(address, "ADDRESS")
    return html


def poster(client: TestClient, page: str) -> Callable[..., Response]:
    """Post to ``page``'s form with a CSRF token fetched once (it stays valid for the client)."""
    token = csrf_of(client.get(page).text)

    def post(action: str = page, **fields: str) -> Response:
        return client.post(action, data={**fields, "csrf_token": token}, follow_redirects=False)

    return post


class AnswerClock:
    """Wraps the app and notes how long the last request took until its answer was all sent."""

    def __init__(self, app: ASGIApp) -> None:
        self.app, self.last = app, 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        start = time.perf_counter()

        async def timed(message: Message) -> None:
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                self.last = time.perf_counter() - start

        await self.app(scope, receive, timed)


def median_seconds(
    clock: AnswerClock, a: Callable[[], object], b: Callable[[], object]
) -> tuple[float, float]:
    """Median answer times of ``a`` and ``b`` over interleaved tries (after one warm-up each)."""
    a(), b()
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(TRIES):
        for action, spent in ((a, times[0]), (b, times[1])):
            action()
            spent.append(clock.last)
    return statistics.median(times[0]), statistics.median(times[1])


def mails_to(engine: Engine, address: str) -> list[EmailOutbox]:
    with Session(engine) as session:
        return list(
            session.scalars(
                select(EmailOutbox)
                .where(EmailOutbox.to_addr == address)
                .order_by(EmailOutbox.message_id)
            )
        )


# 7. enumeration --------------------------------------------------------------------------------


def test_sign_in_takes_as_long_for_an_unknown_address_as_for_a_known_one(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    costly_hashing(monkeypatch)
    add_user(engine, "known@example.com")
    clock = AnswerClock(create_app(platform_settings(**NO_LIMITS), engine))
    with TestClient(clock) as client:
        post = poster(client, "/login")
        known, unknown = median_seconds(
            clock,
            lambda: post(email="known@example.com", password=WRONG),
            lambda: post(email="nobody@example.com", password=WRONG),
        )
        answers = [post(email=e, password=WRONG) for e in ("known@example.com", "no@example.com")]
    assert answers[0].status_code == answers[1].status_code == 401
    assert without_tokens(answers[0].text, "known@example.com") == without_tokens(
        answers[1].text, "no@example.com"
    )
    assert max(known, unknown) / min(known, unknown) < 2.5, (known, unknown)


def test_sign_up_answers_alike_for_a_taken_address_and_mails_its_owner(engine: Engine) -> None:
    add_user(engine, "taken@example.com")
    with TestClient(create_app(platform_settings(), engine)) as client:
        post = poster(client, "/signup")
        taken = post(email="taken@example.com", password="a different good password")
        new = post(email="new@example.com", password="a different good password")
    assert taken.status_code == new.status_code == 200
    assert without_tokens(taken.text, "taken@example.com") == without_tokens(
        new.text, "new@example.com"
    )
    [warning] = mails_to(engine, "taken@example.com")
    assert "someone tried to sign up" in warning.body.lower() and "/forgot" in warning.body
    assert "token=" not in warning.body  # nothing in it lets anyone in
    [welcome] = mails_to(engine, "new@example.com")
    assert "/verify?token=" in welcome.body


def test_sign_up_takes_as_long_for_a_taken_address_as_for_a_new_one(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    costly_hashing(monkeypatch)
    add_user(engine, "taken@example.com")
    clock = AnswerClock(create_app(platform_settings(**NO_LIMITS), engine))
    fresh = iter(range(10_000))
    with TestClient(clock) as client:
        post = poster(client, "/signup")
        taken, new = median_seconds(
            clock,
            lambda: post(email="taken@example.com", password="a different good password"),
            lambda: post(email=f"new{next(fresh)}@example.com", password="a good new password"),
        )
    assert max(taken, new) / min(taken, new) < 2.5, (taken, new)


def test_reset_answers_alike_and_as_fast_for_known_and_unknown_addresses(engine: Engine) -> None:
    add_user(engine, "known@example.com")
    clock = AnswerClock(create_app(platform_settings(**NO_LIMITS), engine))
    with TestClient(clock) as client:
        post = poster(client, "/forgot")
        known, unknown = median_seconds(
            clock, lambda: post(email="known@example.com"), lambda: post(email="nobody@example.com")
        )
        answers = [post(email=e) for e in ("known@example.com", "nobody@example.com")]
    assert answers[0].status_code == answers[1].status_code == 200
    assert without_tokens(answers[0].text, "known@example.com") == without_tokens(
        answers[1].text, "nobody@example.com"
    )
    # No hash to hide here, only a few queries: the answers must do the same work.
    assert max(known, unknown) / min(known, unknown) < 1.5, (known, unknown)
    assert len(mails_to(engine, "known@example.com")) == TRIES + 2  # the links still go out


# 8. mail floods and sign-up floods -------------------------------------------------------------


def test_fifty_reset_requests_send_the_victim_only_a_few_mails(engine: Engine) -> None:
    add_user(engine, "victim@example.com")
    app = create_app(platform_settings(account_mails_per_address_hour=3), engine)
    answers = []
    for n in range(50):  # from 50 addresses, so no per-IP limit hides the per-address one
        with client_at(app, f"198.51.100.{n + 1}") as client:
            answers.append(poster(client, "/forgot")(email="victim@example.com"))
    assert {a.status_code for a in answers} == {200}
    assert len({without_tokens(a.text) for a in answers}) == 1  # the cap is silent
    assert len(mails_to(engine, "victim@example.com")) == 3


def test_reset_requests_from_one_ip_are_refused_with_retry_after(engine: Engine) -> None:
    app = create_app(platform_settings(account_mails_per_ip_hour=5), engine)
    with client_at(app, "203.0.113.9") as client:
        post = poster(client, "/forgot")
        answers = [post(email=f"v{n}@example.com") for n in range(8)]
    with client_at(app, "203.0.113.10") as neighbour:
        other = poster(neighbour, "/forgot")(email="v0@example.com")
    assert [a.status_code for a in answers] == [200] * 5 + [429] * 3
    assert 0 < int(answers[-1].headers["retry-after"]) <= 3600
    assert other.status_code == 200


def test_sign_ups_from_one_ip_are_refused_with_retry_after(engine: Engine) -> None:
    app = create_app(platform_settings(signups_per_ip_hour=4), engine)
    with client_at(app, "203.0.113.7") as client:
        post = poster(client, "/signup")
        answers = [
            post(email=f"bot{n}@example.com", password="a good new password") for n in range(6)
        ]
    assert [a.status_code for a in answers] == [200] * 4 + [429] * 2
    assert 0 < int(answers[-1].headers["retry-after"]) <= 3600
    with Session(engine) as session:
        from tickerpulse.db.platform import User

        assert session.scalar(select(func.count()).select_from(User)) == 4


def test_confirmation_resends_are_capped_per_address(engine: Engine) -> None:
    add_user(engine, "late@example.com", verified=False)
    app = create_app(platform_settings(account_mails_per_address_hour=2), engine)
    with TestClient(app) as client:
        post = poster(client, "/login")
        for _ in range(6):
            answer = post(email="late@example.com", password=PASSWORD, resend="1")
            assert answer.status_code == 403
    assert len(mails_to(engine, "late@example.com")) == 2


def test_confirmation_resends_from_one_ip_are_refused_with_retry_after(engine: Engine) -> None:
    add_user(engine, "late@example.com", verified=False)
    app = create_app(platform_settings(account_mails_per_ip_hour=2), engine)
    with client_at(app, "203.0.113.21") as client:
        post = poster(client, "/login")
        answers = [post(email="late@example.com", password=PASSWORD, resend="1") for _ in range(3)]
    assert [a.status_code for a in answers] == [403, 403, 429]
    assert int(answers[-1].headers["retry-after"]) > 0


# 9. lockout as a weapon ------------------------------------------------------------------------


def test_fifty_failures_from_one_ip_slow_it_down_but_never_lock_the_owner_out(
    engine: Engine,
) -> None:
    add_user(engine, "owner@example.com")
    app = create_app(platform_settings(), engine)
    with client_at(app, "203.0.113.66") as attacker:
        post = poster(attacker, "/login")
        answers = [post(email="owner@example.com", password=f"guess {n}") for n in range(50)]
    with client_at(app, "192.0.2.15") as owner:
        sign_in(owner, "owner@example.com")
    statuses = [a.status_code for a in answers]
    assert statuses[:5] == [401] * 5 and statuses.count(429) >= 40
    refused = next(a for a in answers if a.status_code == 429)
    assert int(refused.headers["retry-after"]) >= 1


def test_the_wait_doubles_with_each_failure_after_the_free_ones(engine: Engine) -> None:
    from tickerpulse.platform import accounts
    from tickerpulse.platform.crypto import password_hasher

    add_user(engine, "owner@example.com")
    settings = platform_settings()
    hasher = password_hasher(settings)
    limits = accounts.LoginLimits.from_settings(settings)
    now = datetime(2026, 1, 5, 9, tzinfo=UTC)
    waits = []
    with Session(engine) as session:
        for _ in range(16):
            result = accounts.authenticate(
                session, hasher, email="owner@example.com", password=WRONG, ip="203.0.113.66",
                now=now, limits=limits,
            )  # fmt: skip
            session.commit()
            assert result.user is None
            if result.retry_after:
                waits.append(result.retry_after)
                now += timedelta(seconds=result.retry_after)  # the attacker waits, then tries
                continue
            now += timedelta(seconds=0.1)
    assert waits == [1, 2, 4, 8, 16, 32], waits
    with Session(engine) as session:  # the owner, from home, at the same moment
        home = accounts.authenticate(
            session, hasher, email="owner@example.com", password=PASSWORD, ip="192.0.2.15",
            now=now, limits=limits,
        )  # fmt: skip
    assert home.user is not None


def test_an_ip_full_of_failures_still_lets_its_known_users_in(engine: Engine) -> None:
    add_user(engine, "neighbour@example.com")
    app = create_app(platform_settings(login_ip_free_failures=10), engine)
    office = "203.0.113.80"
    with client_at(app, office) as neighbour:
        sign_in(neighbour, "neighbour@example.com")  # has signed in from the office before
    with client_at(app, office) as attacker:
        post = poster(attacker, "/login")
        for n in range(15):  # one guess at each of many addresses: no pair limit trips
            post(email=f"target{n}@example.com", password=WRONG)
        stranger = post(email="another@example.com", password=WRONG)
    with client_at(app, office) as neighbour:
        sign_in(neighbour, "neighbour@example.com")
    assert stranger.status_code == 429 and int(stranger.headers["retry-after"]) >= 1


# 15. weak passwords and idle sessions ----------------------------------------------------------


def test_common_and_repetitive_passwords_are_refused_everywhere(engine: Engine) -> None:
    add_user(engine, "me@example.com")
    with TestClient(create_app(platform_settings(), engine)) as client:
        signup = poster(client, "/signup")
        for weak in ("aaaaaaaaaa", "password12", "Password123!", "qwertyuiop", "1234567890"):
            refused = signup(email="new@example.com", password=weak)
            assert refused.status_code == 400 and "too easy to guess" in refused.text, weak
        reset = poster(client, "/forgot")
        reset(email="me@example.com")
        [mail] = mails_to(engine, "me@example.com")
        link = re.search(r"/reset\?token=[\w-]+", mail.body)
        assert link is not None
        token = link.group(0).split("=")[1]
        form = client.get(link.group(0)).text
        weak_reset = client.post(
            "/reset", data={"token": token, "password": "abcabcabcabc", "csrf_token": csrf_of(form)}
        )
        assert weak_reset.status_code == 400 and "too easy to guess" in weak_reset.text
        sign_in(client, "me@example.com")
        account = client.get("/account").text
        changed = client.post(
            "/account/password",
            data={"current": PASSWORD, "password": "iloveyou2024", "csrf_token": csrf_of(account)},
            follow_redirects=False,
        )
        assert "weak_password" in changed.headers["location"]
        assert "too easy to guess" in client.get(changed.headers["location"]).text
        sign_in(client, "me@example.com")  # the old password still works


def test_a_session_idle_longer_than_the_limit_is_signed_out(engine: Engine) -> None:
    add_user(engine, "idle@example.com")
    app = create_app(platform_settings(session_idle_hours=12), engine)
    with TestClient(app) as client:
        sign_in(client, "idle@example.com")
        with Session(engine) as session:  # eleven hours without a request: still signed in
            session.execute(
                update(UserSession).values(last_seen_at=datetime.now(UTC) - timedelta(hours=11))
            )
            session.commit()
        assert client.get("/account").status_code == 200
        with Session(engine) as session:  # that request counted as activity
            seen = session.scalars(select(UserSession.last_seen_at)).one()
        assert seen > datetime.now(UTC) - timedelta(minutes=5)
        with Session(engine) as session:  # thirteen idle hours: signed out
            session.execute(
                update(UserSession).values(last_seen_at=datetime.now(UTC) - timedelta(hours=13))
            )
            session.commit()
        assert client.get("/account", headers=HTML, follow_redirects=False).status_code == 303


def test_migration_0012_matches_the_session_and_request_models(engine: Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from tickerpulse.db.models import Base

    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    mine = [d for d in diffs if "user_session" in repr(d) or "account_request" in repr(d)]
    assert mine == []


def test_each_use_of_a_session_restarts_its_idle_clock_until_the_fourteen_days(
    engine: Engine,
) -> None:
    from tickerpulse.db.platform import User
    from tickerpulse.platform import accounts

    add_user(engine, "clock@example.com")
    start = datetime(2026, 3, 1, 8, tzinfo=UTC)
    idle = timedelta(hours=12)
    with Session(engine) as session:
        user = session.scalars(select(User)).one()
        token = accounts.start_session(session, user, now=start)
        session.commit()

        def live_at(hours: float) -> bool:
            found = accounts.session_user(
                session, token, now=start + timedelta(hours=hours), idle=idle
            )
            session.commit()
            return found is not None

        # used every 11 hours it lives on; 14 days is the end whatever the use
        assert all(live_at(11 * n) for n in range(1, 31))
        assert not live_at(14 * 24 + 1)
    with Session(engine) as session:
        user = session.scalars(select(User)).one()
        token = accounts.start_session(session, user, now=start)
        session.commit()
        assert accounts.session_user(session, token, now=start + timedelta(hours=11.9), idle=idle)
        session.rollback()  # that use is not kept: the session is then idle from the start
        assert not accounts.session_user(
            session, token, now=start + timedelta(hours=12, minutes=1), idle=idle
        )
