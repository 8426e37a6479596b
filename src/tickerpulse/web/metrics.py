"""Prometheus metrics at ``/metrics``: request latency here, cycle health from the ledger.

Every response also carries ``Server-Timing: queue;dur=<ms>, app;dur=<ms>``: the
wait for a place (see :class:`TimingMiddleware`) and the server time the load
benchmark reads (browsers show both in their network panel).

Cycle metrics are read from Postgres at scrape time (the ``cycle_run`` ledger,
``source_cursor`` and, for the live path, ``live_bar.updated_at`` and
``stream_processor_status``), so
they are right whichever process ran the cycle — the scheduler, a cron'd
``cycle run`` or a Dataproc job — or the stream. Request latency is
measured in the web process itself, labelled by route template (never by raw
path, so asset ids do not explode the label set).
"""

from __future__ import annotations

import asyncio
import hmac
import itertools
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import structlog
from fastapi import FastAPI, Header, HTTPException, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tickerpulse.config import Settings
from tickerpulse.db.models import CycleRun, LiveBar, SourceCursor
from tickerpulse.web.stream_health import processor_families, processor_health

LEDGER_LOOKBACK = timedelta(days=7)
log = structlog.get_logger(__name__)


class LedgerCollector(Collector):
    """Cycle and source gauges computed from the ledger on every scrape."""

    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] | None = None) -> None:
        self.engine = engine
        self.clock = clock or (lambda: datetime.now(UTC))

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """The gauges; a database outage yields ``tickerpulse_ledger_up 0`` instead of an error."""
        up = GaugeMetricFamily("tickerpulse_ledger_up", "1 when the ledger could be read.")
        try:
            families = self._families()
        except Exception:  # a scrape must answer even when Postgres does not
            log.exception("metrics: the ledger could not be read")
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _families(self) -> list[GaugeMetricFamily]:
        now = self.clock()
        with Session(self.engine) as session:
            newest = session.execute(select(func.max(CycleRun.window_start))).scalar_one()
            since = (newest or now) - LEDGER_LOOKBACK
            runs = list(session.scalars(select(CycleRun).where(CycleRun.window_start >= since)))
            cursors = [
                (source, updated_at)
                for source, updated_at in session.execute(
                    select(SourceCursor.source, SourceCursor.updated_at)
                )
            ]
            latest = session.execute(
                select(func.max(CycleRun.window_start)).where(
                    CycleRun.stage == "publish", CycleRun.status == "ok"
                )
            ).scalar_one()
            newest_bars = select(LiveBar.interval_s, func.max(LiveBar.updated_at))
            live = [(i, at) for i, at in session.execute(newest_bars.group_by(LiveBar.interval_s))]
            processors = processor_health(session)
        return [
            *processor_families(processors),
            _last_published(latest, now),
            *_stage_families(runs),
            _source_errors(runs),
            _cursor_age(cursors, now),
            _live_lag(live, now),
        ]


def _live_lag(newest: list[tuple[int, datetime]], now: datetime) -> GaugeMetricFamily:
    family = GaugeMetricFamily(
        "tickerpulse_live_lag_seconds",
        "Seconds since the stream processor last wrote a bar of each interval (grows when the"
        " live path stalls, or when the market is closed).",
        labels=["interval_s"],
    )
    for interval_s, updated_at in newest:
        family.add_metric([str(interval_s)], max((now - updated_at).total_seconds(), 0.0))
    return family


def _last_published(latest: datetime | None, now: datetime) -> GaugeMetricFamily:
    family = GaugeMetricFamily(
        "tickerpulse_published_window_age_seconds",
        "Seconds since the newest published window ended (alert when above ~7 h).",
    )
    if latest is not None:
        family.add_metric([], (now - (latest + timedelta(hours=6))).total_seconds())
    return family


def _stage_families(runs: list[CycleRun]) -> list[GaugeMetricFamily]:
    duration = GaugeMetricFamily(
        "tickerpulse_cycle_stage_seconds",
        "Duration of each stage in the newest window that finished it.",
        labels=["stage"],
    )
    rows = GaugeMetricFamily(
        "tickerpulse_cycle_stage_rows",
        "Rows a stage produced in the newest window that finished it (sum of its counts).",
        labels=["stage"],
    )
    failed = GaugeMetricFamily(
        "tickerpulse_cycle_failed_stages",
        "Stages whose last attempt failed, over the newest 7 days of windows.",
        labels=["stage"],
    )
    newest: dict[str, CycleRun] = {}
    failures: dict[str, int] = {}
    for run in runs:
        if run.status == "failed":
            failures[run.stage] = failures.get(run.stage, 0) + 1
        if run.status == "ok" and (
            run.stage not in newest or run.window_start > newest[run.stage].window_start
        ):
            newest[run.stage] = run
    for stage, run in sorted(newest.items()):
        duration.add_metric([stage], (run.duration_ms or 0) / 1000)
        rows.add_metric([stage], _row_count(run.counts))
    for stage in sorted({run.stage for run in runs}):
        failed.add_metric([stage], failures.get(stage, 0))
    return [duration, rows, failed]


def _row_count(counts: dict[str, Any]) -> float:
    total = 0.0
    for value in counts.values():
        if isinstance(value, int | float) and not isinstance(value, bool):
            total += value
        elif isinstance(value, dict):
            total += _row_count(value)
    return total


