"""minilm-v1, the accurate model: all-MiniLM-L6-v2 features + a trained calibrated head.

The transformer runs frozen (numpy, :mod:`minilm_encoder`, weights hash-checked); the
head (:mod:`dense_head`, a few hundred KB) was trained on the labelled data's train
split and ships in ``artifacts/minilm-v1`` with its model card. Score =
P(bullish) − P(bearish) from the head's calibrated probabilities. Texts beyond
128 WordPiece tokens are scored on their first 128.

Train it again with ``python -m tickerpulse.training.minilm_sentiment``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tickerpulse.enrich.sentiment.dense_head import DenseHead, Matrix
from tickerpulse.enrich.sentiment.minilm_encoder import MiniLMEncoder

VERSION = "minilm-v1"
ARTIFACTS = Path(__file__).parent / "artifacts" / VERSION
CLASSES = ("bearish", "neutral", "bullish")
"""The head's output columns, in order."""

_BATCH = 256


class MiniLMModel:
    """Frozen all-MiniLM-L6-v2 + trained head (see the module docstring).

    Args:
        encoder: the hash-checked encoder; the installed weights by default.
        head: the trained head; the shipped ``artifacts/minilm-v1/head.npz`` by default.
    """

    version = VERSION

    def __init__(self, encoder: MiniLMEncoder | None = None, head: DenseHead | None = None):
        self._encoder = encoder or MiniLMEncoder()
        self._head = head or DenseHead.load(ARTIFACTS / "head.npz")

    def probabilities(self, texts: Sequence[str]) -> Matrix:
        """Calibrated (bearish, neutral, bullish) probabilities, one row per text."""
        rows = [
            self._head.probabilities(self._encoder.encode(texts[start : start + _BATCH]))
            for start in range(0, len(texts), _BATCH)
        ]
        return np.concatenate(rows) if rows else np.zeros((0, len(CLASSES)), dtype=np.float32)

    def score(self, texts: Sequence[str]) -> list[float]:
        """P(bullish) − P(bearish) per text, in [-1, 1]."""
        probabilities = self.probabilities(texts)
        scores = probabilities[:, 2] - probabilities[:, 0]
        return [float(s) for s in np.clip(scores, -1.0, 1.0)]


def model_card() -> dict[str, Any]:
    """The shipped model card: source, licences, hashes, dev/eval figures, speed."""
    card: dict[str, Any] = json.loads((ARTIFACTS / "card.json").read_text())
    return card
