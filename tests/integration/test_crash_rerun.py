"""Crash-safety with real crashes: the cycle is SIGKILLed in a real process, then re-run."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine

from tickerpulse.jobs.cycle import STAGES

from .cycle_helpers import (
    START,
    one_day_marts_with_default_model,
    snapshot_marts,
)

pytestmark = pytest.mark.slow

WORLD_ENV = {"SIM_SEED": "3", "SIM_DAYS": "1", "SIM_BETA": "0.6",
             "SIM_POSTS_PER_WINDOW": "200", "SIM_NEWS_PER_WINDOW": "30"}  # fmt: skip


@pytest.fixture(scope="module")
def reference_marts(pg_admin_uri: str, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The marts of an uninterrupted in-process run of the same one-day world."""
    lake = str(tmp_path_factory.mktemp("ref-lake"))
    return one_day_marts_with_default_model(pg_admin_uri, lake)


def cli(home: Path, database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **WORLD_ENV, "DATABASE_URL": database_url, "TICKERPULSE_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "tickerpulse", "cycle", "run", *args],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


@pytest.mark.parametrize("stage", STAGES)
def test_kill_after_each_stage_then_rerun_gives_identical_marts(
    stage: str, database_url: str, tmp_path: Path, reference_marts: Any
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "world.json").write_text(json.dumps({"start": START.isoformat()}))
    first_window = START.strftime("%Y%m%dT%H")

    killed = cli(home, database_url, "--window", first_window, "--kill-after", stage)
    assert killed.returncode == -signal.SIGKILL, killed.stderr

    resumed = cli(home, database_url)
    assert resumed.returncode == 0, resumed.stderr

    engine = create_engine(database_url)
    assert snapshot_marts(engine) == reference_marts
    engine.dispose()
