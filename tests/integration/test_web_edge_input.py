"""Hostile values at the edge: NUL bytes, huge integers and malformed webhooks never give a 5xx.

Every route of the real app is walked (from ``app.routes``, the API's mount too)
and each of its path, query and form parameters in turn gets a NUL byte and
2**70, as a signed-in Premium administrator with a valid CSRF token would
send them, so the request reaches as deep as a real attacker's would.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from starlette.routing import Mount

from tests.integration.test_web_queries import seed_marts
from tests.web_helpers import add_user, csrf_of, platform_settings, sign_in
from tickerpulse.db.engine import make_engine
from tickerpulse.db.platform import User
from tickerpulse.platform import api_keys, billing
from tickerpulse.web.app import create_app

ATTACKS = {"nul": "a\x00b", "huge": str(2**70)}
SKIPPED = {"/logout", "/live/stream", "/account/delete"}
"""Routes whose success ends the walk (signs out, streams for minutes, deletes the walker)."""


def api_routes(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, APIRoute]]:
    """Every API route under ``routes`` with its full path (included routers and mounts too)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield prefix + route.path, route
        elif isinstance(route, Mount) and isinstance(route.app, FastAPI):
            yield from api_routes(list(route.app.routes), prefix + route.path)
        elif hasattr(route, "original_router"):  # FastAPI's included router
            yield from api_routes(list(route.original_router.routes), prefix)


def parameters(route: APIRoute) -> dict[str, list[Any]]:
    """The route's path, query and form parameters, its dependencies' too."""
    found: dict[str, list[Any]] = {"path": [], "query": [], "form": []}
    pending = [route.dependant]
    while pending:
        dependant = pending.pop()
        found["path"] += dependant.path_params
        found["query"] += dependant.query_params
        found["form"] += dependant.body_params
        pending += dependant.dependencies
    return found


def benign(param: Any) -> str:
    default = param.field_info.default
    return "1" if default is None or not isinstance(default, str | int) else str(default)


@pytest.fixture
def walker(engine: Engine) -> Iterator[tuple[TestClient, dict[str, str]]]:
    seed_marts(engine)
    add_user(engine, "walker@example.com", tier="premium", role="admin")
    with Session(engine) as session:
        user = session.query(User).one()
        key = api_keys.create_key(session, user, name="walk", now=datetime.now(UTC))
        session.commit()
    settings = platform_settings(api_requests_per_minute={"premium": 100_000})
    app = create_app(settings, engine)
    with TestClient(app, raise_server_exceptions=False) as client:
        sign_in(client, "walker@example.com")
        yield client, {"authorization": f"Bearer {key}"}


def test_nul_bytes_and_huge_integers_in_any_parameter_never_give_a_server_error(
    walker: tuple[TestClient, dict[str, str]],
) -> None:
    client, auth = walker
    csrf = csrf_of(client.get("/account").text)
    failures: list[str] = []
    walked = 0
    for path, route in api_routes(list(client.app.routes)):  # type: ignore[attr-defined]
        if path in SKIPPED:
            continue
        params = parameters(route)
        method = "POST" if "POST" in route.methods else "GET"
        for where, attacked in ((w, p) for w in params for p in params[w]):
            for name, value in ATTACKS.items():

                def value_of(param: Any, *, a: Any = attacked, v: str = value) -> str:
                    return v if param is a else benign(param)

                url = path
                for param in params["path"]:
                    url = url.replace(f"{{{param.alias}}}", quote(value_of(param), safe=":"))
                query = {p.alias: value_of(p) for p in params["query"]}
                form = {p.alias: value_of(p) for p in params["form"]}
                if method == "POST":
                    form.setdefault("csrf_token", csrf)
                    response = client.post(
                        url, params=query, data=form, headers=auth, follow_redirects=False
                    )
                else:
                    response = client.get(url, params=query, headers=auth, follow_redirects=False)
                walked += 1
                if response.status_code >= 500:
                    failures.append(f"{method} {path} {where} {attacked.alias}={name}")
    assert walked > 40
    assert not failures, "\n".join(failures)


WEBHOOK_SECRET = "whsec_edge_tests"


def signed(client: TestClient, payload: str) -> Any:
    signature = billing.sign_payload(payload, WEBHOOK_SECRET)
    return client.post("/billing/webhook", content=payload, headers={"stripe-signature": signature})


def event(kind: str, obj: Any, event_id: str = "evt_edge") -> str:
    return json.dumps({"id": event_id, "type": kind, "data": {"object": obj}})


@pytest.fixture
def stripe_client(engine: Engine) -> Iterator[tuple[TestClient, str]]:
    user_id = add_user(engine, "payer@example.com", tier="pro")
    settings = platform_settings(
        payment_provider="stripe", stripe_api_key="sk_test_edge",
        stripe_webhook_secret=WEBHOOK_SECRET,
    )  # fmt: skip
    with TestClient(create_app(settings, engine), raise_server_exceptions=False) as client:
        yield client, f"cus_test_{user_id}"


def test_validly_signed_but_malformed_webhooks_are_refused_with_a_reason(
    stripe_client: tuple[TestClient, str],
) -> None:
    client, customer = stripe_client
    malformed = {
        "non-numeric user id": event("checkout.session.completed", {"client_reference_id": "x"}),
        "user id beyond bigint": event(
            "checkout.session.completed", {"client_reference_id": str(2**70)}
        ),
        "object not an object": event("invoice.paid", "x"),
        "data not an object": json.dumps({"id": "evt_d", "type": "invoice.paid", "data": "x"}),
        "amount beyond the column": event(
            "invoice.paid", {"customer": customer, "id": "in_1", "amount_paid": 2**40}
        ),
        "items of the wrong type": event(
            "customer.subscription.updated", {"customer": customer, "items": {"data": ["x"]}}
        ),
        "period end beyond any date": event(
            "customer.subscription.updated", {"customer": customer, "current_period_end": 10**20}
        ),
        "status longer than the column": event(
            "customer.subscription.updated", {"customer": customer, "status": "x" * 40}
        ),
        "customer not a string": event("invoice.payment_failed", {"customer": {"a": 1}}),
        "NUL in the id": event("invoice.paid", {}, event_id="evt_\x00"),
        "nested too deeply": "[" * 100_000 + "]" * 100_000,
    }
    for name, payload in malformed.items():
        response = signed(client, payload)
        assert response.status_code == 400, (name, response.status_code, response.text)
        assert response.json()["reason"], name


def test_a_well_formed_webhook_for_an_unknown_user_is_received_and_changes_nothing(
    stripe_client: tuple[TestClient, str],
) -> None:
    client, _ = stripe_client
    obj = {"client_reference_id": "424242", "metadata": {"tier": "premium"}}
    response = signed(client, event("checkout.session.completed", obj))
    assert response.status_code == 200
    assert response.json()["outcome"] == "no such user or tier"


def test_database_errors_never_carry_the_values_they_were_given(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with pytest.raises(DBAPIError) as failed, engine.connect() as conn:
            conn.execute(text("SELECT :email, 1 / 0"), {"email": "victim@example.com"})
        assert "victim@example.com" not in str(failed.value)
    finally:
        engine.dispose()
