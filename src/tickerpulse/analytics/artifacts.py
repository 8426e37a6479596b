"""Versioned model artifacts: what was trained, on what, until when, and how well it did.

An artifact is a small record — model name and version, the feature list and
its version, the last window whose outcome the model saw, its walk-forward
scores — plus the fitted estimator. It is saved with joblib to a path the
caller chooses (a lake path, a temp dir); loading checks that what comes back
is an artifact and that its features match the code that will use it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import joblib
import sklearn

from tickerpulse.analytics.features import FEATURE_VERSION, FEATURES


@dataclass(frozen=True)
class ModelArtifact:
    """A fitted direction model and the facts needed to trust or reject it."""

    name: str
    version: str
    features: tuple[str, ...]
    feature_version: str
    trained_until: datetime
    train_rows: int
    metrics: dict[str, float]
    estimator: Any = field(repr=False)
    sklearn_version: str = sklearn.__version__

    @property
    def key(self) -> str:
        """A unique, sortable name: ``<version>@<trained_until>``."""
        return f"{self.version}@{self.trained_until:%Y%m%dT%H}"


def save_artifact(artifact: ModelArtifact, path: Path) -> Path:
    """Write ``artifact`` to ``path`` (parents created) and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(artifact, path)
    return path


def load_artifact(path: Path) -> ModelArtifact:
    """Read an artifact and refuse one built for another feature set."""
    loaded = joblib.load(path)
    if not isinstance(loaded, ModelArtifact):
        raise TypeError(f"{path} holds a {type(loaded).__name__}, not a ModelArtifact")
    if loaded.feature_version != FEATURE_VERSION or loaded.features != FEATURES:
        raise ValueError(
            f"{path} was trained on {loaded.feature_version} but the code builds "
            f"{FEATURE_VERSION}; retrain it"
        )
    return loaded
