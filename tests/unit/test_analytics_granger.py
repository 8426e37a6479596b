import numpy as np
import pytest
from statsmodels.tsa.stattools import grangercausalitytests

from tickerpulse.analytics.granger import granger_f_test, granger_table
from tickerpulse.analytics.panel import as_arrays
from tickerpulse.analytics.synthetic import SyntheticConfig, synthetic_panel


@pytest.mark.parametrize("lags", [1, 2, 3])
def test_batched_f_test_matches_statsmodels_ssr_ftest(lags: int) -> None:
    rng = np.random.default_rng(lags)
    cause = rng.normal(size=(4, 300))
    target = rng.normal(size=(4, 300))
    target[:, 1:] += 0.15 * cause[:, :-1]
    f, p, n = granger_f_test(target, cause, lags)
    for i in range(4):
        data = np.column_stack([target[i], cause[i]])
        result = grangercausalitytests(data, maxlag=[lags])[lags][0]
        f_sm, p_sm, df_denom, _ = result["ssr_ftest"]
        assert f[i] == pytest.approx(f_sm, rel=1e-7)
        assert p[i] == pytest.approx(p_sm, rel=1e-6, abs=1e-15)
        assert n[i] - 2 * lags - 1 == df_denom


def test_planted_coupling_is_found_and_null_world_rejects_about_alpha() -> None:
    planted = granger_table(as_arrays(synthetic_panel(SyntheticConfig(n_assets=60, beta=0.6))))
    social = planted[(planted.source_class == "social") & (planted.direction == "sentiment→return")]
    assert (social.q_value < 0.05).mean() > 0.9
    null = granger_table(
        as_arrays(synthetic_panel(SyntheticConfig(n_assets=300, beta=0.0, seed=5)))
    )
    rejected = null[null.direction == "sentiment→return"].p_value < 0.05
    assert 0.02 < rejected.mean() < 0.08
    assert (null[null.direction == "sentiment→return"].q_value < 0.05).mean() < 0.02
