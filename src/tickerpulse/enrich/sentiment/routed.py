"""routed-v1: fast-v1 where it is sure, minilm-ft-v2 where it is not.

fast-v1 reads every text. A text whose most probable class has a probability below
the card's threshold (``artifacts/routed-v1.json``, fitted on dev by
``python -m tickerpulse.training.route_threshold``) is read again by minilm-ft-v2,
and that answer stands. The transformer costs about 450 times as much per text, so
the share of texts routed sets the speed: about 30 % on dev, which recovers most of
the transformer's gain over fast-v1 (3.5× the transformer's speed on the eval texts;
less where many texts name several assets, which the transformer reads per mention).

Per mention: a text naming two or more assets is read per mention by minilm-ft-v2
(where fast-v1's clause model is weakest: headlines whose entities disagree); a
text's only mention takes fast-v1's mention answer, or the transformer's text answer
when the text was routed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tickerpulse.enrich.sentiment.base import Span, bullish_minus_bearish
from tickerpulse.enrich.sentiment.fast import ARTIFACTS, FastModel
from tickerpulse.enrich.sentiment.linear import Matrix
from tickerpulse.enrich.sentiment.minilm_ft import FineTunedMiniLM

VERSION = "routed-v1"
CARD = ARTIFACTS / f"{VERSION}.json"


def load_card(path: Path = CARD) -> dict[str, Any]:
    """The routing card: threshold, how it was chosen, dev and eval figures."""
    card: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return card


def unsure(probabilities: NDArray[np.floating[Any]], threshold: float) -> NDArray[np.bool_]:
    """Rows whose most probable class is below ``threshold``: the texts to route."""
    routed: NDArray[np.bool_] = probabilities.max(axis=1) < threshold
    return routed


class RoutedModel:
    """routed-v1 (see the module docstring).

    Args:
        card: the routing card; the two models load from their own artifacts.
    """

    version = VERSION

    def __init__(self, card: Path = CARD) -> None:
        self.card = load_card(card)
        self.threshold = float(self.card["threshold"])
        self._fast = FastModel()
        self._accurate = FineTunedMiniLM()

    def probabilities(self, texts: Sequence[str]) -> Matrix:
        """Calibrated (bearish, neutral, bullish) probabilities, one row per text."""
        out = self._fast.probabilities(texts)
        routed = np.flatnonzero(unsure(out, self.threshold)).tolist()
        if routed:
            out[routed] = self._accurate.probabilities([texts[i] for i in routed])
        return out

    def score(self, texts: Sequence[str]) -> list[float]:
        """P(bullish) − P(bearish) per text, in [-1, 1]."""
        if not texts:
            return []
        probabilities = self.probabilities(texts)
        return bullish_minus_bearish(probabilities)

    def mention_probabilities(
        self, texts: Sequence[str], spans: Sequence[Sequence[Span]]
    ) -> list[Matrix]:
        """Per text, calibrated class probabilities of each mention (one row each)."""
        out = self._fast.mention_probabilities(texts, spans)
        # Single mentions first: their routed texts are the ones the transformer just read
        # for the texts' own scores, and it remembers only its last call.
        single = [t for t, found in enumerate(spans) if len(found) == 1]
        if single:
            flags = unsure(self._fast.probabilities([texts[t] for t in single]), self.threshold)
            routed = [t for t, r in zip(single, flags, strict=True) if r]
            if routed:
                answers = self._accurate.probabilities([texts[t] for t in routed])
                for t, row in zip(routed, answers, strict=True):
                    out[t] = row[None, :].copy()
        several = [t for t, found in enumerate(spans) if len(found) >= 2]
        if several:
            read = self._accurate.mention_probabilities(
                [texts[t] for t in several], [spans[t] for t in several]
            )
            for t, block in zip(several, read, strict=True):
                out[t] = block.astype(np.float64)
        return out

    def score_mentions(
        self, texts: Sequence[str], spans: Sequence[Sequence[Span]]
    ) -> list[list[float]]:
        """Per text, one score in [-1, 1] per mention span, in the order given."""
        return [bullish_minus_bearish(p) for p in self.mention_probabilities(texts, spans)]
