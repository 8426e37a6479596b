"""minilm-v1, the accurate model: all-MiniLM-L6-v2 features + hashed n-grams, calibrated.

The transformer runs frozen (numpy, :mod:`minilm_encoder`, weights hash-checked); a
dense head over its layers' mean pools (:mod:`dense_head`) and a hashed word + char
n-gram TF-IDF head (:mod:`ngram_head`) were trained on the labelled data's train
split; their logits are added (n-gram weight from dev) and divided by a temperature
fitted on dev. Both heads ship in ``artifacts/minilm-v1`` with the model card, which
also holds the blend. Score = P(bullish) − P(bearish). Texts beyond 128 WordPiece
tokens are encoded on their first 128.

Train it again with ``python -m tickerpulse.training.minilm_sentiment``. As a teacher
for a faster model, :meth:`MiniLMModel.probabilities` gives the calibrated soft labels
(train on the train split's texts only, as with hard labels).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tickerpulse.enrich.sentiment.base import bullish_minus_bearish
from tickerpulse.enrich.sentiment.dense_head import DenseHead, Matrix, softmax
from tickerpulse.enrich.sentiment.minilm_encoder import MiniLMEncoder
from tickerpulse.enrich.sentiment.ngram_head import NgramHead

VERSION = "minilm-v1"
ARTIFACTS = Path(__file__).parent / "artifacts" / VERSION
CLASSES = ("bearish", "neutral", "bullish")
"""The head's output columns, in order."""

_BATCH = 256


@dataclass(frozen=True)
class Blend:
    """How the two heads' logits combine: ``(dense + ngram_weight * ngram) / temperature``."""

    ngram_weight: float = 1.0
    temperature: float = 1.0


class MiniLMModel:
    """Frozen all-MiniLM-L6-v2 + trained heads (see the module docstring).

    Args:
        encoder: the hash-checked encoder; the installed weights by default.
        head: the dense head; the shipped ``head.npz`` by default.
        ngram: the n-gram head; the shipped ``ngram.npz`` by default.
        blend: how they combine; the shipped card's by default.
    """

    version = VERSION

    def __init__(
        self,
        encoder: MiniLMEncoder | None = None,
        head: DenseHead | None = None,
        ngram: NgramHead | None = None,
        blend: Blend | None = None,
    ):
        self._encoder = encoder or MiniLMEncoder()
        self._head = head or DenseHead.load(ARTIFACTS / "head.npz")
        self._ngram = ngram or NgramHead.load(ARTIFACTS / "ngram.npz")
        self._blend = blend or Blend(**model_card()["blend"])

    def probabilities(self, texts: Sequence[str]) -> Matrix:
        """Calibrated (bearish, neutral, bullish) probabilities, one row per text."""
        rows = [
            self._batch(texts[start : start + _BATCH]) for start in range(0, len(texts), _BATCH)
        ]
        return np.concatenate(rows) if rows else np.zeros((0, len(CLASSES)), dtype=np.float32)

    def _batch(self, texts: Sequence[str]) -> Matrix:
        dense = self._head.logits(self._head.features(self._encoder.encode(texts)))
        logits = dense + np.float32(self._blend.ngram_weight) * self._ngram.logits(texts)
        return softmax((logits / self._blend.temperature).astype(np.float32))

    def score(self, texts: Sequence[str]) -> list[float]:
        """P(bullish) − P(bearish) per text, in [-1, 1]."""
        return bullish_minus_bearish(self.probabilities(texts))


def model_card() -> dict[str, Any]:
    """The shipped model card: source, licences, hashes, dev/eval figures, speed."""
    card: dict[str, Any] = json.loads((ARTIFACTS / "card.json").read_text())
    return card
