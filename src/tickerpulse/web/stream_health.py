"""The supervised stream processors' health, read from ``stream_processor_status``.

A processor is *down* while it waits to restart after a failure, or when it
says it runs but its heartbeat has expired (its process died or hangs).
Deliberately stopped processors are not down. Read with the database's clock,
the one the heartbeats were written with.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tickerpulse.db.models import StreamProcessorStatus


@dataclass(frozen=True)
class ProcessorHealth:
    """One processor's state as ``/healthz`` and ``/metrics`` report it."""

    name: str
    state: str
    restarts: int
    last_error: str | None
    heartbeat_at: datetime
    down: bool

    def as_dict(self) -> dict[str, object]:
        """The JSON ``/healthz`` shows (the error's type only: messages may carry data)."""
        return {
            "state": "down (no heartbeat)" if self.down and self.state == "running" else self.state,
            "restarts": self.restarts,
            "last_error": None if self.last_error is None else self.last_error.split(":", 1)[0],
            "heartbeat_at": self.heartbeat_at.isoformat(),
        }


def processor_health(session: Session) -> list[ProcessorHealth]:
    """Every processor that ever reported, by name."""
    expired = StreamProcessorStatus.expires_at < func.now()
    rows = session.execute(
        select(StreamProcessorStatus, expired).order_by(StreamProcessorStatus.name)
    ).all()
    return [
        ProcessorHealth(
            name=row.name,
            state=row.state,
            restarts=row.restarts,
            last_error=row.last_error,
            heartbeat_at=row.heartbeat_at,
            down=row.state == "restarting" or (row.state == "running" and bool(stale)),
        )
        for row, stale in rows
    ]


def processor_families(health: list[ProcessorHealth]) -> list[GaugeMetricFamily]:
    """``tickerpulse_stream_processor_up`` and ``…_restarts`` per processor."""
    up = GaugeMetricFamily(
        "tickerpulse_stream_processor_up",
        "1 while a stream processor runs (or was stopped on purpose), 0 while it is down.",
        labels=["name"],
    )
    restarts = GaugeMetricFamily(
        "tickerpulse_stream_processor_restarts",
        "Restarts after failures since the stream processor's process started.",
        labels=["name"],
    )
    for item in health:
        up.add_metric([item.name], 0 if item.down else 1)
        restarts.add_metric([item.name], item.restarts)
    return [up, restarts]
