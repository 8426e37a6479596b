from sqlalchemy import Engine, inspect, text


def test_migrations_create_the_marts_and_ledger(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert {"cycle_run", "source_cursor", "mart_asset_window", "mart_price_window"} <= tables


def test_server_is_real_postgres(engine: Engine) -> None:
    with engine.connect() as conn:
        version = conn.execute(text("SHOW server_version_num")).scalar_one()
    assert int(version) >= 180000
