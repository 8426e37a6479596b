"""Which windows are due, and running them with retries: the core of the scheduler.

Pure rules over the ledger, so the scheduler, ``cycle run`` and tests agree:
a window is due when it closed within the catch-up horizon and was never
published — because it failed, or because the machine was down when it
closed. On a fresh install only the last closed window is due.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from tickerpulse.domain import Window
from tickerpulse.jobs.context import CycleContext
from tickerpulse.jobs.cycle import CycleFailed, CycleReport, run_cycle

log = structlog.get_logger(__name__)


def due_windows(
    now: datetime, outcomes: Mapping[datetime, bool], *, horizon: timedelta
) -> list[Window]:
    """Windows to run, oldest first.

    Args:
        now: The current time.
        outcomes: Window start → published, for the windows the ledger knows
            (at least those within the horizon).
        horizon: How far back missed windows are caught up.

    Returns:
        Unpublished windows that closed within ``horizon``: those the ledger
        knows (failed or unfinished) and those after the newest published one.
    """
    latest = Window.last_closed(now)
    published = [start for start, done in outcomes.items() if done]
    if not published:
        attempted = {Window.containing(s) for s, done in outcomes.items() if not done}
        return sorted({w for w in attempted if w.end > now - horizon and w <= latest} | {latest})
    newest = max(published)
    due: set[Window] = set()
    window = latest
    while window.end > now - horizon:
        known = outcomes.get(window.start)
        if known is False or (known is None and window.start > newest):
            due.add(window)
        window = window.previous()
    return sorted(due)


@dataclass(frozen=True)
class RetryPolicy:
    """How often a failing window is tried again, and how long to wait in between."""

    attempts: int = 3
    first_wait_seconds: float = 30.0
    factor: float = 4.0

    def waits(self) -> list[float]:
        """The pauses before the second, third, … attempt."""
        return [self.first_wait_seconds * self.factor**n for n in range(self.attempts - 1)]


@dataclass(frozen=True)
class PendingRun:
    """What running the due windows did: reports of those that finished, and the first failure."""

    reports: list[CycleReport]
    failed: CycleFailed | None


def run_windows(
    ctx: CycleContext,
    windows: Sequence[Window],
    *,
    retry: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> PendingRun:
    """Run ``windows`` in order, retrying a failing one; stop at a window that keeps failing.

    Later windows wait for an earlier failing one, because sources land
    incrementally: a later window would otherwise take over the earlier one's data.
    Each retry resumes at the failed stage (finished stages are skipped).
    """
    policy = retry or RetryPolicy()
    reports: list[CycleReport] = []
    for window in windows:
        waits = iter(policy.waits())
        while True:
            try:
                reports.append(run_cycle(ctx, window))
                break
            except CycleFailed as exc:
                wait = next(waits, None)
                if wait is None:
                    log.error("window keeps failing", window=window.key, stage=exc.stage)
                    return PendingRun(reports, exc)
                log.warning("retrying window", window=window.key, stage=exc.stage, wait_s=wait)
                sleep(wait)
    return PendingRun(reports, None)
