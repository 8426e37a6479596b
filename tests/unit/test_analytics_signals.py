import numpy as np
import pandas as pd

from tickerpulse.analytics.signals import shift, trailing_std, trailing_zscore


def test_shift_positive_looks_ahead_and_negative_looks_back() -> None:
    m = np.arange(5.0).reshape(1, 5)
    np.testing.assert_array_equal(shift(m, 1), [[1, 2, 3, 4, np.nan]])
    np.testing.assert_array_equal(shift(m, -2), [[np.nan, np.nan, 0, 1, 2]])


def test_trailing_statistics_match_pandas_rolling_and_skip_missing_values() -> None:
    rng = np.random.default_rng(0)
    m = rng.normal(size=(2, 300))
    m[0, 40:60] = np.nan
    for row in range(2):
        series = pd.Series(m[row])
        expected_std = series.rolling(20, min_periods=5).std().to_numpy()
        np.testing.assert_allclose(trailing_std(m, 20)[row], expected_std, atol=1e-9)
        past = series.shift(1).rolling(28, min_periods=5)
        z = ((series - past.mean()) / past.std()).clip(-10, 10).to_numpy()
        np.testing.assert_allclose(trailing_zscore(m, 28)[row], z, atol=1e-9)


def test_a_flat_history_has_no_z_score_instead_of_a_huge_one() -> None:
    m = np.zeros((1, 60))
    m[0, 50] = 1.0
    z = trailing_zscore(m)
    assert np.isnan(z[0, 50]) and np.isnan(z[0, 10])
