"""After the cycles: relation statistics and next-window predictions into the marts.

Reads the last ``history`` of published windows as a panel, computes the
relation report (correlations with CIs and BH q-values, Granger, lead-lag and
the event study) and a walk-forward replay, fits the best out-of-sample model
on everything known now, and replaces ``mart_relation``, ``mart_relation_lag``,
``mart_relation_event`` and the predicted window's ``mart_prediction`` rows in
one transaction. The fitted model is kept in the lake under
``models/<version>@<trained until>.joblib``. Each call carries the pooled
record and the asset's own out-of-sample record, and whether the asset's market
trades at all in the predicted window (a closed market gets no call on the
pages). Nothing is published from fewer windows than the walk-forward needs:
the pages then say there is not enough history rather than show numbers that
mean nothing.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import joblib
import numpy as np
import pandas as pd
from sqlalchemy import Engine, delete, insert
from sqlalchemy.orm import Session

from tickerpulse.analytics.evaluation import auc_estimate, hit_rate_estimate
from tickerpulse.analytics.marts import panel_from_marts
from tickerpulse.analytics.predict import (
    WalkForwardConfig,
    fit_latest,
    predict_latest,
    walk_forward,
)
from tickerpulse.analytics.relation import RelationReport, relation_report
from tickerpulse.analytics.stats import Estimate
from tickerpulse.analytics.verdict import verdict
from tickerpulse.db.models import (
    MartPrediction,
    MartRelation,
    MartRelationEvent,
    MartRelationLag,
)
from tickerpulse.db.state import last_published
from tickerpulse.domain import WINDOW, Window
from tickerpulse.lake import Lake
from tickerpulse.markets import asset_class_of, trades_in_window

HISTORY = timedelta(days=365)
SIGNALS = ("sentiment", "mentions", "mention_z")
CANDIDATES = ("logistic", "hgb")


@dataclass(frozen=True)
class AnalyticsOutcome:
    """What one analytics run published, or why it published nothing."""

    relation_rows: int = 0
    prediction_rows: int = 0
    model: str | None = None
    skipped: str | None = None


def publish_analytics(
    engine: Engine, lake: Lake, *, config: WalkForwardConfig | None = None
) -> AnalyticsOutcome:
    """Compute and publish relation statistics and predictions over the published history."""
    latest = last_published(engine)
    if latest is None:
        return AnalyticsOutcome(skipped="no window has been published")
    with Session(engine) as session:
        panel = panel_from_marts(session, since=latest - HISTORY, until=latest + WINDOW)
    return publish_panel(engine, lake, panel, config=config or WalkForwardConfig())


def publish_panel(
    engine: Engine, lake: Lake, panel: pd.DataFrame, *, config: WalkForwardConfig
) -> AnalyticsOutcome:
    """Statistics of ``panel`` written to the marts, and its model to the lake."""
    windows = panel["window_start"].nunique() if not panel.empty else 0
    needed = config.min_train_windows + config.refit_every
    if windows < needed:
        return AnalyticsOutcome(skipped=f"{windows} windows of history; predictions need {needed}")
    until = pd.Timestamp(panel["window_start"].max()).to_pydatetime()
    report = relation_report(panel)
    relation = _relation_rows(report, until)
    lags, events = _lag_rows(report, until), _event_rows(report, until)
    replay = walk_forward(panel, config)
    scores = replay.scores.set_index("model")
    best = max(CANDIDATES, key=lambda m: float(scores.loc[m, "auc"]))
    record = scores.loc[best]
    auc = Estimate(float(record["auc"]), float(record["auc_ci_low"]), float(record["auc_ci_high"]),
                   int(record["n"]), float(record["auc_p_value"]), method="auc")  # fmt: skip
    artifact = fit_latest(panel, best, metrics={k: float(v) for k, v in record.items()})
    buffer = io.BytesIO()
    joblib.dump(artifact, buffer)
    lake.write_bytes(f"models/{artifact.key}.joblib", buffer.getvalue())
    target = until + WINDOW
    own = asset_records(replay.predictions, f"prob_{best}")
    predictions = [
        {
            "window_start": target, "asset_id": row.asset_id, "model": best,
            "model_key": artifact.key, "prob_up": float(row.prob_up), "auc": auc.value,
            "auc_ci_low": auc.ci_low, "auc_ci_high": auc.ci_high,
            "hit_rate": float(record["hit_rate"]), "n": auc.n, "verdict": verdict(auc),
            "market_open": _market_open(row.asset_id, Window(target)),
            **own.get(row.asset_id, {}),
        }
        for row in predict_latest(artifact, panel).itertuples()
    ]  # fmt: skip
    with engine.begin() as conn:
        for table, rows in ((MartRelation, relation), (MartRelationLag, lags),
                            (MartRelationEvent, events)):  # fmt: skip
            conn.execute(delete(table))
            if rows:
                conn.execute(insert(table), rows)
        conn.execute(delete(MartPrediction).where(MartPrediction.window_start == target))
        if predictions:
            conn.execute(insert(MartPrediction), predictions)
    return AnalyticsOutcome(len(relation), len(predictions), best)


def asset_records(predictions: pd.DataFrame, column: str) -> dict[str, dict[str, Any]]:
    """Each asset's own out-of-sample record from the walk-forward's ``predictions``.

    Returns ``asset_auc`` (None when the asset's outcomes were all one way),
    ``asset_hit_rate`` and ``asset_n`` per asset, from the calls in ``column``.
    """
    out: dict[str, dict[str, Any]] = {}
    for asset_id, rows in predictions.groupby("asset_id"):
        scored = rows[np.isfinite(rows[column]) & np.isfinite(rows["up"])]
        prob, up = scored[column].to_numpy(), scored["up"].to_numpy()
        out[str(asset_id)] = {
            "asset_auc": _float(auc_estimate(prob, up).value),
            "asset_hit_rate": _float(hit_rate_estimate(prob, up).value) if len(up) else None,
            "asset_n": len(up),
        }
    return out


def _relation_rows(report: RelationReport, until: datetime) -> list[dict[str, Any]]:
    corr = report.correlations
    corr = corr[(corr["method"] == "pearson") & corr["signal"].isin(SIGNALS)]
    granger = report.granger
    causes = granger[granger["direction"] == "sentiment→return"]
    granger_q = {(row.asset_id, row.source_class): row.q_value for row in causes.itertuples()}
    rows = []
    for row in corr.itertuples():
        estimate = Estimate(float(row.r), float(row.ci_low), float(row.ci_high), int(row.n),
                            float(row.p_value), _float(row.q_value), method="pearson")  # fmt: skip
        rows.append(
            {
                "asset_id": row.asset_id, "source_class": row.source_class, "signal": row.signal,
                "horizon": int(row.horizon), "r": _float(row.r), "ci_low": _float(row.ci_low),
                "ci_high": _float(row.ci_high), "n": int(row.n), "p_value": _float(row.p_value),
                "q_value": _float(row.q_value),
                "granger_q": _float(granger_q.get((row.asset_id, row.source_class)))
                if int(row.horizon) == 1 and row.signal == "sentiment" else None,
                "verdict": verdict(estimate), "computed_until": until,
            }
        )  # fmt: skip
    return rows


def _lag_rows(report: RelationReport, until: datetime) -> list[dict[str, Any]]:
    """Every asset's (and the pooled) sentiment-vs-return correlation at each lag."""
    return [
        {
            "asset_id": row.asset_id, "source_class": row.source_class, "signal": row.signal,
            "lag": int(row.lag), "r": _float(row.r), "ci_low": _float(row.ci_low),
            "ci_high": _float(row.ci_high), "n": int(row.n), "p_value": _float(row.p_value),
            "q_value": _float(row.q_value), "computed_until": until,
        }
        for row in report.lead_lag.itertuples()
    ]  # fmt: skip


def _event_rows(report: RelationReport, until: datetime) -> list[dict[str, Any]]:
    """The mean signed CAR around spikes per τ, for assets (and the pool) that had events."""
    events = report.events
    return [
        {
            "asset_id": row.asset_id, "source_class": row.source_class,
            "event_type": row.event_type, "tau": int(row.tau), "mean_car": _float(row.mean_car),
            "ci_low": _float(row.ci_low), "ci_high": _float(row.ci_high),
            "n_events": int(row.n_events), "p_value": _float(row.p_value),
            "computed_until": until,
        }
        for row in events[events["n_events"] > 0].itertuples()
    ]  # fmt: skip


def _market_open(asset_id: str, window: Window) -> bool:
    """Whether the asset trades in ``window``; an asset without a known calendar counts as open."""
    try:
        return trades_in_window(asset_class_of(asset_id), window)
    except ValueError:
        return True


def _float(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if pd.isna(number) else number
