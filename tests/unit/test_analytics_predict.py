from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tickerpulse.analytics import predict
from tickerpulse.analytics.artifacts import load_artifact, save_artifact
from tickerpulse.analytics.evaluation import auc_estimate, paper_trade, score
from tickerpulse.analytics.features import FEATURES, LookaheadError, build_features
from tickerpulse.analytics.models import AlwaysUp
from tickerpulse.analytics.predict import (
    WalkForwardConfig,
    fit_latest,
    predict_latest,
    walk_forward,
)
from tickerpulse.analytics.simulated import panel_from_truth
from tickerpulse.analytics.stats import clustered_auc
from tickerpulse.analytics.synthetic import SyntheticConfig, synthetic_panel
from tickerpulse.sources.simulator import SimulatedWorld, WorldConfig
from tickerpulse.universe import load_universe

FAST = WalkForwardConfig(min_train_windows=80, refit_every=40)


def world_panel(beta: float) -> pd.DataFrame:
    config = WorldConfig(beta=beta, days=45, start=datetime(2026, 3, 2, tzinfo=UTC), seed=3)
    return panel_from_truth(SimulatedWorld(config, load_universe()), seed=1)


def test_planted_coupling_in_the_simulated_world_is_recovered_out_of_sample() -> None:
    result = walk_forward(world_panel(beta=0.6), FAST)
    scores = result.scores.set_index("model")
    for model in ("logistic", "hgb"):
        assert scores.loc[model, "auc_ci_low"] > 0.55
        assert scores.loc[model, "auc"] > scores.loc["last_direction", "auc_ci_high"]
    assert result.return_ic.ci_low > 0.1
    assert result.trading["logistic"].mean_return.ci_low > 0


def test_null_world_auc_stays_within_three_points_of_a_coin_over_many_assets() -> None:
    panel = synthetic_panel(SyntheticConfig(n_assets=200, n_windows=400, beta=0.0, seed=11))
    result = walk_forward(panel, FAST)
    scores = result.scores.set_index("model")
    assert scores.loc["logistic", "n"] > 50_000
    for model in ("always_up", "last_direction", "logistic", "hgb"):
        assert abs(scores.loc[model, "auc"] - 0.5) < 0.03
    assert abs(result.return_ic.value) < 0.03


NULL_WORLD_SEEDS = range(3, 9)


@pytest.fixture(scope="module")
def null_worlds_panel() -> pd.DataFrame:
    """Six independent 45-day null worlds side by side: ~250 asset histories, one panel."""
    universe = load_universe()
    parts = []
    for seed in NULL_WORLD_SEEDS:
        config = WorldConfig(beta=0.0, days=45, start=datetime(2026, 3, 2, tzinfo=UTC), seed=seed)
        panel = panel_from_truth(SimulatedWorld(config, universe), seed=1)
        parts.append(panel.assign(asset_id=f"world{seed}/" + panel["asset_id"]))
    return pd.concat(parts).sort_values(["asset_id", "window_start"], ignore_index=True)


def assert_no_edge(scores: pd.DataFrame, models: tuple[str, ...] = ("logistic", "hgb")) -> None:
    """Out of sample AUC within 0.5 ± 0.03 and its asset-clustered 95 % CI containing 0.5."""
    for model in models:
        row = scores.loc[model]
        assert abs(row["auc"] - 0.5) < 0.03, f"{model}: AUC {row['auc']:.3f}"
        assert row["auc_ci_low"] <= 0.5 <= row["auc_ci_high"], (
            f"{model}: AUC CI {row['auc_ci_low']:.3f}–{row['auc_ci_high']:.3f} excludes 0.5"
        )
        assert row["auc_ci_high"] - row["auc_ci_low"] < 0.05  # informative, not vacuous


def test_null_simulated_world_gives_no_edge_either(null_worlds_panel: pd.DataFrame) -> None:
    # One 45-day world has only ~40 assets: a pooled model's ranking of them persists, so a
    # single world's AUC wanders by ±0.04 (seed 3 alone: HGB 0.456). Six worlds give ~250
    # independent assets and the asset-clustered interval says how sure that makes us.
    result = walk_forward(null_worlds_panel, FAST)
    assert result.scores.set_index("model").loc["logistic", "n"] > 10_000
    assert_no_edge(result.scores.set_index("model"))


def test_the_no_edge_check_fails_when_a_feature_leaks_the_next_window(
    null_worlds_panel: pd.DataFrame,
) -> None:
    def leaking(panel: pd.DataFrame) -> pd.DataFrame:
        features = build_features(panel)
        # momentum_1 shifted one window into the future: it now holds the target's return
        future = features.groupby("asset_id")["momentum_1"].shift(-1)
        return features.assign(momentum_1=future.fillna(0.0))

    config = replace(FAST, check_lookahead=False)  # the guard would stop this first
    scores = walk_forward(null_worlds_panel, config, builder=leaking).scores.set_index("model")
    with pytest.raises(AssertionError, match="AUC"):
        assert_no_edge(scores)
    with pytest.raises(LookaheadError):
        walk_forward(null_worlds_panel, FAST, builder=leaking)


