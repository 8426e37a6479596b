import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from tickerpulse.analytics.evaluation import auc_estimate
from tickerpulse.analytics.stats import (
    benjamini_hochberg,
    block_bootstrap_correlation,
    clustered_auc,
    pearson_rows,
    spearman_rows,
    wilson_interval,
)


def test_row_correlations_match_scipy_with_missing_pairs_left_out() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3, 200))
    y = 0.3 * x + rng.normal(size=(3, 200))
    x[0, :20] = np.nan
    y[1, 50:60] = np.nan
    pearson, spearman = pearson_rows(x, y), spearman_rows(x, y)
    for i in range(3):
        ok = np.isfinite(x[i]) & np.isfinite(y[i])
        r, p = stats.pearsonr(x[i, ok], y[i, ok])
        rho, p_rho = stats.spearmanr(x[i, ok], y[i, ok])
        assert pearson.r[i] == pytest.approx(r, abs=1e-12)
        assert pearson.p_value[i] == pytest.approx(p, rel=1e-6)
        assert pearson.n[i] == ok.sum()
        assert spearman.r[i] == pytest.approx(rho, abs=1e-12)
        assert spearman.p_value[i] == pytest.approx(p_rho, rel=1e-3)


def test_fisher_interval_covers_the_true_correlation_about_95_percent_of_the_time() -> None:
    rng = np.random.default_rng(2)
    true_r, n, reps = 0.3, 60, 4000
    x = rng.normal(size=(reps, n))
    y = true_r * x + np.sqrt(1 - true_r**2) * rng.normal(size=(reps, n))
    result = pearson_rows(x, y)
    coverage = np.mean((result.ci_low <= true_r) & (true_r <= result.ci_high))
    assert 0.93 < coverage < 0.97


def test_too_few_pairs_give_nan_not_a_number_pretending_to_be_one() -> None:
    x = np.array([[1.0, 2.0, 3.0, 4.0]])
    result = pearson_rows(x, x)
    assert np.isnan(result.r[0]) and np.isnan(result.ci_low[0]) and result.n[0] == 4


def test_benjamini_hochberg_matches_statsmodels_and_skips_nan() -> None:
    p = np.array([0.001, 0.2, np.nan, 0.04, 0.03, 0.9, 0.012])
    ok = np.isfinite(p)
    expected = multipletests(p[ok], method="fdr_bh")[1]
    q = benjamini_hochberg(p)
    assert np.isnan(q[2])
    np.testing.assert_allclose(q[ok], expected)
    assert np.all(q[ok] >= p[ok])


def test_wilson_interval_is_inside_0_1_even_at_the_edges() -> None:
    rate, low, high = wilson_interval(0, 20)
    assert rate == 0.0 and low == pytest.approx(0.0, abs=1e-12) and 0.1 < high < 0.2
    rate, low, high = wilson_interval(55, 100)
    assert low < 0.55 < high and high - low == pytest.approx(0.19, abs=0.01)


def test_block_bootstrap_agrees_with_fisher_on_independent_windows() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=600)
    y = 0.2 * x + rng.normal(size=600)
    boot = block_bootstrap_correlation(x, y, block=5, reps=1500)
    fisher = pearson_rows(x.reshape(1, -1), y.reshape(1, -1))
    assert boot.value == pytest.approx(fisher.r[0])
    assert boot.ci_low == pytest.approx(fisher.ci_low[0], abs=0.03)
    assert boot.ci_high == pytest.approx(fisher.ci_high[0], abs=0.03)


def test_block_bootstrap_widens_the_interval_for_persistent_series() -> None:
    rng = np.random.default_rng(4)
    n, phi = 800, 0.95
    x, y = np.zeros(n), np.zeros(n)
    for t in range(1, n):  # two independent but very persistent series
        x[t] = phi * x[t - 1] + rng.normal()
        y[t] = phi * y[t - 1] + rng.normal()
    boot = block_bootstrap_correlation(x, y, block=40, reps=1000)
    fisher = pearson_rows(x.reshape(1, -1), y.reshape(1, -1))
    assert boot.ci_high - boot.ci_low > 2 * (fisher.ci_high[0] - fisher.ci_low[0])


def test_clustered_auc_is_the_plain_auc_and_with_one_row_per_cluster_the_iid_interval() -> None:
    rng = np.random.default_rng(5)
    prob = np.round(rng.random(3000), 2)  # rounded: ties count half, as in roc_auc_score
    up = (rng.random(3000) < 0.3 + 0.4 * prob).astype(int)
    clustered = clustered_auc(prob, up, np.arange(3000))
    iid = auc_estimate(prob, up)
    assert clustered.value == pytest.approx(iid.value, abs=1e-12)
    assert clustered.ci_low == pytest.approx(iid.ci_low, abs=2e-3)
    assert clustered.ci_high == pytest.approx(iid.ci_high, abs=2e-3)
    assert clustered.n == 3000 and clustered.method == "auc"


def null_assets(
    rng: np.random.Generator, n_assets: int = 30, rows: int = 200
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A null world where each asset has its own lasting up-rate and a lasting model score."""
    assets = np.repeat(np.arange(n_assets), rows)
    rate = rng.uniform(0.3, 0.7, n_assets)[assets]  # this asset's luck over the sample
    prob = rng.random(n_assets)[assets] + 0.01 * rng.random(n_assets * rows)  # unrelated to it
    up = (rng.random(n_assets * rows) < rate).astype(int)
    return prob, up, assets


def test_clustered_auc_interval_is_wider_than_the_iid_one_when_assets_persist() -> None:
    prob, up, assets = null_assets(np.random.default_rng(6))
    clustered, iid = clustered_auc(prob, up, assets), auc_estimate(prob, up)
    assert clustered.value == pytest.approx(iid.value, abs=1e-12)
    assert clustered.ci_high - clustered.ci_low > 3 * (iid.ci_high - iid.ci_low)


def test_clustered_auc_keeps_its_coverage_in_a_null_world_where_the_iid_interval_does_not() -> None:
    rng = np.random.default_rng(7)
    covered = {"clustered": 0, "iid": 0}
    reps = 300
    for _ in range(reps):
        prob, up, assets = null_assets(rng)
        for name, est in (("clustered", clustered_auc(prob, up, assets)),
                          ("iid", auc_estimate(prob, up))):  # fmt: skip
            covered[name] += est.ci_low <= 0.5 <= est.ci_high
    assert covered["clustered"] / reps > 0.9
    assert covered["iid"] / reps < 0.5


def test_clustered_auc_needs_ten_clusters_and_both_outcomes() -> None:
    prob = np.linspace(0, 1, 90)
    up = np.tile([0, 1, 1], 30)
    few = clustered_auc(prob, up, np.repeat(np.arange(9), 10))
    assert np.isfinite(few.value) and np.isnan(few.ci_low) and np.isnan(few.p_value)
    assert np.isnan(clustered_auc(prob, np.ones(90), np.arange(90)).value)