def _source_errors(runs: list[CycleRun]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(
        "tickerpulse_source_errors",
        "Windows (newest 7 days of the ledger) in which a source failed to land.",
        labels=["source"],
    )
    errors: dict[str, int] = {}
    for run in runs:
        if run.stage == "land":
            for source in (run.counts or {}).get("errors", {}):
                errors[source] = errors.get(source, 0) + 1
    for source, count in sorted(errors.items()):
        family.add_metric([source], count)
    return family


def _cursor_age(cursors: list[tuple[str, datetime]], now: datetime) -> GaugeMetricFamily:
    family = GaugeMetricFamily(
        "tickerpulse_source_cursor_age_seconds",
        "Seconds since each source last advanced its cursor.",
        labels=["source"],
    )
    for source, updated_at in cursors:
        family.add_metric([source], (now - updated_at).total_seconds())
    return family


UNGATED_PREFIXES = ("/healthz", "/metrics", "/static")


class AdmissionGate:
    """A few places for requests, and since when each taken place has been held.

    ``places`` ≤ 0 means no limit. :meth:`stuck_for` tells ``/healthz`` when
    every place has been held for a long time: the site then answers nobody,
    even though the process itself is alive.
    """

    def __init__(self, places: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.places = places
        self.clock = clock
        self._semaphore = asyncio.Semaphore(places) if places > 0 else None
        self._held: dict[int, float] = {}
        self._tickets = itertools.count()

    async def enter(self) -> int | None:
        """Wait for a place; returns a ticket for :meth:`leave` (None when unlimited)."""
        if self._semaphore is None:
            return None
        await self._semaphore.acquire()
        ticket = next(self._tickets)
        self._held[ticket] = self.clock()
        return ticket

    def leave(self, ticket: int | None) -> None:
        """Give the place of ``ticket`` back."""
        if ticket is not None and self._semaphore is not None:
            del self._held[ticket]
            self._semaphore.release()

    def stuck_for(self) -> float:
        """Seconds every place has been held (0 when a place is free or there is no limit)."""
        if self._semaphore is None or len(self._held) < self.places:
            return 0.0
        return self.clock() - max(self._held.values())


class TimingMiddleware:
    """Admit a few requests at a time and time each (``Server-Timing``, histograms).

    ``gate`` bounds the requests being worked on at once (``WEB_MAX_IN_FLIGHT``):
    200 requests interleaved on one event loop each take 200 times longer than
    one; admitted a few at a time, each is answered in its own time and the
    rest wait, in arrival order, before starting. The wait is reported apart
    (``queue``) from the work (``app``, arrival in the app to the answer's
    start). A request leaves the gate when its answer starts, so a stream
    (server-sent events) never holds a place. Request bodies are read before
    this layer (:mod:`tickerpulse.web.edge`), so a slow sender holds none either.
    """

    def __init__(
        self,
        app: ASGIApp,
        latency: Histogram,
        queued: Histogram,
        max_in_flight: int = 0,
        gate: AdmissionGate | None = None,
    ) -> None:
        self.app, self.latency, self.queued = app, latency, queued
        self.gate = gate or AdmissionGate(max_in_flight)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Wait for a place, then pass the request on, timing it until its answer starts."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        arrived = time.perf_counter()
        gated = not scope["path"].startswith(UNGATED_PREFIXES)
        held = [await self.gate.enter()] if gated else []
        admitted = time.perf_counter()

        def leave() -> None:  # once: at the answer's start, or when the app ends without one
            while held:
                self.gate.leave(held.pop())

        async def send_timed(message: Message) -> None:
            if message["type"] == "http.response.start":
                leave()
                worked = time.perf_counter() - admitted
                template = getattr(scope.get("route"), "path", "unmatched")
                status = str(message["status"])
                self.latency.labels(scope["method"], template, status).observe(worked)
                self.queued.observe(admitted - arrived)
                timing = f"queue;dur={(admitted - arrived) * 1000:.2f}, app;dur={worked * 1000:.2f}"
                headers = [*message["headers"], (b"server-timing", timing.encode())]
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_timed)
        finally:
            leave()


def install_metrics(app: FastAPI, engine: Engine, settings: Settings) -> CollectorRegistry:
    """Add the admission gate, request timing and ``/metrics`` to ``app``; returns its registry.

    The gate is kept on ``app.state.admission`` for ``/healthz``. ``/metrics``
    asks for ``Authorization: Bearer <METRICS_TOKEN>`` and is off (404) while
    no token is set: it tells anyone how busy the site is and how fresh its data.
    """
    registry = CollectorRegistry()
    registry.register(LedgerCollector(engine))
    latency = Histogram(
        "tickerpulse_http_request_seconds",
        "Server time per request, by route template.",
        ["method", "route", "status"],
        registry=registry,
        buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
    )

    queued = Histogram(
        "tickerpulse_http_queue_seconds",
        "Time requests waited for a place before the app started on them.",
        registry=registry,
        buckets=(0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    )
    gate = AdmissionGate(settings.web_max_in_flight)
    app.state.admission = gate
    app.add_middleware(TimingMiddleware, latency=latency, queued=queued, gate=gate)
    token = settings.metrics_token

    @app.get("/metrics", include_in_schema=False)
    def metrics(authorization: Annotated[str, Header()] = "") -> Response:
        if token is None:
            raise HTTPException(404, "/metrics is off: set METRICS_TOKEN to scrape it.")
        expected = f"Bearer {token.get_secret_value()}"
        if not hmac.compare_digest(authorization.encode(), expected.encode()):
            raise HTTPException(
                401, "Send 'Authorization: Bearer <METRICS_TOKEN>'.",
                headers={"WWW-Authenticate": "Bearer"},
            )  # fmt: skip
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return registry
