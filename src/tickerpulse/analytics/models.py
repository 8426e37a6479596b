"""The direction models: two naive baselines and two learned ones, behind one small interface.

- ``always_up``: says "up" every time, with the training share of up-moves as
  its probability (the climatology every real model must beat);
- ``last_direction``: says the next move repeats the last one, with the
  up-rates after up and after down windows seen in training;
- ``logistic``: standardised features into an L2 logistic regression;
- ``hgb``: scikit-learn's histogram gradient boosting, small and regularised.

Each is fitted on a feature matrix and the 0/1 target and returns the
probability of an up-move.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from tickerpulse.analytics.features import FEATURES

MODEL_VERSIONS: dict[str, str] = {
    "always_up": "always_up-v1",
    "last_direction": "last_direction-v1",
    "logistic": "logistic-v1",
    "hgb": "hgb-v1",
}
BASELINES: tuple[str, ...] = ("always_up", "last_direction")


class DirectionModel(Protocol):
    """What the walk-forward needs of a model."""

    def fit(self, x: np.ndarray, y: np.ndarray) -> Any:
        """Learn from features ``x`` and 0/1 targets ``y``."""

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Probabilities of (down, up) per row."""


class AlwaysUp:
    """Climatology: the training up-rate for every row."""

    def fit(self, x: np.ndarray, y: np.ndarray) -> AlwaysUp:
        """Remember the share of up-moves."""
        self.rate_ = float(np.mean(y)) if len(y) else 0.5
        return self

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """The same up-probability for every row."""
        up = np.full(len(x), self.rate_)
        return np.column_stack([1.0 - up, up])


class LastDirection:
    """Persistence: the up-rate seen after an up window, or after a down window."""

    def __init__(self, momentum_column: int = FEATURES.index("momentum_1")) -> None:
        self.momentum_column = momentum_column

    def fit(self, x: np.ndarray, y: np.ndarray) -> LastDirection:
        """Up-rates after up and after not-up windows (0.5 where never seen)."""
        last_up = np.nan_to_num(x[:, self.momentum_column]) > 0
        self.after_up_ = float(np.mean(y[last_up])) if last_up.any() else 0.5
        self.after_down_ = float(np.mean(y[~last_up])) if (~last_up).any() else 0.5
        return self

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """The matching up-rate per row."""
        last_up = np.nan_to_num(x[:, self.momentum_column]) > 0
        up = np.where(last_up, self.after_up_, self.after_down_)
        return np.column_stack([1.0 - up, up])


class _ImputedLogistic:
    """Logistic regression that reads missing features as 0 (their neutral value)."""

    def __init__(self, seed: int) -> None:
        self.pipeline = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=200))

    def fit(self, x: np.ndarray, y: np.ndarray) -> _ImputedLogistic:
        self.pipeline.fit(np.nan_to_num(x), y)
        return self

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        out: np.ndarray = self.pipeline.predict_proba(np.nan_to_num(x))
        return out


def make_model(name: str, seed: int = 0) -> DirectionModel:
    """A fresh, unfitted model called ``name`` (one of :data:`MODEL_VERSIONS`)."""
    if name == "always_up":
        return AlwaysUp()
    if name == "last_direction":
        return LastDirection()
    if name == "logistic":
        return _ImputedLogistic(seed)
    if name == "hgb":
        model: DirectionModel = HistGradientBoostingClassifier(
            max_iter=60,
            learning_rate=0.1,
            max_leaf_nodes=15,
            min_samples_leaf=200,
            l2_regularization=1.0,
            early_stopping=False,
            random_state=seed,
        )
        return model
    raise ValueError(f"unknown model {name!r}; choose from {sorted(MODEL_VERSIONS)}")
