"""Lead-lag and event-study marts are published with the relation stats and charted for Pro."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from tests.integration.test_web_queries import seed_marts
from tests.web_helpers import CACHES, add_user, platform_settings, sign_in
from tickerpulse.analytics.predict import WalkForwardConfig
from tickerpulse.analytics.publish import publish_panel
from tickerpulse.analytics.synthetic import SyntheticConfig, synthetic_panel
from tickerpulse.db.models import Base
from tickerpulse.lake import Lake
from tickerpulse.web.app import create_app

FAST = WalkForwardConfig(
    min_train_windows=100, refit_every=50, models=("always_up", "logistic", "hgb")
)
NAMES = {"SYN0000": "stock:TSLA", "SYN0001": "crypto:BTC", "SYN0002": "crypto:ETH"}


def publish_three_assets(engine: Engine, lake_dir: Path) -> pd.DataFrame:
    panel = synthetic_panel(SyntheticConfig(n_assets=3, n_windows=300, seed=1))
    panel["asset_id"] = panel["asset_id"].map(NAMES)
    panel = panel.sort_values(["asset_id", "window_start"], ignore_index=True)
    publish_panel(engine, Lake(str(lake_dir)), panel, config=FAST)
    return panel


def test_migration_0009_matches_the_lag_and_event_models(engine: Engine) -> None:
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert [d for d in diffs if "mart_relation_" in repr(d)] == []


def test_lead_lag_and_event_study_are_published_with_the_relation_stats(
    engine: Engine, lake_dir: Path
) -> None:
    panel = publish_three_assets(engine, lake_dir)
    with engine.connect() as conn:
        lags = conn.execute(text(
            "SELECT asset_id, source_class, lag, r, ci_low, ci_high, n, computed_until"
            " FROM mart_relation_lag WHERE signal = 'sentiment'"
        )).all()  # fmt: skip
        events = conn.execute(text(
            "SELECT asset_id, tau, mean_car, n_events FROM mart_relation_event"
        )).all()  # fmt: skip
    # 3 assets and the pool, social and news, lags −4 … +4
    assert len(lags) == 4 * 2 * 9 and {row.lag for row in lags} == set(range(-4, 5))
    until = panel["window_start"].max().to_pydatetime()
    assert {row.computed_until for row in lags} == {until}
    pooled = {row.lag: row for row in lags if row.asset_id == "*" and row.source_class == "social"}
    assert pooled[1].ci_low > 0  # the synthetic world's planted coupling: sentiment leads
    assert all(row.ci_low <= row.r <= row.ci_high for row in lags if row.r is not None)
    assert events and {row.tau for row in events} == set(range(-4, 5))
    assert all(row.n_events > 0 for row in events)
    publish_three_assets(engine, lake_dir)  # a re-run replaces, never duplicates
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM mart_relation_lag")).scalar_one() == len(
            lags
        )


@CACHES
def test_the_asset_page_charts_lead_lag_and_events_for_pro_and_not_for_free(
    engine: Engine, lake_dir: Path, cache_seconds: float
) -> None:
    seed_marts(engine)
    publish_three_assets(engine, lake_dir)
    add_user(engine, "free@example.com")
    add_user(engine, "pro@example.com", tier="pro")
    app = create_app(platform_settings(page_cache_seconds=cache_seconds), engine)
    with TestClient(app) as free, TestClient(app) as pro:
        sign_in(free, "free@example.com")
        sign_in(pro, "pro@example.com")
        pro_page = pro.get("/asset/stock:TSLA").text
        free_page = free.get("/asset/stock:TSLA").text
        pro_again = pro.get("/asset/stock:TSLA").text
    for page in (pro_page, pro_again):
        assert 'id="leadlag-chart"' in page and 'id="leadlag-figure"' in page
        assert "Who moves first" in page and 'id="leadlag-caption"' in page
        assert "What did the price do around spikes" in page and 'id="events-caption"' in page
        assert "sentiment at window t vs return at t + k" in page
        assert "plotly" in page.lower()
    assert "Who moves first" not in free_page and "leadlag" not in free_page
    assert "events-chart" not in free_page and "mart" not in free_page
    assert "comes with the <strong>Pro</strong> plan" in free_page
