"""The scheduler's pieces on a real database: the cycle lock, retries, due runs, the cron."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine, text

from tickerpulse.config import Settings
from tickerpulse.jobs.lock import CycleLocked, cycle_lock
from tickerpulse.jobs.schedule import RetryPolicy, run_windows
from tickerpulse.lake import Lake
from tickerpulse.runtime import Runtime, open_runtime
from tickerpulse.scheduler import JOB_ID, install, run_due
from tickerpulse.universe import load_universe

from .cycle_helpers import make_context, small_world


def attempts(engine: Engine, window_key: str, stage: str) -> int:
    start = datetime.strptime(window_key, "%Y%m%dT%H").replace(tzinfo=UTC)
    with engine.connect() as conn:
        return int(
            conn.execute(
                text("SELECT attempts FROM cycle_run WHERE window_start = :w AND stage = :s"),
                {"w": start, "s": stage},
            ).scalar_one()
        )


def test_a_second_cycle_is_refused_while_one_holds_the_lock(engine: Engine) -> None:
    with cycle_lock(engine):
        second = cycle_lock(engine)
        with pytest.raises(CycleLocked, match="another cycle is running"):
            second.__enter__()
    with cycle_lock(engine):  # released on exit
        pass


def test_a_failing_window_is_retried_and_later_windows_wait_for_it(
    engine: Engine, lake_dir: Path
) -> None:
    world = small_world(days=1)
    ctx = make_context(engine, str(lake_dir), world)
    broken = world.windows[1]
    # a landing that cannot be read at all (a folder where a part file must be) fails the
    # normalize stage of that window; a merely damaged part is salvaged, not a failure
    bad_part = f"{ctx.layout.raw_dir('reddit', broken.date, broken.key)}/part-zzzz.jsonl.gz"
    ctx.lake.write_bytes(f"{bad_part}/inside", b"")

    gave_up = run_windows(ctx, world.windows, retry=RetryPolicy(attempts=1))
    assert gave_up.failed is not None and gave_up.failed.stage == "normalize"
    assert [r.window for r in gave_up.reports] == world.windows[:1]

    waits: list[float] = []

    def wait_and_repair(seconds: float) -> None:
        waits.append(seconds)
        ctx.lake.remove(bad_part)

    recovered = run_windows(
        ctx,
        world.windows,
        retry=RetryPolicy(attempts=3, first_wait_seconds=7),
        sleep=wait_and_repair,
    )
    assert recovered.failed is None and waits == [7]
    assert [r.window for r in recovered.reports] == world.windows
    assert attempts(engine, broken.key, "normalize") == 3  # gave up once, failed, then passed
    assert attempts(engine, broken.key, "land") == 1  # finished stages are not run again


def test_the_cycle_fires_a_few_minutes_after_each_window_closes(
    engine: Engine, tmp_path: Path
) -> None:
    settings = Settings(_env_file=None, scheduler_delay_minutes=5)
    runtime = Runtime(settings, engine, Lake(str(tmp_path)), load_universe())
    scheduler = BackgroundScheduler(timezone=UTC)
    install(scheduler, runtime, run_now=False)
    trigger = scheduler.get_job(JOB_ID).trigger
    fire = trigger.get_next_fire_time(None, datetime(2026, 1, 1, 5, 59, tzinfo=UTC))
    fires = [fire]
    for _ in range(4):
        fires.append(trigger.get_next_fire_time(fires[-1], fires[-1] + timedelta(seconds=1)))
    assert [f.astimezone(UTC).strftime("%d %H:%M") for f in fires] == [
        "01 06:05", "01 12:05", "01 18:05", "02 00:05", "02 06:05",
    ]  # fmt: skip


def test_run_due_runs_the_pending_windows_and_steps_aside_when_locked(
    database_url: str, tmp_path: Path
) -> None:
    settings = Settings(
        _env_file=None, database_url=database_url, home=tmp_path, sim_days=1,
        sim_posts_per_window=60, sim_news_per_window=8,
    )  # fmt: skip
    runtime = open_runtime(settings)
    with cycle_lock(runtime.engine):
        assert run_due(runtime) is None
    outcome = run_due(runtime)
    assert outcome is not None and outcome.failed is None and len(outcome.reports) == 4
    again = run_due(runtime)
    assert again is not None
    assert all(s["status"] == "skipped" for r in again.reports for s in r.stages.values())
