"""Schemathesis against the API's own OpenAPI document: generated requests never get a 5xx."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from tests.conftest import fresh_database
from tests.integration.test_web_queries import seed_marts
from tests.web_helpers import add_user, platform_settings
from tickerpulse.db.platform import User
from tickerpulse.platform import api_keys
from tickerpulse.web.app import create_app

KEY: dict[str, str] = {}


@pytest.fixture(scope="module")
def api_app(pg_admin_uri: str) -> Iterator[FastAPI]:
    monkey = pytest.MonkeyPatch()
    monkey.setenv("SECRET_KEY", "fuzz-secret")
    with fresh_database(pg_admin_uri) as url:
        engine = create_engine(url)
        seed_marts(engine)
        add_user(engine, "fuzz@example.com", tier="premium")
        with Session(engine) as session:
            user = session.query(User).one()
            KEY["value"] = api_keys.create_key(session, user, name="fuzz", now=datetime.now(UTC))
            session.commit()
        app = create_app(platform_settings(api_requests_per_minute={"premium": 100_000}), engine)
        yield app
        engine.dispose()
    monkey.undo()


def test_no_generated_request_gets_a_server_error(api_app: FastAPI) -> None:
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", api_app)
    auth = {"authorization": f"Bearer {KEY['value']}"}
    checked = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
        def no_server_error(case: schemathesis.Case) -> None:
            response = case.call(headers=auth)
            assert response.status_code < 500, (case.path, case.query, response.text)
            case.validate_response(response)

        no_server_error()
        checked += 1
    assert checked == 10  # every GET operation of the API, the insight routes included
