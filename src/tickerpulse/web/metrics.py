"""Prometheus metrics at ``/metrics``: request latency here, cycle health from the ledger.

Every response also carries ``Server-Timing: app;dur=<ms>``, the server time the
load benchmark reads (browsers show it in their network panel).

Cycle metrics are read from Postgres at scrape time (the ``cycle_run`` ledger and
``source_cursor``), so they are right whichever process ran the cycle — the
scheduler, a cron'd ``cycle run`` or a Dataproc job. Request latency is
measured in the web process itself, labelled by route template (never by raw
path, so asset ids do not explode the label set).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from fastapi import FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from tickerpulse.db.models import CycleRun, SourceCursor

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
        return [
            _last_published(latest, now),
            *_stage_families(runs),
            _source_errors(runs),
            _cursor_age(cursors, now),
        ]


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


def install_metrics(app: FastAPI, engine: Engine) -> CollectorRegistry:
    """Add request timing and the ``/metrics`` route to ``app``; returns its registry."""
    registry = CollectorRegistry()
    registry.register(LedgerCollector(engine))
    latency = Histogram(
        "tickerpulse_http_request_seconds",
        "Server time per request, by route template.",
        ["method", "route", "status"],
        registry=registry,
        buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
    )

    @app.middleware("http")
    async def time_requests(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        elapsed = time.perf_counter() - started
        route = request.scope.get("route")
        template = getattr(route, "path", "unmatched")
        latency.labels(request.method, template, str(response.status_code)).observe(elapsed)
        response.headers["Server-Timing"] = f"app;dur={elapsed * 1000:.2f}"
        return response

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return registry
