"""Keeps the bar processor running through failures: restart with back-off, from the bus commit.

A processor left to itself ends on its first exception (Postgres restarting, a
failover, the lake unwritable) and the live path stays dead until someone
restarts the process. :class:`SupervisedProcessor` runs the processor's batches
itself; when one fails it records the failure, waits (0.5 s, doubling up to
30 s), and restarts once Postgres answers again: a fresh consumer resumes from
the group's committed offsets and the open bars are rebuilt from the same
trades (see :mod:`~tickerpulse.streaming.processor`), so no bar is lost or
doubled. A failed batch was never committed, so it is simply read again.
It reports itself running again once its batches have succeeded for one
heartbeat interval.

State, restarts, the last error and a heartbeat go to ``stream_processor_status``,
which ``/healthz`` and ``/metrics`` read whichever process runs the stream.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy import Engine, func, text
from sqlalchemy.dialects.postgresql import insert

from tickerpulse.db.models import StreamProcessorStatus
from tickerpulse.streaming.bus import Consumer
from tickerpulse.streaming.processor import DEFAULT_GROUP, BarProcessor

log = structlog.get_logger(__name__)

RUNNING, RESTARTING, STOPPED = "running", "restarting", "stopped"


@dataclass(frozen=True)
class Backoff:
    """Waits between restarts: ``first`` seconds, doubling up to ``most``."""

    first: float = 0.5
    most: float = 30.0

    def after(self, wait: float) -> float:
        """The wait that follows ``wait``."""
        return min(wait * 2, self.most)


def describe(exc: BaseException) -> str:
    """The error's type and first line, without the SQL and parameters SQLAlchemy appends."""
    cause = getattr(exc, "orig", None) or exc
    lines = str(cause).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"[:300]


class SupervisedProcessor:
    """Runs a :class:`BarProcessor` until stopped, restarting it after every failure."""

    def __init__(
        self,
        processor: BarProcessor,
        reopen: Callable[[], Consumer],
        *,
        name: str = DEFAULT_GROUP,
        on_restart: Callable[[], None] | None = None,
        backoff: Backoff | None = None,
        heartbeat_s: float = 5.0,
    ) -> None:
        """Supervise ``processor``; ``reopen`` makes a new consumer in the same group.

        ``on_restart`` runs before the processor resumes (e.g. to rebuild the online
        model from the bars Postgres holds, since a failed transaction rolled back
        bars the model had already seen).
        """
        self.processor = processor
        self.reopen = reopen
        self.name = name
        self.on_restart = on_restart
        self.backoff = backoff or Backoff()
        self.heartbeat_s = heartbeat_s
        self.restarts = 0
        self.last_error: str | None = None
        self.state = STOPPED
        self.started_at = datetime.now(UTC)

    @property
    def engine(self) -> Engine:
        """The database the processor writes to (and the status goes to)."""
        return self.processor.engine

    def run(self, stop: threading.Event) -> None:
        """Process batches until ``stop`` is set; a failure restarts the processor.

        On the way out the consumer leaves its group, so a restarted service gets the
        partitions at once rather than after the broker's session timeout.
        """
        self.started_at = datetime.now(UTC)
        self._record(RUNNING)
        wait = self.backoff.first
        beat = time.monotonic()
        while not stop.is_set():
            try:
                self.processor.step()
                wait = self.backoff.first
                if time.monotonic() - beat >= self.heartbeat_s:
                    self._record(RUNNING)
                    beat = time.monotonic()
            except Exception as exc:  # whatever failed, the batch was not committed: restart
                self.restarts += 1
                self.last_error = describe(exc)
                log.error("stream processor failed", error=self.last_error, restarts=self.restarts)
                self._try_record(RESTARTING)
                if not self._restart(stop, wait):
                    break
                wait = self.backoff.after(wait)
                beat = time.monotonic()
        self._leave_group()
        self._try_record(STOPPED)

    def _restart(self, stop: threading.Event, wait: float) -> bool:
        """Wait, then resume from the bus commit once Postgres answers; False when stopped."""
        while not stop.wait(wait):
            try:
                with self.engine.connect() as conn:
                    conn.execute(text("SELECT 1"))  # Postgres answers again
                self._reopen_consumer()
                if self.on_restart is not None:
                    self.on_restart()
            except Exception as exc:
                self.last_error = describe(exc)
                self.state = RESTARTING
                log.warning("stream processor still failing", error=self.last_error, wait=wait)
                wait = self.backoff.after(wait)
                continue
            log.info("stream processor restarted", restarts=self.restarts)
            return True
        return False

    def _reopen_consumer(self) -> None:
        self._leave_group()  # before a new member joins
        self.processor.reopen(self.reopen())

    def _leave_group(self) -> None:
        """Close the consumer, so its partitions pass to the next member at once."""
        try:
            self.processor.consumer.close()
        except Exception as exc:
            log.warning("stream processor: closing the consumer failed", error=describe(exc))

    def _try_record(self, state: str) -> None:
        try:
            self._record(state)
        except Exception as exc:  # Postgres is the likely cause of the failure itself
            self.state = state
            log.warning("stream processor status not written", state=state, error=describe(exc))

    def _record(self, state: str) -> None:
        now = func.now()
        row = {
            "name": self.name, "state": state, "restarts": self.restarts,
            "last_error": self.last_error, "started_at": self.started_at, "heartbeat_at": now,
            "expires_at": now + timedelta(seconds=3 * self.heartbeat_s),
        }  # fmt: skip
        stmt = insert(StreamProcessorStatus).values(row)
        stmt = stmt.on_conflict_do_update(
            index_elements=["name"],
            set_={k: stmt.excluded[k] for k in row if k != "name"},
        )
        with self.engine.begin() as conn:
            conn.execute(stmt)
        self.state = state
