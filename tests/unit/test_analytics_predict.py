from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tickerpulse.analytics import predict
from tickerpulse.analytics.artifacts import load_artifact, save_artifact
from tickerpulse.analytics.evaluation import paper_trade
from tickerpulse.analytics.features import FEATURES
from tickerpulse.analytics.models import AlwaysUp
from tickerpulse.analytics.predict import (
    WalkForwardConfig,
    fit_latest,
    predict_latest,
    walk_forward,
)
from tickerpulse.analytics.simulated import panel_from_truth
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


@pytest.mark.xfail(
    strict=True,
    reason="open: in this 45-day null world of ~40 assets HGB scores AUC 0.456 pooled (iid CI"
    " 0.431-0.481) and 0.46 within windows; its ranking of assets persists from window to"
    " window, so the effective sample is ~40 assets, not 2,014 rows, and both the iid CI and"
    " the ±0.03 bound are tighter than this world supports (the 200-asset null test holds)."
    " Next: intervals clustered by asset, and this check on a world with many more assets.",
)
def test_null_simulated_world_gives_no_edge_either() -> None:
    scores = walk_forward(world_panel(beta=0.0), FAST).scores.set_index("model")
    for model in ("logistic", "hgb"):
        assert abs(scores.loc[model, "auc"] - 0.5) < 0.03


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
