"""Crash-safety with real crashes: the cycle is SIGKILLed in a real process, then re-run."""

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine

from tickerpulse.enrich.sentiment import load_model
from tickerpulse.jobs.cycle import STAGES, run_cycle

from ..conftest import fresh_database
from .cycle_helpers import START, make_context, small_world, snapshot_marts

pytestmark = pytest.mark.slow

WORLD_ENV = {"SIM_SEED": "3", "SIM_DAYS": "1", "SIM_BETA": "0.6",
             "SIM_POSTS_PER_WINDOW": "200", "SIM_NEWS_PER_WINDOW": "30"}  # fmt: skip


@pytest.fixture(scope="module")
def reference_marts(pg_admin_uri: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The marts of an uninterrupted in-process run of the same one-day world.

    Scored with the default model, as the ``tickerpulse cycle`` processes are.
    """
    world = small_world(days=1)
    with fresh_database(pg_admin_uri) as url:
        engine = create_engine(url)
        lake = str(tmp_path_factory.mktemp("ref-lake"))
        ctx = make_context(engine, lake, world, sentiment=load_model())
        for window in world.windows:
            run_cycle(ctx, window)
        yield snapshot_marts(engine)
        engine.dispose()


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
