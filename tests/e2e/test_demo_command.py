"""The demo command end to end, in a real process with its own embedded Postgres."""

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(TICKERPULSE_HOME=str(home), SIM_DAYS="1", SIM_POSTS_PER_WINDOW="150",
               SIM_NEWS_PER_WINDOW="20", COLUMNS="200")  # fmt: skip
    return subprocess.run(
        [sys.executable, "-m", "tickerpulse", *args],
        env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip


def test_demo_runs_every_cycle_and_a_second_run_reuses_them(tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = run(home, "demo", "--no-serve")
    assert first.returncode == 0, first.stderr
    assert "Cycles done" in first.stderr and "4/4" in first.stderr
    assert list((home / "lake" / "results").glob("date=*/hour=*/asset=*.csv"))

    status = run(home, "cycle", "status", "--limit", "4")
    assert status.returncode == 0, status.stderr
    assert status.stdout.count("publish") == 4 and "failed" not in status.stdout

    second = run(home, "demo", "--no-serve")
    assert second.returncode == 0, second.stderr
    assert "0 windows run, 4 already published" in second.stderr


def test_backfill_rebuilds_a_day_from_the_raw_lake(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert run(home, "demo", "--no-serve").returncode == 0
    start = json.loads((home / "world.json").read_text())["start"][:10]
    day_after = (date.fromisoformat(start) + timedelta(days=1)).isoformat()

    backfill = run(home, "cycle", "backfill", "--from", start, "--to", day_after)
    assert backfill.returncode == 0, backfill.stderr
    assert "Backfilled 4 windows" in backfill.stderr

    status = run(home, "cycle", "status", "--limit", "4")
    assert status.stdout.count("publish") == 4 and "failed" not in status.stdout
    assert status.stdout.count(" ok ") >= 16  # every stage of every window ok again

    empty = run(home, "cycle", "backfill", "--from", day_after, "--to", start)
    assert empty.returncode == 2 and "No window in that range" in empty.stderr
