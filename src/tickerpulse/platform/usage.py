"""Usage metrics: requests per day, user, route and kind, counted in memory and flushed in batches.

Counting costs a dictionary update per request; a background thread adds the
counts to ``usage_daily`` every few seconds (and at shutdown), so page
latency does not pay for a database write. Counts a flush could not write
(Postgres down) stay in memory and go with the next flush; only a process
killed outright (SIGKILL) loses the few seconds since the last one. What
counts a request is the web layer's (:mod:`tickerpulse.web.usage`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from datetime import UTC, date, datetime

from sqlalchemy import Engine
from sqlalchemy.dialects.postgresql import insert

from tickerpulse.db.platform import UsageDaily

log = logging.getLogger(__name__)
Key = tuple[date, int, str, str]
SHUTDOWN_ATTEMPTS = 3


class UsageRecorder:
    """Request counts waiting to be added to the database."""

    def __init__(self, engine: Engine, interval_s: float = 5.0) -> None:
        self.engine, self.interval_s = engine, interval_s
        self._counts: Counter[Key] = Counter()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def record(self, *, user_id: int, route: str, kind: str, day: date | None = None) -> None:
        """Count one request."""
        key = (day or datetime.now(UTC).date(), user_id, route[:200], kind)
        with self._lock:
            self._counts[key] += 1

    def flush(self) -> int:
        """Add the waiting counts to ``usage_daily``; returns how many rows were touched.

        Raises:
            Exception: The write failed; the counts wait for the next flush.
        """
        with self._lock:
            counts, self._counts = self._counts, Counter()
        if not counts:
            return 0
        try:
            return self._write(counts)
        except BaseException:
            with self._lock:
                self._counts.update(counts)  # one transaction: nothing of them was written
            raise

    @property
    def waiting(self) -> int:
        """Requests counted but not written yet."""
        with self._lock:
            return sum(self._counts.values())

    def _write(self, counts: Counter[Key]) -> int:
        rows = [
            {"day": d, "user_id": u, "route": r, "kind": k, "requests": n}
            for (d, u, r, k), n in counts.items()
        ]
        stmt = insert(UsageDaily).values(rows)
        stmt = stmt.on_conflict_do_update(
            index_elements=["day", "user_id", "route", "kind"],
            set_={"requests": UsageDaily.requests + stmt.excluded.requests},
        )
        with self.engine.begin() as conn:
            conn.execute(stmt)
        return len(rows)

    def start(self) -> None:
        """Flush every ``interval_s`` seconds in a daemon thread."""
        self._thread = threading.Thread(target=self._run, name="usage-flush", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and flush what is left, trying a few times if Postgres is away."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        for attempt in range(1, SHUTDOWN_ATTEMPTS + 1):
            try:
                self.flush()
                return
            except Exception:
                if attempt == SHUTDOWN_ATTEMPTS:
                    log.exception("usage counts lost at shutdown: %d requests", self.waiting)
                    return
                time.sleep(0.5 * attempt)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.flush()
            except Exception as exc:  # kept for the next flush: say so, without the SQL
                log.warning(
                    "usage flush failed, %d requests wait for the next: %s",
                    self.waiting,
                    type(exc).__name__,
                )
