"""The 6-hour cycle for one window: land → normalize → enrich → aggregate → publish (+ alerts).

Each stage's attempt is recorded in the ``cycle_run`` ledger. A stage that
finished is skipped when the window runs again (unless forced), and every
stage writes its outputs atomically under names fixed by the window, so a
crash at any point followed by a re-run loses and duplicates nothing.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import structlog

from tickerpulse.db.state import mark_finished, mark_started, stage_status
from tickerpulse.domain import Window
from tickerpulse.jobs.aggregate import aggregate_run, load_window_aggregates
from tickerpulse.jobs.context import CycleContext
from tickerpulse.jobs.insights import publish_window_with_insights
from tickerpulse.jobs.land import land_sources
from tickerpulse.jobs.transform import enrich_run, normalize_run
from tickerpulse.platform.alert_delivery import deliver_window_alerts

log = structlog.get_logger(__name__)

STAGES = ("land", "normalize", "enrich", "aggregate", "publish")


class CycleFailed(RuntimeError):
    """A stage of a cycle failed; the ledger holds the error and the re-run resumes there."""

    def __init__(self, window: Window, stage: str, error: BaseException) -> None:
        super().__init__(f"cycle {window.key} failed in {stage}: {type(error).__name__}: {error}")
        self.window = window
        self.stage = stage


@dataclass
class CycleReport:
    """What one run of a window did: per stage, its status, counts and seconds."""

    window: Window
    stages: dict[str, dict[str, Any]] = field(default_factory=dict)


def _publish(ctx: CycleContext, window: Window) -> dict[str, Any]:
    aggregates = load_window_aggregates(ctx, window)
    counts = publish_window_with_insights(
        ctx.engine, window.start, aggregates, republishing_until=ctx.republishing_until
    )
    # Alerts read the marts just published; idempotent, so a failed publish can simply re-run.
    alerted = deliver_window_alerts(
        ctx.engine, window.start, delivery=ctx.alerts, now=datetime.now(UTC)
    )
    return {**counts, **alerted}


_RUNNERS: dict[str, Callable[[CycleContext, Window], dict[str, Any]]] = {
    "land": land_sources,
    "normalize": normalize_run,
    "enrich": enrich_run,
    "aggregate": aggregate_run,
    "publish": _publish,
}


def run_cycle(
    ctx: CycleContext,
    window: Window,
    *,
    force: bool = False,
    stages: Sequence[str] = STAGES,
    kill_after: str | None = None,
) -> CycleReport:
    """Run the stages of ``window`` that have not finished yet (all of them with ``force``).

    ``stages`` limits the run to some stages, in cycle order: a backfill runs
    everything after ``land`` again from the raw lake.

    ``kill_after`` names a stage after which the process kills itself with
    SIGKILL; it exists so tests can prove crash-safety with a real crash.
    """
    report = CycleReport(window)
    done = {} if force else stage_status(ctx.engine, window.start)
    unknown = set(stages) - set(STAGES)
    if unknown:
        raise ValueError(f"unknown stages {sorted(unknown)}; stages are {', '.join(STAGES)}")
    for stage in (s for s in STAGES if s in stages):
        if done.get(stage) == "ok":
            report.stages[stage] = {"status": "skipped"}
            continue
        started = time.perf_counter()
        mark_started(ctx.engine, window.start, stage)
        try:
            counts = _RUNNERS[stage](ctx, window)
        except Exception as exc:
            with ctx.engine.begin() as conn:
                mark_finished(
                    conn, window.start, stage, status="failed", counts={}, error=repr(exc)
                )
            log.error("stage failed", window=window.key, stage=stage, error=repr(exc))
            raise CycleFailed(window, stage, exc) from exc
        if stage != "publish":  # publish marks itself inside its own transaction
            with ctx.engine.begin() as conn:
                mark_finished(conn, window.start, stage, status="ok", counts=counts)
        seconds = time.perf_counter() - started
        report.stages[stage] = {"status": "ok", "counts": counts, "seconds": round(seconds, 3)}
        log.debug("stage done", window=window.key, stage=stage, seconds=round(seconds, 3))
        if kill_after == stage:
            os.kill(os.getpid(), signal.SIGKILL)
    return report
