"""The priority Alpha Vantage spends its budget by: assets by mentions in the newest week."""

from pathlib import Path

from sqlalchemy import Engine, text

from tickerpulse.db.marts import most_mentioned
from tickerpulse.jobs.cycle import run_cycle

from .cycle_helpers import make_context, small_world


def test_most_mentioned_orders_assets_by_their_mentions(engine: Engine, lake_dir: Path) -> None:
    assert most_mentioned(engine) == []
    world = small_world(days=1)
    ctx = make_context(engine, str(lake_dir), world)
    for window in world.windows:
        run_cycle(ctx, window)
    with engine.connect() as conn:
        expected = [
            row[0]
            for row in conn.execute(
                text(
                    "SELECT asset_id FROM mart_asset_window WHERE source = 'all'"
                    " AND source_class = 'all' GROUP BY asset_id"
                    " ORDER BY sum(mentions) DESC, asset_id LIMIT 5"
                )
            )
        ]
    assert most_mentioned(engine, limit=5) == expected and len(expected) == 5
