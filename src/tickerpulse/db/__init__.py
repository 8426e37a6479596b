"""Postgres: embedded server, engine, models, migrations and mart publishing."""
