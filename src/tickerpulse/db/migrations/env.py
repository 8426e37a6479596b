"""Alembic environment: runs on a connection handed in by tickerpulse.db.engine.migrate."""

from alembic import context
from sqlalchemy import create_engine

from tickerpulse.db import platform  # noqa: F401  (registers the platform tables)
from tickerpulse.db.models import Base

config = context.config
target_metadata = Base.metadata

connection = config.attributes.get("connection")
if connection is None:
    # `alembic` run by hand: use the URL given with -x url=...
    url = context.get_x_argument(as_dictionary=True)["url"]
    with create_engine(url).connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
