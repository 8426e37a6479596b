"""A small dense classifier head over text features, stored as plain numpy arrays.

Multinomial logistic regression is the one-layer case; an MLP adds ReLU layers. The
logits are divided by a temperature fitted on the dev split, so the softmax gives
calibrated class probabilities. Stored as ``.npz`` (no pickle: loading runs no code).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

Matrix = NDArray[np.float32]


@dataclass(frozen=True)
class DenseHead:
    """Standardise, then dense layers with ReLU between, then a tempered softmax.

    Attributes:
        feature_layers: which encoder layers' mean pools are concatenated as input.
        mean: per-feature mean subtracted first.
        scale: per-feature divisor applied after.
        weights: one ``(in, out)`` matrix per layer.
        biases: one ``(out,)`` vector per layer.
        temperature: logits are divided by it before the softmax (> 0).
    """

    feature_layers: tuple[int, ...]
    mean: Matrix
    scale: Matrix
    weights: tuple[Matrix, ...]
    biases: tuple[Matrix, ...]
    temperature: float = 1.0

    def features(self, pooled: Matrix) -> Matrix:
        """The head's input from ``(n, layers, dims)`` mean pools."""
        chosen = pooled[:, list(self.feature_layers), :].reshape(len(pooled), -1)
        return (chosen - self.mean) / self.scale

    def logits(self, features: Matrix) -> Matrix:
        """Untempered class logits of standardised features."""
        hidden = features
        for index, (weight, bias) in enumerate(zip(self.weights, self.biases, strict=True)):
            hidden = hidden @ weight + bias
            if index < len(self.weights) - 1:
                hidden = np.maximum(hidden, 0.0)
        return hidden

    def probabilities(self, pooled: Matrix) -> Matrix:
        """Calibrated class probabilities, one row per text."""
        return softmax(self.logits(self.features(pooled)) / np.float32(self.temperature))

    def save(self, path: Path) -> None:
        """Write the head as an uncompressed ``.npz``."""
        arrays: dict[str, NDArray[np.generic]] = {
            "feature_layers": np.asarray(self.feature_layers, dtype=np.int64),
            "mean": self.mean,
            "scale": self.scale,
            "temperature": np.asarray(self.temperature, dtype=np.float64),
        }
        for index, (weight, bias) in enumerate(zip(self.weights, self.biases, strict=True)):
            arrays[f"weight_{index}"] = weight
            arrays[f"bias_{index}"] = bias
        with path.open("wb") as stream:
            np.savez(stream, **arrays)  # type: ignore[arg-type]

    @classmethod
    def load(cls, path: Path) -> DenseHead:
        """Read a head written by :meth:`save` (arrays only, ``allow_pickle`` off)."""
        with np.load(path, allow_pickle=False) as stored:
            count = sum(1 for name in stored.files if name.startswith("weight_"))
            return cls(
                feature_layers=tuple(int(i) for i in stored["feature_layers"]),
                mean=stored["mean"].astype(np.float32),
                scale=stored["scale"].astype(np.float32),
                weights=tuple(stored[f"weight_{i}"].astype(np.float32) for i in range(count)),
                biases=tuple(stored[f"bias_{i}"].astype(np.float32) for i in range(count)),
                temperature=float(stored["temperature"]),
            )


def softmax(logits: Matrix) -> Matrix:
    """Row-wise softmax, stable for large logits."""
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return (shifted / shifted.sum(axis=1, keepdims=True)).astype(np.float32)  # type: ignore[no-any-return]
