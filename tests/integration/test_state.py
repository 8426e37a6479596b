from datetime import UTC, datetime

from sqlalchemy import Engine

from tickerpulse.db.state import (
    ledger,
    load_cursor,
    mark_finished,
    mark_started,
    save_cursor,
    stage_status,
)

WINDOW = datetime(2026, 1, 1, 6, tzinfo=UTC)


def test_cursor_is_empty_until_saved_then_replaced(engine: Engine) -> None:
    assert load_cursor(engine, "reddit") == {}
    save_cursor(engine, "reddit", {"after": "t3_a"})
    save_cursor(engine, "reddit", {"after": "t3_b"})
    assert load_cursor(engine, "reddit") == {"after": "t3_b"}


def test_ledger_counts_attempts_and_records_outcome(engine: Engine) -> None:
    mark_started(engine, WINDOW, "land")
    with engine.begin() as conn:
        mark_finished(conn, WINDOW, "land", status="failed", counts={}, error="boom")
    mark_started(engine, WINDOW, "land")
    assert stage_status(engine, WINDOW) == {"land": "running"}
    with engine.begin() as conn:
        mark_finished(conn, WINDOW, "land", status="ok", counts={"reddit": 3})
    (row,) = ledger(engine)
    assert (row.status, row.attempts, row.counts, row.error) == ("ok", 2, {"reddit": 3}, None)
    assert row.duration_ms is not None and row.finished_at is not None
