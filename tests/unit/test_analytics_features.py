import numpy as np
import pandas as pd
import pytest

from tickerpulse.analytics.features import (
    FEATURES,
    LookaheadError,
    build_features,
    build_targets,
    check_no_lookahead,
)
from tickerpulse.analytics.synthetic import SyntheticConfig, synthetic_panel


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return synthetic_panel(SyntheticConfig(n_assets=8, n_windows=200, beta=0.6, seed=4))


def test_features_pass_the_lookahead_guard(panel: pd.DataFrame) -> None:
    check_no_lookahead(panel, cuts=5)
    features = build_features(panel)
    assert tuple(features.columns[2:]) == FEATURES and len(features) == len(panel)


@pytest.mark.parametrize("leaky", FEATURES)
def test_any_feature_shifted_one_window_into_the_future_is_caught(
    panel: pd.DataFrame, leaky: str
) -> None:
    def builder(p: pd.DataFrame) -> pd.DataFrame:
        features = build_features(p)
        features[leaky] = features.groupby("asset_id")[leaky].shift(-1).fillna(0.0)
        return features

    with pytest.raises(LookaheadError, match=leaky):
        check_no_lookahead(panel, builder)


def test_scaling_with_the_whole_histories_mean_is_caught_too(panel: pd.DataFrame) -> None:
    def builder(p: pd.DataFrame) -> pd.DataFrame:
        features = build_features(p)
        col = features["sentiment_social"]
        features["sentiment_social"] = (col - col.mean()) / col.std()
        return features

    with pytest.raises(LookaheadError, match="sentiment_social"):
        check_no_lookahead(panel, builder)


def test_target_is_the_next_windows_return_and_its_direction(panel: pd.DataFrame) -> None:
    targets = build_targets(panel)
    first = panel[panel.asset_id == panel.asset_id.iloc[0]]
    mine = targets.iloc[: len(first)]
    np.testing.assert_allclose(mine.next_return.to_numpy()[:-1], first.return_pct.to_numpy()[1:])
    assert np.isnan(mine.next_return.iloc[-1]) and np.isnan(mine.up.iloc[-1])
    assert ((mine.up[:-1] == 1) == (mine.next_return[:-1] > 0)).all()


def test_features_at_a_window_use_nothing_of_that_windows_successor(panel: pd.DataFrame) -> None:
    changed = panel.copy()
    last = changed.window_start == changed.window_start.max()
    changed.loc[last, ["sentiment_social", "return_pct", "mentions_social"]] = [0.9, 0.5, 999.0]
    before = build_features(panel)
    after = build_features(changed)
    not_last = before.window_start < before.window_start.max()
    pd.testing.assert_frame_equal(before[not_last], after[not_last])
