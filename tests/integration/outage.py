"""A real database outage for one test's database: connections refused and cut, then back.

``ALTER DATABASE … ALLOW_CONNECTIONS false`` plus ``pg_terminate_backend`` is what a
client sees when Postgres restarts or a failover happens: its open connections
die and new ones are refused until the database is back.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url


def cut_connections(pg_admin_uri: str, database_url: str, *, refuse: bool) -> None:
    """End every connection to the test's database; with ``refuse``, refuse new ones too."""
    name = make_url(database_url).database
    with psycopg.connect(pg_admin_uri, autocommit=True) as conn:
        conn.execute(
            sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS {}").format(
                sql.Identifier(name), sql.Literal(not refuse)
            )
        )
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )


@contextmanager
def database_outage(pg_admin_uri: str, database_url: str) -> Iterator[None]:
    """The test's database is down inside the block and back after it."""
    cut_connections(pg_admin_uri, database_url, refuse=True)
    try:
        yield
    finally:
        cut_connections(pg_admin_uri, database_url, refuse=False)
