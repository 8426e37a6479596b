"""Engine and sessions: the embedded server by default, ``DATABASE_URL`` otherwise."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session, sessionmaker

from tickerpulse.config import Settings
from tickerpulse.db.embedded import start_embedded

MIGRATIONS = Path(__file__).parent / "migrations"


def resolve_database_url(settings: Settings) -> str:
    """The URL to use: ``DATABASE_URL`` if set, else the embedded server (started now)."""
    if settings.database_url is not None:
        url = settings.database_url.get_secret_value()
        for prefix in ("postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix) :]
        return url
    return start_embedded(settings.pg_dir)


def make_engine(url: str) -> Engine:
    """A pooled engine for ``url``.

    The pool (10 + 40) is larger than the web server's thread pool (40): a request
    holds its connection until its session closes in a worker thread, so a smaller
    pool can leave every thread waiting for a connection no thread can give back.
    Bound parameters never appear in errors or logs (they carry e-mail addresses
    and tokens), and an unreachable server fails a connection within 10 s.
    """
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=40,
        hide_parameters=True,
        connect_args={"connect_timeout": 10},
    )


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to ``engine`` that keep objects usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
