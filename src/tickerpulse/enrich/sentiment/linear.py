"""Sparse linear scoring in pure numpy: feature strings → class logits → probabilities.

A text's features are looked up in the trained vocabulary (unknown ones are
ignored) and their weight rows summed, scaled by 1/sqrt(n) as in training. Two
ways to count, fixed per model: *binary* (each feature once, n distinct
features: unit L2 norm) or *counts* (every occurrence, n occurrences), which
lets a caller pre-sum the rows of a word's features once and reuse the sum. Pure.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

import numpy as np
import numpy.typing as npt

Matrix = npt.NDArray[np.float64]


def encode_vocabulary(features: Sequence[str]) -> npt.NDArray[np.uint8]:
    """A vocabulary as UTF-8 bytes, one feature a line (features hold no newline)."""
    return np.frombuffer("\n".join(features).encode(), dtype=np.uint8)


def decode_vocabulary(raw: npt.NDArray[np.uint8]) -> list[str]:
    """The inverse of :func:`encode_vocabulary`."""
    return raw.tobytes().decode().split("\n") if raw.size else []


def softmax(logits: Matrix, temperature: float = 1.0) -> Matrix:
    """Row-wise softmax of ``logits / temperature``."""
    scaled = logits / temperature
    scaled = scaled - scaled.max(axis=1, keepdims=True)
    exp = np.exp(scaled)
    probs: Matrix = exp / exp.sum(axis=1, keepdims=True)
    return probs


class LinearScorer:
    """Logits of feature lists under trained weights (one row per vocabulary entry)."""

    def __init__(
        self, vocabulary: Sequence[str], weights: Matrix, bias: Matrix, *, counts: bool = False
    ) -> None:
        """``weights`` is vocabulary × classes; ``bias`` has one entry per class."""
        if len(vocabulary) != weights.shape[0]:
            raise ValueError(f"{len(vocabulary)} features but {weights.shape[0]} weight rows")
        self.index = {feature: i for i, feature in enumerate(vocabulary)}
        # one zero row at the end: every text gets it, so no text has an empty row
        self.weights = np.vstack([weights, np.zeros((1, weights.shape[1]))]).astype(np.float64)
        self.bias = np.asarray(bias, dtype=np.float64)
        self.pad = len(vocabulary)
        self.counts = counts

    def ids(self, features: Iterable[str]) -> set[int]:
        """The vocabulary ids of ``features`` (unknown ones dropped, repeats once)."""
        lookup = self.index.get
        found = {lookup(f, -1) for f in features}
        found.discard(-1)
        return found

    def all_ids(self, features: Iterable[str]) -> list[int]:
        """The vocabulary ids of ``features``, repeats kept (unknown ones dropped)."""
        lookup = self.index.get
        return [i for i in (lookup(f, -1) for f in features) if i >= 0]

    def logits(self, feature_lists: Sequence[Sequence[str]]) -> Matrix:
        """One row of class logits per feature list."""
        ids = self.all_ids if self.counts else self.ids
        return self.logits_of_ids([ids(features) for features in feature_lists])

    def logits_of_ids(self, id_sets: Sequence[Collection[int]]) -> Matrix:
        """One row of class logits per set of vocabulary ids."""
        flat: list[int] = []
        starts: list[int] = []
        counts: list[int] = []
        for ids in id_sets:
            starts.append(len(flat))
            counts.append(len(ids))
            flat += ids
            flat.append(self.pad)
        if not starts:
            return np.zeros((0, self.weights.shape[1]))
        sums = np.add.reduceat(self.weights[np.asarray(flat, dtype=np.int64)], starts, axis=0)
        norms = np.sqrt(np.maximum(np.asarray(counts, dtype=np.float64), 1.0))
        result: Matrix = sums / norms[:, None] + self.bias
        return result
