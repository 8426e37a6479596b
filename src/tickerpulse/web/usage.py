"""Usage metrics: requests per day, user, route and kind, counted in memory and flushed in batches.

Counting costs a dictionary update per request; a background thread adds the
counts to ``usage_daily`` every few seconds (and at shutdown), so page
latency does not pay for a database write.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime

from fastapi import FastAPI, Request, Response
from sqlalchemy import Engine
from sqlalchemy.dialects.postgresql import insert
from starlette.routing import Match

from tickerpulse.db.platform import UsageDaily

log = logging.getLogger(__name__)
Key = tuple[date, int, str, str]
SKIPPED_PREFIXES = ("/static", "/metrics", "/healthz")


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
        """Add the waiting counts to ``usage_daily``; returns how many rows were touched."""
        with self._lock:
            counts, self._counts = self._counts, Counter()
        if not counts:
            return 0
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
        """Stop the thread and flush what is left."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.flush()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.flush()
            except Exception:
                log.exception("usage flush failed")


def install_usage(app: FastAPI, recorder: UsageRecorder) -> None:
    """Count every page view and API call by the route that served it."""

    @app.middleware("http")
    async def count_usage(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        path = request.url.path
        if path.startswith(SKIPPED_PREFIXES):
            return response
        template = _route_template(request, response)
        api = path.startswith("/api/")
        viewer = getattr(request.state, "viewer", None)
        recorder.record(
            user_id=0 if viewer is None else viewer.user_id,
            route=("/api/v1" + template) if api and not template.startswith("/api") else template,
            kind="api" if api else "page",
        )
        return response


def _route_template(request: Request, response: Response) -> str:
    """The path template that served the request (``/asset/{asset_id}``), also for cache hits."""
    route = request.scope.get("route")
    if route is not None:
        return str(getattr(route, "path", "unmatched"))
    if response.headers.get("x-cache") == "hit":
        for candidate in request.app.router.routes:
            match, _ = candidate.matches(request.scope)
            if match == Match.FULL:
                return str(getattr(candidate, "path", "unmatched"))
    return "unmatched"
