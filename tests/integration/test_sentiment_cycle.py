"""Per-mention sentiment through the real cycle, the model version in the marts, and re-scoring."""

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner, Result

from tickerpulse.cli import app
from tickerpulse.db.models import MartAttention
from tickerpulse.db.state import ledger
from tickerpulse.domain import WINDOW
from tickerpulse.jobs.cycle import run_cycle
from tickerpulse.web.queries import asset_windows

from .cycle_helpers import START, FirstWordsModel, make_context, small_world, snapshot_marts


def model_per_window(engine: Engine) -> set[tuple[str | None]]:
    with engine.connect() as conn:
        return set(conn.execute(text("SELECT DISTINCT sentiment_model FROM mart_asset_window")))


@pytest.fixture
def world_one_day_with_a_per_mention_model(engine: Engine, lake_dir: Path) -> Engine:
    world = small_world(days=1)
    ctx = make_context(engine, str(lake_dir), world)
    ctx = replace(ctx, sentiment=FirstWordsModel())
    for window in world.windows:
        run_cycle(ctx, window)
    return engine


def test_the_marts_use_each_mentions_own_score_and_name_the_model(
    world_one_day_with_a_per_mention_model: Engine,
) -> None:
    engine = world_one_day_with_a_per_mention_model
    with engine.connect() as conn:
        mention_scores = set(
            conn.execute(text("SELECT DISTINCT sentiment_score FROM mart_document_asset")).scalars()
        )
        document_scores = set(
            conn.execute(text("SELECT DISTINCT sentiment_score FROM mart_document")).scalars()
        )
        means = conn.execute(
            text("SELECT min(sentiment_mean), max(sentiment_mean) FROM mart_asset_window")
        ).one()
    assert mention_scores == {0.5, -0.5}
    assert document_scores <= {0.2, 0.0}  # 0.0: texts flagged (none expected here)
    assert means[0] < 0 < means[1]  # from the mentions, not the constant 0.2 of the texts
    assert model_per_window(engine) == {("first-words-test-v0",)}
    enrich = [r for r in ledger(engine, limit=100) if r.stage == "enrich"]
    assert {r.counts["sentiment_model"] for r in enrich} == {"first-words-test-v0"}
    publish = [r for r in ledger(engine, limit=100) if r.stage == "publish"]
    assert {r.counts["sentiment_model"] for r in publish} == {"first-words-test-v0"}


def backfill_rescore_with_lexicon(
    database_url: str, lake_dir: Path, tmp_path: Path, start: str, stop: str
) -> Result:
    """``tickerpulse cycle backfill --rescore`` from ``start`` to ``stop`` with lexicon-v1."""
    env = {
        "DATABASE_URL": database_url, "LAKE_URL": str(lake_dir),
        "TICKERPULSE_HOME": str(tmp_path / "home"), "SENTIMENT_MODEL": "lexicon-v1",
    }  # fmt: skip
    command = ["cycle", "backfill", "--from", start, "--to", stop, "--rescore"]
    return CliRunner().invoke(app, command, env=env)


def test_backfill_rescore_rescores_history_with_the_current_model(
    world_one_day_with_a_per_mention_model: Engine,
    database_url: str,
    lake_dir: Path,
    tmp_path: Path,
) -> None:
    engine = world_one_day_with_a_per_mention_model
    day = START.date().isoformat()
    next_day = (START + timedelta(days=1)).date().isoformat()
    result = backfill_rescore_with_lexicon(database_url, lake_dir, tmp_path, day, next_day)
    assert result.exit_code == 0, result.output
    assert "re-score" in result.stderr and "lexicon-v1" in result.stderr
    assert model_per_window(engine) == {("lexicon-v1",)}
    rescored = snapshot_marts(engine)

    world = small_world(days=1)  # the same world scored from scratch with the lexicon
    ctx = make_context(engine, str(lake_dir), world)
    for window in world.windows:
        run_cycle(ctx, window, force=True)
    assert snapshot_marts(engine) == rescored
    with Session(engine) as session:
        rows = asset_windows(session, asset_id="crypto:BTC", since=START)
    assert rows and {r.sentiment_model for r in rows} == {"lexicon-v1"}


def test_a_range_backfill_leaves_the_rest_of_its_range_to_their_own_publish(
    world_one_day_with_a_per_mention_model: Engine,
    database_url: str,
    lake_dir: Path,
    tmp_path: Path,
) -> None:
    """Re-scored windows 0 and 1 of 4: window 0's publish refreshes windows 2–3, not window 1."""
    engine = world_one_day_with_a_per_mention_model
    stop = START + 2 * WINDOW
    result = backfill_rescore_with_lexicon(
        database_url, lake_dir, tmp_path, START.isoformat(), stop.isoformat()
    )
    assert result.exit_code == 0, result.output
    [first] = [
        r for r in ledger(engine, limit=100) if r.stage == "publish" and r.window_start == START
    ]
    with engine.connect() as conn:
        after_range = conn.execute(
            select(func.count()).where(MartAttention.window_start >= stop)
        ).scalar_one()
    assert 0 < first.counts["attention_refreshed"] <= after_range
