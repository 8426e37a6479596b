"""Next-window direction (and return) per asset, tested walk-forward as it would have run live.

:func:`walk_forward` replays history: at refit window ``r`` every model is
trained, pooled over all assets, on the rows of windows ``< r`` — whose
outcome (the return of the window after) is known by the end of window ``r``
— and predicts windows ``r … r + refit_every − 1`` before seeing them. The
training set expands with time (randomly thinned to ``max_train_rows`` when it
grows past that, to keep refits fast). The scores are therefore
out-of-sample in time; the lookahead guard in :mod:`.features` runs first.

A ridge regression on the volatility-scaled next return gives the expected
return alongside the direction probabilities; its information coefficient
(correlation of predicted with realised return) is reported with a CI.

:func:`fit_latest` and :func:`predict_latest` are what a cycle would call:
train on everything known now, predict the window that starts next.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.linear_model import Ridge
from threadpoolctl import threadpool_limits

from tickerpulse.analytics.artifacts import ModelArtifact
from tickerpulse.analytics.evaluation import Scores, TradingResult, paper_trade, score
from tickerpulse.analytics.features import (
    FEATURE_VERSION,
    FEATURES,
    FeatureBuilder,
    build_features,
    build_targets,
    check_no_lookahead,
)
from tickerpulse.analytics.models import MODEL_VERSIONS, DirectionModel, make_model
from tickerpulse.analytics.stats import Estimate, pearson_rows

DEFAULT_MODELS: tuple[str, ...] = ("always_up", "last_direction", "logistic", "hgb")


@dataclass(frozen=True)
class WalkForwardConfig:
    """How the replay runs."""

    models: tuple[str, ...] = DEFAULT_MODELS
    min_train_windows: int = 120
    refit_every: int = 60
    max_train_rows: int = 150_000
    cost_bps: float = 5.0
    seed: int = 0
    check_lookahead: bool = True
    threads: int = 1
    """OpenMP/BLAS threads for fitting; on a small shared machine one thread beats two
    (gradient boosting's per-split synchronisation costs more than it saves)."""


@dataclass(frozen=True)
class WalkForwardResult:
    """Out-of-sample predictions, their scores, paper trading and the last fitted models."""

    predictions: pd.DataFrame
    scores: pd.DataFrame
    model_scores: dict[str, Scores]
    return_ic: Estimate
    trading: dict[str, TradingResult]
    artifacts: dict[str, ModelArtifact] = field(repr=False)
    refits: int = 0


def walk_forward(
    panel: pd.DataFrame,
    config: WalkForwardConfig | None = None,
    builder: FeatureBuilder = build_features,
) -> WalkForwardResult:
    """Replay history with expanding-window refits every ``refit_every`` windows.

    Returns:
        ``predictions`` has one row per scored asset × window with
        ``next_return``, ``up``, ``expected_return`` and ``prob_<model>`` per
        model; ``scores`` one row per model (AUC, hit rate, Brier, each with a
        95 % interval — the AUC's clustered by asset — and n).
    """
    config = config or WalkForwardConfig()
    data = _design(panel, builder, config.check_lookahead)
    x, up, w_idx = data.x, data.up, data.w_idx
    n_windows = len(data.windows)
    probs = {m: np.full(len(up), np.nan) for m in config.models}
    expected = np.full(len(up), np.nan)
    rng = np.random.default_rng(config.seed)
    fitted: dict[str, tuple[DirectionModel, int, int]] = {}
    refit_points = list(range(config.min_train_windows, n_windows, config.refit_every))
    labelled = np.isfinite(up)
    with threadpool_limits(limits=config.threads):
        for r in refit_points:
            train = np.flatnonzero(labelled & (w_idx < r))
            if len(train) > config.max_train_rows:
                train = np.sort(rng.choice(train, config.max_train_rows, replace=False))
            test = np.flatnonzero((w_idx >= r) & (w_idx < r + config.refit_every))
            if len(train) == 0 or len(test) == 0 or len(np.unique(up[train])) < 2:
                continue
            for name in config.models:
                model = make_model(name, config.seed).fit(x[train], up[train])
                probs[name][test] = model.predict_proba(x[test])[:, 1]
                fitted[name] = (model, r, len(train))
            ridge = Ridge(alpha=10.0).fit(np.nan_to_num(x[train]), data.scaled_return[train])
            expected[test] = ridge.predict(np.nan_to_num(x[test])) * data.vol[test]
    scored = labelled & (w_idx >= config.min_train_windows)
    predictions = data.keys[scored].assign(
        next_return=data.next_return[scored],
        up=up[scored],
        expected_return=expected[scored],
        **{f"prob_{m}": probs[m][scored] for m in config.models},
    )
    predictions = predictions.reset_index(drop=True)
    assets = pd.factorize(data.keys["asset_id"])[0][scored]
    scores = {m: score(m, probs[m][scored], up[scored], clusters=assets) for m in config.models}
    trading = {
        m: paper_trade(
            predictions.rename(columns={f"prob_{m}": "prob_up"}), m, cost_bps=config.cost_bps
        )
        for m in config.models
    }
    artifacts = {
        name: ModelArtifact(
            name=name,
            version=MODEL_VERSIONS[name],
            features=FEATURES,
            feature_version=FEATURE_VERSION,
            trained_until=data.windows[r - 1].to_pydatetime(),
            train_rows=rows,
            metrics=scores[name].as_dict(),
            estimator=model,
        )
        for name, (model, r, rows) in fitted.items()
    }
    table = pd.DataFrame([{"model": m, **s.as_dict()} for m, s in scores.items()])
    return WalkForwardResult(
        predictions=predictions,
        scores=table,
        model_scores=scores,
        return_ic=_information_coefficient(expected[scored], data.next_return[scored]),
        trading=trading,
        artifacts=artifacts,
        refits=len(refit_points),
    )


def fit_latest(
    panel: pd.DataFrame,
    name: str,
    metrics: dict[str, float] | None = None,
    max_train_rows: int = 150_000,
    seed: int = 0,
) -> ModelArtifact:
    """Train ``name`` on every row whose outcome is known now; attach walk-forward ``metrics``."""
    data = _design(panel, build_features, check=True)
    train = np.flatnonzero(np.isfinite(data.up))
    if len(train) > max_train_rows:
        rng = np.random.default_rng(seed)
        train = np.sort(rng.choice(train, max_train_rows, replace=False))
    model = make_model(name, seed).fit(data.x[train], data.up[train])
    last = int(data.w_idx[train].max())
    return ModelArtifact(
        name=name,
        version=MODEL_VERSIONS[name],
        features=FEATURES,
        feature_version=FEATURE_VERSION,
        trained_until=data.windows[last].to_pydatetime(),
        train_rows=len(train),
        metrics=dict(metrics or {}),
        estimator=model,
    )


def predict_latest(artifact: ModelArtifact, panel: pd.DataFrame) -> pd.DataFrame:
    """Up-probabilities for the window after the panel's last one, per asset."""
    features = build_features(panel)
    last = features[features["window_start"] == features["window_start"].max()]
    prob = artifact.estimator.predict_proba(last[list(artifact.features)].to_numpy())[:, 1]
    return last[["asset_id", "window_start"]].assign(
        prob_up=prob, model=artifact.name, model_key=artifact.key
    )


@dataclass(frozen=True)
class _Design:
    keys: pd.DataFrame
    x: np.ndarray
    up: np.ndarray
    next_return: np.ndarray
    scaled_return: np.ndarray
    vol: np.ndarray
    w_idx: np.ndarray
    windows: pd.DatetimeIndex


def _design(panel: pd.DataFrame, builder: FeatureBuilder, check: bool) -> _Design:
    features = builder(panel)
    if check:
        check_no_lookahead(panel, builder, features=features)
    targets = build_targets(panel)
    keys = features[["asset_id", "window_start"]]
    if not keys.equals(targets[["asset_id", "window_start"]]):
        raise ValueError("feature rows must come in panel order (asset_id, window_start)")
    windows = pd.DatetimeIndex(np.sort(keys["window_start"].unique()))
    next_return = targets["next_return"].to_numpy()
    vol = np.exp(features["volatility"].to_numpy())
    with np.errstate(invalid="ignore", divide="ignore"):
        scaled = np.clip(np.nan_to_num(next_return / vol), -10.0, 10.0)
    return _Design(
        keys=keys,
        x=features[list(FEATURES)].to_numpy(dtype="float64"),
        up=targets["up"].to_numpy(),
        next_return=next_return,
        scaled_return=scaled,
        vol=np.nan_to_num(vol),
        w_idx=windows.get_indexer(keys["window_start"]),
        windows=windows,
    )


def _information_coefficient(predicted: np.ndarray, realised: np.ndarray) -> Estimate:
    result = pearson_rows(predicted.reshape(1, -1), realised.reshape(1, -1))
    return Estimate(
        float(result.r[0]),
        float(result.ci_low[0]),
        float(result.ci_high[0]),
        int(result.n[0]),
        float(result.p_value[0]),
        None,
        "information_coefficient",
    )
