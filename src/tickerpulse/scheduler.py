"""The 6-hour scheduler: run the due windows at 00/06/12/18 UTC, and once at start-up.

APScheduler's cron trigger fires a few minutes after each window closes
(``SCHEDULER_DELAY_MINUTES``, so late posts make it in). Each firing takes the
cycle lock, works out the due windows (the one that just closed plus any
missed while the machine was down or that failed, within ``CATCHUP_HOURS``)
and runs them oldest first with retries. A firing missed while the process
was suspended still runs (``misfire_grace_time``), and overlapping firings
coalesce into one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import structlog
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger

from tickerpulse.jobs.lock import CycleLocked, cycle_lock
from tickerpulse.jobs.schedule import PendingRun, RetryPolicy, run_windows
from tickerpulse.runtime import Runtime, cycle_context, cycle_plan

log = structlog.get_logger(__name__)

CYCLE_HOURS = "0,6,12,18"
JOB_ID = "tickerpulse-cycle"


def run_due(runtime: Runtime, *, now: datetime | None = None) -> PendingRun | None:
    """Run every due window under the cycle lock; ``None`` when another cycle holds it."""
    settings = runtime.settings
    try:
        with cycle_lock(runtime.engine):
            plan = cycle_plan(runtime, now=now or datetime.now(UTC))
            for skipped in plan.skipped:
                log.warning("source skipped", source=skipped.name, reason=skipped.reason)
            retry = RetryPolicy(
                attempts=settings.cycle_retry_attempts,
                first_wait_seconds=settings.cycle_retry_wait_seconds,
            )
            outcome = run_windows(cycle_context(runtime, plan.sources), plan.windows, retry=retry)
            if outcome.reports:
                from tickerpulse.analytics.publish import publish_analytics

                analytics = publish_analytics(runtime.engine, runtime.lake)
                log.info("analytics", skipped=analytics.skipped, model=analytics.model)
    except CycleLocked as exc:
        log.warning("cycle skipped", reason=str(exc))
        return None
    log.info(
        "scheduled cycle done",
        windows=[r.window.key for r in outcome.reports],
        failed=str(outcome.failed) if outcome.failed else None,
    )
    return outcome


def install(
    scheduler: BaseScheduler,
    runtime: Runtime,
    *,
    job: Callable[[Runtime], object] = run_due,
    run_now: bool = True,
) -> None:
    """Add the cycle job to ``scheduler``: at each window close and, with ``run_now``, at once."""
    trigger = CronTrigger(
        hour=CYCLE_HOURS, minute=runtime.settings.scheduler_delay_minutes, timezone=UTC
    )
    # APScheduler reads an explicit next_run_time=None as "paused": pass it only to run now
    first = {"next_run_time": datetime.now(UTC)} if run_now else {}
    scheduler.add_job(
        job,
        trigger,
        args=[runtime],
        id=JOB_ID,
        max_instances=1,
        coalesce=True,
        misfire_grace_time=3600,
        replace_existing=True,
        **first,
    )