def test_every_refit_trains_only_on_rows_whose_outcome_was_known(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    panel = synthetic_panel(SyntheticConfig(n_assets=5, n_windows=200, seed=2))
    seen: list[tuple[int, int]] = []

    class Spy(AlwaysUp):
        def fit(self, x: np.ndarray, y: np.ndarray) -> "Spy":
            seen.append((len(x), int(np.isnan(y).sum())))
            return super().fit(x, y)

    monkeypatch.setattr(predict, "make_model", lambda name, seed=0: Spy())
    config = WalkForwardConfig(models=("always_up",), min_train_windows=50, refit_every=50)
    walk_forward(panel, config)
    # rows of windows < r have outcomes (the return of window ≤ r); 5 assets per window
    assert seen == [(5 * 50, 0), (5 * 100, 0), (5 * 150, 0)]


def test_scores_cluster_the_auc_interval_by_asset_from_ten_assets_on() -> None:
    rng = np.random.default_rng(8)
    prob, up = rng.random(1200), (rng.random(1200) < 0.5).astype(float)
    many, few = np.repeat(np.arange(12), 100), np.repeat(np.arange(6), 200)
    clustered = score("m", prob, up, clusters=many).auc
    assert clustered == clustered_auc(prob, up.astype(int), many)
    assert score("m", prob, up, clusters=few).auc == auc_estimate(prob, up.astype(int))
    assert score("m", prob, up).auc == auc_estimate(prob, up.astype(int))


def test_walk_forward_publishes_the_asset_clustered_auc_interval() -> None:
    panel = synthetic_panel(SyntheticConfig(n_assets=12, n_windows=200, seed=4))
    config = WalkForwardConfig(models=("logistic",), min_train_windows=80, refit_every=40)
    result = walk_forward(panel, config)
    p = result.predictions
    expected = clustered_auc(p["prob_logistic"].to_numpy(), p["up"].to_numpy(), p["asset_id"])
    row = result.scores.set_index("model").loc["logistic"]
    assert (row["auc_ci_low"], row["auc_ci_high"]) == pytest.approx(
        (expected.ci_low, expected.ci_high)
    )


def test_paper_trading_pays_costs_on_every_change_of_position() -> None:
    windows = pd.date_range("2026-01-01", periods=4, freq="6h", tz="UTC")
    predictions = pd.DataFrame(
        {
            "asset_id": ["a"] * 4,
            "window_start": windows,
            "prob_up": [0.9, 0.9, 0.1, 0.9],
            "next_return": [0.01, 0.02, -0.01, 0.0],
        }
    )
    free = paper_trade(predictions, "m", cost_bps=0.0)
    costly = paper_trade(predictions, "m", cost_bps=10.0)
    np.testing.assert_allclose(free.curve.gross, [0.01, 0.02, 0.01, 0.0])
    np.testing.assert_allclose(costly.curve.cost, [0.001, 0.0, 0.002, 0.002])
    np.testing.assert_allclose(costly.curve.net, free.curve.net - costly.curve.cost)
    assert costly.total_return < free.total_return and costly.mean_return.n == 4


def test_artifact_round_trips_and_predicts_the_next_window(tmp_path: Path) -> None:
    panel = synthetic_panel(SyntheticConfig(n_assets=6, n_windows=150, seed=3))
    artifact = fit_latest(panel, "logistic", metrics={"auc": 0.6})
    assert (
        artifact.features == FEATURES
        and artifact.trained_until == panel.window_start.max() - pd.Timedelta(hours=6)
    )
    loaded = load_artifact(save_artifact(artifact, tmp_path / "models" / f"{artifact.key}.joblib"))
    assert loaded.key == artifact.key and loaded.metrics == {"auc": 0.6}
    a, b = predict_latest(artifact, panel), predict_latest(loaded, panel)
    assert len(a) == 6 and set(a.window_start) == {panel.window_start.max()}
    np.testing.assert_allclose(a.prob_up, b.prob_up)
    assert ((a.prob_up > 0) & (a.prob_up < 1)).all()


def test_loading_an_artifact_of_another_feature_set_is_refused(tmp_path: Path) -> None:
    panel = synthetic_panel(SyntheticConfig(n_assets=3, n_windows=120, seed=3))
    artifact = fit_latest(panel, "always_up")
    stale = type(artifact)(**{**artifact.__dict__, "feature_version": "features-v0"})
    with pytest.raises(ValueError, match="retrain"):
        load_artifact(save_artifact(stale, tmp_path / "old.joblib"))
