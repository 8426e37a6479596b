"""Honesty on the measured path: raw simulated posts → our normalize/tagger/sentiment/SQL → analytics.

Slow (the simulated world writes every post as raw provider JSON); the fast
unit tests use the world's latent sentiment plus noise instead.
"""

from datetime import UTC, datetime

import pandas as pd
import pytest

from tickerpulse.analytics.panel import POOLED
from tickerpulse.analytics.predict import WalkForwardConfig, walk_forward
from tickerpulse.analytics.relation import correlations
from tickerpulse.jobs.simulated_panel import panel_from_world
from tickerpulse.sources.simulator import SimulatedWorld, WorldConfig
from tickerpulse.universe import load_universe

pytestmark = pytest.mark.slow
CONFIG = WalkForwardConfig(min_train_windows=80, refit_every=40)


def measured_panel(beta: float) -> pd.DataFrame:
    config = WorldConfig(beta=beta, days=60, start=datetime(2026, 3, 2, tzinfo=UTC), seed=21)
    universe = load_universe()
    return panel_from_world(SimulatedWorld(config, universe), universe)


def next_window_r(panel: pd.DataFrame) -> pd.Series:
    table = correlations(panel, horizons=(1,), methods=("pearson",), signals=("sentiment",))
    return table[(table.asset_id == POOLED) & (table.source_class == "social")].iloc[0]


def test_measured_sentiment_recovers_the_planted_coupling() -> None:
    panel = measured_panel(beta=0.6)
    assert panel.mentions_social.sum() > 100_000
    assert next_window_r(panel).ci_low > 0.1
    scores = walk_forward(panel, CONFIG).scores.set_index("model")
    for model in ("logistic", "hgb"):
        assert scores.loc[model, "auc_ci_low"] > 0.55


def test_measured_null_world_shows_no_relation_and_no_edge() -> None:
    panel = measured_panel(beta=0.0)
    r = next_window_r(panel)
    assert r.ci_low < 0.03 and r.ci_high > -0.03 and abs(r.r) < 0.05
    scores = walk_forward(panel, CONFIG).scores.set_index("model")
    for model in ("logistic", "hgb"):
        assert abs(scores.loc[model, "auc"] - 0.5) < 0.03
