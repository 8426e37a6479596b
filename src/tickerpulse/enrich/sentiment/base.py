"""What every sentiment model offers, and the label bands.

A model maps texts to scores in [-1, 1] (P(bullish) − P(bearish) for the trained
models); :class:`LabelBands` turns a score into one of five labels. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

LABELS = ("bearish", "somewhat-bearish", "neutral", "somewhat-bullish", "bullish")


@dataclass(frozen=True)
class LabelBands:
    """Cut-offs between the five labels, ascending: score <= cut → that band."""

    cutoffs: tuple[float, float, float, float] = (-0.5, -0.15, 0.15, 0.5)

    def label(self, score: float) -> str:
        """The band of one score; the bands are symmetric around neutral."""
        strong_bear, bear, bull, strong_bull = self.cutoffs
        if score <= strong_bear:
            return "bearish"
        if score < bear:
            return "somewhat-bearish"
        if score <= bull:
            return "neutral"
        if score < strong_bull:
            return "somewhat-bullish"
        return "bullish"


class SentimentModel(Protocol):
    """What every sentiment model offers: a version and batch scoring."""

    version: str

    def score(self, texts: Sequence[str]) -> list[float]:
        """Scores in [-1, 1], one per text."""
        ...


def bullish_minus_bearish(probabilities: NDArray[np.floating[Any]]) -> list[float]:
    """The score of each row of (bearish, neutral, bullish) probabilities: P(bullish) − P(bearish).

    Clipped to [-1, 1] against rounding.
    """
    return [float(s) for s in np.clip(probabilities[:, 2] - probabilities[:, 0], -1.0, 1.0)]


Span = tuple[int, int]
"""A mention's character offsets in its text, ``[start, end)``."""


@runtime_checkable
class MentionSentimentModel(SentimentModel, Protocol):
    """A model that also scores each asset mention of a text on its own.

    "took profits on TSLA, loading NVDA" gives TSLA and NVDA different scores.
    """

    def score_mentions(
        self, texts: Sequence[str], spans: Sequence[Sequence[Span]]
    ) -> list[list[float]]:
        """Per text, one score in [-1, 1] per mention span, in the order given."""
        ...


def mention_scores(
    model: SentimentModel, texts: Sequence[str], spans: Sequence[Sequence[Span]]
) -> list[list[float]]:
    """Each mention's score: the model's own per mention, else its text's score."""
    if isinstance(model, MentionSentimentModel):
        return model.score_mentions(texts, spans)
    text_scores = model.score(texts)
    return [[score] * len(found) for score, found in zip(text_scores, spans, strict=True)]
