import numpy as np
import pandas as pd
import pytest
from scipy import stats

from tickerpulse.analytics.events import event_study
from tickerpulse.analytics.panel import POOLED, as_arrays
from tickerpulse.analytics.relation import (
    correlations,
    lead_lag,
    relation_report,
    rolling_correlation,
)
from tickerpulse.analytics.synthetic import SyntheticConfig, synthetic_panel


@pytest.fixture(scope="module")
def planted() -> pd.DataFrame:
    return synthetic_panel(SyntheticConfig(n_assets=30, n_windows=400, beta=0.6, seed=1))


@pytest.fixture(scope="module")
def null() -> pd.DataFrame:
    return synthetic_panel(SyntheticConfig(n_assets=30, n_windows=400, beta=0.0, seed=2))


def pooled(frame: pd.DataFrame, **where: object) -> pd.Series:
    rows = frame[frame.asset_id == POOLED]
    for key, value in where.items():
        rows = rows[rows[key] == value]
    assert len(rows) == 1
    return rows.iloc[0]


def test_planted_coupling_shows_in_next_window_not_only_same_window(planted: pd.DataFrame) -> None:
    table = correlations(planted)
    nxt = pooled(table, source_class="social", signal="sentiment", horizon=1, method="pearson")
    assert nxt.r > 0.2 and nxt.ci_low > 0.15 and nxt.q_value < 1e-6
    per_asset = table[
        (table.asset_id != POOLED)
        & (table.signal == "sentiment")
        & (table.horizon == 1)
        & (table.source_class == "social")
        & (table.method == "spearman")
    ]
    assert len(per_asset) == 30 and (per_asset.q_value < 0.05).mean() > 0.8
    assert (per_asset.q_value >= per_asset.p_value - 1e-15).all()
    assert (per_asset.ci_low < per_asset.r).all() and (per_asset.r < per_asset.ci_high).all()


def test_null_world_gives_intervals_around_zero(null: pd.DataFrame) -> None:
    table = correlations(null)
    for source_class in ("social", "news"):
        row = pooled(
            table, source_class=source_class, signal="sentiment", horizon=1, method="pearson"
        )
        assert abs(row.r) < 0.03 and row.ci_low < 0 < row.ci_high
    per_asset = table[(table.asset_id != POOLED) & (table.horizon == 1)]
    assert (per_asset.q_value < 0.05).mean() < 0.02


def test_lead_lag_peaks_where_the_coupling_was_planted(planted: pd.DataFrame) -> None:
    table = lead_lag(planted, max_lag=3)
    social = table[(table.asset_id == POOLED) & (table.source_class == "social")]
    assert list(social.lag) == [-3, -2, -1, 0, 1, 2, 3]
    assert social.loc[social.r.idxmax(), "lag"] == 1


def test_rolling_correlation_equals_direct_correlation_over_the_span(planted: pd.DataFrame) -> None:
    span = 60
    rolled = rolling_correlation(planted, span=span, horizon=1)
    arrays = as_arrays(planted)
    t = 200
    x = arrays["sentiment_social"][4, t - span : t]  # signal at t-1 … paired with return at t
    y = arrays["return_pct"][4, t - span + 1 : t + 1]
    row = rolled[(rolled.asset_id == arrays.assets[4])].iloc[t]
    assert row.r == pytest.approx(stats.pearsonr(x, y)[0], abs=1e-9)
    assert row.n == span and row.ci_low < row.r < row.ci_high


def test_event_study_shows_drift_in_the_crowds_direction_only_when_planted(
    planted: pd.DataFrame, null: pd.DataFrame
) -> None:
    def car_after(panel: pd.DataFrame) -> pd.Series:
        table = event_study(as_arrays(panel), span=3)
        rows = table[
            (table.asset_id == POOLED)
            & (table.source_class == "social")
            & (table.event_type == "sentiment_spike")
        ].set_index("tau")
        return rows

    planted_rows, null_rows = car_after(planted), car_after(null)
    gain = planted_rows.mean_car[3] - planted_rows.mean_car[0]
    assert gain > 0 and planted_rows.n_events[3] > 100
    assert planted_rows.ci_low[3] > planted_rows.mean_car[0]
    null_gain = null_rows.mean_car[3] - null_rows.mean_car[0]
    assert abs(null_gain) < 0.25 * gain


def test_report_has_every_statistic_with_n_and_uncertainty(planted: pd.DataFrame) -> None:
    report = relation_report(planted)
    for frame in (report.correlations, report.lead_lag, report.granger, report.events):
        assert len(frame) > 0
        assert {"p_value"} <= set(frame.columns)
        assert "n" in frame.columns or "n_events" in frame.columns
    assert {"ci_low", "ci_high", "q_value"} <= set(report.correlations.columns)
    assert set(report.granger.source_class) == {"social", "news"}
    assert np.isfinite(report.granger.f_stat).all()
