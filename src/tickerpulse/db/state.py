"""Operational state in Postgres: source cursors and the cycle run ledger."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from tickerpulse.db.models import CycleRun, SourceCursor


def load_cursor(engine: Engine, source: str) -> dict[str, Any]:
    """The stored cursor of ``source`` (empty when it never ran)."""
    with engine.connect() as conn:
        value = conn.execute(
            select(SourceCursor.cursor).where(SourceCursor.source == source)
        ).scalar_one_or_none()
    return dict(value) if value else {}


def save_cursor(engine: Engine, source: str, cursor: dict[str, Any]) -> None:
    """Store the cursor of ``source`` (call only once the data it covers is durable)."""
    statement = insert(SourceCursor).values(source=source, cursor=cursor, updated_at=_now())
    statement = statement.on_conflict_do_update(
        index_elements=[SourceCursor.source],
        set_={"cursor": statement.excluded.cursor, "updated_at": statement.excluded.updated_at},
    )
    with engine.begin() as conn:
        conn.execute(statement)


def stage_status(engine: Engine, window_start: datetime) -> dict[str, str]:
    """Stage → status for one window."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(CycleRun.stage, CycleRun.status).where(CycleRun.window_start == window_start)
        ).all()
    return {stage: status for stage, status in rows}  # noqa: C416


def mark_started(engine: Engine, window_start: datetime, stage: str) -> None:
    """Record that a stage attempt began (status ``running``, attempts + 1)."""
    now = _now()
    statement = insert(CycleRun).values(
        window_start=window_start,
        stage=stage,
        status="running",
        attempts=1,
        counts={},
        started_at=now,
        finished_at=None,
        duration_ms=None,
        error=None,
    )
    statement = statement.on_conflict_do_update(
        index_elements=[CycleRun.window_start, CycleRun.stage],
        set_={
            "status": "running",
            "attempts": CycleRun.attempts + 1,
            "started_at": now,
            "finished_at": None,
            "duration_ms": None,
            "error": None,
        },
    )
    with engine.begin() as conn:
        conn.execute(statement)


def mark_finished(
    conn: Connection,
    window_start: datetime,
    stage: str,
    *,
    status: str,
    counts: dict[str, Any],
    error: str | None = None,
) -> None:
    """Record how a stage attempt ended, inside the caller's transaction."""
    row = conn.execute(
        select(CycleRun.started_at).where(
            CycleRun.window_start == window_start, CycleRun.stage == stage
        )
    ).scalar_one()
    finished = _now()
    conn.execute(
        update(CycleRun)
        .where(CycleRun.window_start == window_start, CycleRun.stage == stage)
        .values(
            status=status,
            counts=counts,
            finished_at=finished,
            duration_ms=int((finished - row).total_seconds() * 1000),
            error=error,
        )
    )


def ledger(engine: Engine, *, limit: int = 200) -> list[CycleRun]:
    """The newest ledger rows, newest window first."""
    with Session(engine) as session:
        rows = session.scalars(
            select(CycleRun)
            .order_by(CycleRun.window_start.desc(), CycleRun.started_at)
            .limit(limit)
        ).all()
    return list(rows)


def window_outcomes(engine: Engine, *, since: datetime) -> dict[datetime, bool]:
    """Every window since ``since`` the ledger knows → whether its publish stage finished."""
    published = func.bool_or((CycleRun.stage == "publish") & (CycleRun.status == "ok"))
    with engine.connect() as conn:
        rows = conn.execute(
            select(CycleRun.window_start, published)
            .where(CycleRun.window_start >= since)
            .group_by(CycleRun.window_start)
        ).all()
    return {start: bool(done) for start, done in rows}


def last_published(engine: Engine) -> datetime | None:
    """Start of the newest window whose publish stage finished, if any."""
    with engine.connect() as conn:
        return conn.execute(
            select(func.max(CycleRun.window_start)).where(
                CycleRun.stage == "publish", CycleRun.status == "ok"
            )
        ).scalar_one()


def _now() -> datetime:
    return datetime.now(UTC)
