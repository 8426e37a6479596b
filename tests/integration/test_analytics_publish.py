"""Relation statistics and predictions reach their marts; too little history publishes nothing."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine, text

from tests.web_helpers import OPEN_TIERS
from tickerpulse.analytics.predict import WalkForwardConfig
from tickerpulse.analytics.publish import publish_analytics, publish_panel
from tickerpulse.analytics.synthetic import SyntheticConfig, synthetic_panel
from tickerpulse.lake import Lake

FAST = WalkForwardConfig(
    min_train_windows=100, refit_every=50, models=("always_up", "logistic", "hgb")
)


def test_a_coupled_panel_publishes_significant_relations_and_predictions(
    engine: Engine, lake_dir: Path
) -> None:
    panel = synthetic_panel(SyntheticConfig(n_assets=4, n_windows=300, seed=1))
    lake = Lake(str(lake_dir))
    outcome = publish_panel(engine, lake, panel, config=FAST)
    assert outcome.model in {"logistic", "hgb"} and outcome.prediction_rows == 4
    with engine.connect() as conn:
        pooled = conn.execute(text(
            "SELECT r, ci_low, n, verdict, granger_q FROM mart_relation WHERE asset_id = '*'"
            " AND source_class = 'social' AND signal = 'sentiment' AND horizon = 1"
        )).one()  # fmt: skip
        predictions = conn.execute(
            text("SELECT window_start, prob_up, auc, auc_ci_low, verdict FROM mart_prediction")
        ).all()
    assert (
        pooled.ci_low > 0
        and pooled.n > 1000
        and pooled.verdict.startswith(("weak", "moderate", "strong"))
    )
    last = panel["window_start"].max().to_pydatetime()
    assert {p.window_start for p in predictions} == {last + timedelta(hours=6)}  # the next window
    assert all(0 <= p.prob_up <= 1 and p.auc_ci_low > 0.5 for p in predictions)
    assert lake.glob("models/*.joblib")


def test_nothing_is_published_without_enough_history(engine: Engine, lake_dir: Path) -> None:
    assert publish_analytics(engine, Lake(str(lake_dir))).skipped == "no window has been published"
    short = synthetic_panel(SyntheticConfig(n_assets=3, n_windows=60, seed=2))
    outcome = publish_panel(engine, Lake(str(lake_dir)), short, config=FAST)
    assert outcome.skipped == "60 windows of history; predictions need 150"
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM mart_prediction")).scalar_one() == 0


def test_the_asset_page_shows_the_relation_and_the_prediction(
    engine: Engine, lake_dir: Path
) -> None:
    from fastapi.testclient import TestClient

    from tickerpulse.config import Settings
    from tickerpulse.web.app import create_app

    from .test_web_queries import seed_marts

    seed_marts(engine)
    with TestClient(
        create_app(Settings(_env_file=None, tier_overrides=OPEN_TIERS), engine)
    ) as client:  # type: ignore[call-arg]
        assert "Not enough published history for TSLA" in client.get("/asset/stock:TSLA").text
    panel = synthetic_panel(SyntheticConfig(n_assets=3, n_windows=300, seed=1))
    panel["asset_id"] = panel["asset_id"].map({"SYN0000": "stock:TSLA", "SYN0001": "crypto:BTC",
                                               "SYN0002": "crypto:ETH"})  # fmt: skip
    panel = panel.sort_values(["asset_id", "window_start"], ignore_index=True)
    publish_panel(engine, Lake(str(lake_dir)), panel, config=FAST)
    with TestClient(
        create_app(
            Settings(_env_file=None, tier_overrides=OPEN_TIERS, page_cache_seconds=0), engine
        )
    ) as client:  # type: ignore[call-arg]
        html = client.get("/asset/stock:TSLA").text
    assert "Does sentiment move TSLA?" in html and "next 6 h" in html
    assert "probability up" in html or "market closed" in html
    assert "On TSLA alone" in html and "Over all assets" in html


def test_the_predictions_page_lists_every_call_with_the_models_record(
    engine: Engine, lake_dir: Path
) -> None:
    from fastapi.testclient import TestClient

    from tickerpulse.config import Settings
    from tickerpulse.db.marts import sync_assets
    from tickerpulse.universe import load_universe
    from tickerpulse.web.app import create_app

    sync_assets(engine, load_universe())
    settings = Settings(_env_file=None, tier_overrides=OPEN_TIERS, page_cache_seconds=0)  # type: ignore[call-arg]
    with TestClient(create_app(settings, engine)) as client:
        assert "No predictions yet" in client.get("/predictions").text
    panel = synthetic_panel(SyntheticConfig(n_assets=2, n_windows=300, seed=3))
    panel["asset_id"] = panel["asset_id"].map({"SYN0000": "crypto:BTC", "SYN0001": "stock:TSLA"})
    panel = panel.sort_values(["asset_id", "window_start"], ignore_index=True)
    publish_panel(engine, Lake(str(lake_dir)), panel, config=FAST)
    with TestClient(create_app(settings, engine)) as client:
        html = client.get("/predictions").text
    assert "2 calls, most confident first" in html
    assert "Its record out of sample" in html and 'href="/asset/crypto:BTC"' in html
    assert 'href="/asset/stock:TSLA"' in html


def test_a_closed_market_gets_no_call_and_each_asset_shows_its_own_record(
    engine: Engine, lake_dir: Path
) -> None:
    import pandas as pd
    from fastapi.testclient import TestClient

    from tickerpulse.config import Settings
    from tickerpulse.web.app import create_app

    from .test_web_queries import seed_marts

    seed_marts(engine)
    panel = synthetic_panel(SyntheticConfig(n_assets=2, n_windows=300, seed=3))
    panel["asset_id"] = panel["asset_id"].map({"SYN0000": "crypto:BTC", "SYN0001": "stock:MSFT"})
    # the last published window is Saturday 18:00 UTC: the call is for Sunday 00:00-06:00
    shift = pd.Timestamp("2026-12-05 18:00", tz="UTC") - panel["window_start"].max()
    panel["window_start"] = panel["window_start"] + shift
    panel = panel.sort_values(["asset_id", "window_start"], ignore_index=True)
    publish_panel(engine, Lake(str(lake_dir)), panel, config=FAST)
    with engine.connect() as conn:
        rows = {
            r.asset_id: r
            for r in conn.execute(
                text(
                    "SELECT asset_id, window_start, market_open, auc, n, asset_auc, asset_n"
                    " FROM mart_prediction"
                )
            )
        }
    msft, btc = rows["stock:MSFT"], rows["crypto:BTC"]
    assert msft.window_start.isoformat() == "2026-12-06T00:00:00+00:00"
    assert not msft.market_open and btc.market_open
    assert msft.asset_n + btc.asset_n == msft.n  # the pooled record is the sum of the two
    assert msft.asset_n > 0 and msft.asset_auc is not None and msft.asset_auc != msft.auc
    settings = Settings(_env_file=None, tier_overrides=OPEN_TIERS, page_cache_seconds=0)  # type: ignore[call-arg]
    with TestClient(create_app(settings, engine)) as client:
        listing = client.get("/predictions").text
        msft_page = client.get("/asset/stock:MSFT").text
        btc_page = client.get("/asset/crypto:BTC").text
    msft_row = listing.split('href="/asset/stock:MSFT"')[1].split("</tr>")[0]
    assert "no call (market closed)" in msft_row and "pill" not in msft_row
    assert (
        "no call (market closed)"
        not in listing.split('href="/asset/crypto:BTC"')[1].split("</tr>")[0]
    )
    assert "market closed" in msft_page and "probability up" not in msft_page
    assert f"{msft.asset_n:,} calls" in msft_page and "On MSFT alone" in msft_page
    assert (
        "probability up" in btc_page
        and "On BTC alone" in btc_page
        and "Over all assets" in btc_page
    )
