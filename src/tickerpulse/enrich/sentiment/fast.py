"""fast-v1: a trained linear model over words, character n-grams and finance flags.

Scores a text as P(bullish) − P(bearish) from temperature-calibrated softmax
probabilities over bearish / neutral / bullish. A text with nothing but
cashtags, links, handles or numbers is neutral (0.0) by rule. Each mention of
an asset gets its own score: its clause's features (:mod:`.mentions`) add to the
text's logits, so "took profits on TSLA, loading NVDA" can differ per asset.

The weights ship in ``artifacts/fast-v1.npz`` with a model card beside it
(``fast-v1.json``) whose SHA-256 is checked on load; ``python -m
tickerpulse.training.train_sentiment`` rebuilds both. Inference is numpy only.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np

from tickerpulse.enrich.sentiment.base import Span
from tickerpulse.enrich.sentiment.features import FeatureExtractor
from tickerpulse.enrich.sentiment.linear import LinearScorer, Matrix, decode_vocabulary, softmax
from tickerpulse.enrich.sentiment.mentions import mention_features

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
VERSION = "fast-v1"
CLASSES = ("bearish", "neutral", "bullish")
_CACHE_LIMIT = 200_000


class ArtifactMismatch(RuntimeError):
    """The shipped weights are not the ones their model card describes."""


def artifact_paths(version: str = VERSION, folder: Path = ARTIFACTS) -> tuple[Path, Path]:
    """The weights (.npz) and the model card (.json) of ``version``."""
    return folder / f"{version}.npz", folder / f"{version}.json"


def sha256_of(path: Path) -> str:
    """SHA-256 of a file, hex."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_card(version: str = VERSION, folder: Path = ARTIFACTS) -> dict[str, Any]:
    """The model card of ``version``."""
    card: dict[str, Any] = json.loads(artifact_paths(version, folder)[1].read_text("utf-8"))
    return card


class FastModel:
    """fast-v1: per-text and per-mention scores from the shipped artifact."""

    def __init__(self, version: str = VERSION, folder: Path = ARTIFACTS) -> None:
        """Load ``version`` from ``folder``, checking the weights' hash against the card.

        Raises:
            ArtifactMismatch: the weights' SHA-256 is not the card's.
        """
        weights_path, _ = artifact_paths(version, folder)
        card = load_card(version, folder)
        digest = sha256_of(weights_path)
        if digest != card["artifact"]["sha256"]:
            raise ArtifactMismatch(
                f"{weights_path} has SHA-256 {digest}, its card says {card['artifact']['sha256']}:"
                " retrain with `python -m tickerpulse.training.train_sentiment`"
            )
        with np.load(weights_path) as data:
            self.text = LinearScorer(
                decode_vocabulary(data["text_vocab"]), data["text_weights"], data["text_bias"]
            )
            self.mention = LinearScorer(
                decode_vocabulary(data["mention_vocab"]),
                data["mention_weights"],
                data["mention_bias"],
            )
            self.temperature = float(data["text_temperature"])
            self.mention_temperature = float(data["mention_temperature"])
        self.version = version
        self.card = card
        self.features = FeatureExtractor(char_ngrams=bool(card["features"]["char_ngrams"]))
        self._word_ids: dict[str, tuple[int, ...]] = {}

    def _text_ids(self, text: str) -> tuple[set[int], bool]:
        """The text's vocabulary ids (words' ids cached) and whether it has no content."""
        words, others = self.features.parts(text)
        cache = self._word_ids
        ids = self.text.ids(others)
        ids.update(chain.from_iterable(cache.get(w) or self._word_to_ids(w) for w in words))
        ids.discard(-1)
        return ids, not text or "_no_content" in others

    def _word_to_ids(self, word: str) -> tuple[int, ...]:
        found = tuple(self.text.ids(self.features.word_features(word))) or (-1,)  # -1: known, none
        if len(self._word_ids) < _CACHE_LIMIT:
            self._word_ids[word] = found
        return found

    def _text_logits(self, texts: Sequence[str]) -> tuple[Matrix, list[bool]]:
        found = [self._text_ids(t) for t in texts]
        return self.text.logits_of_ids([ids for ids, _ in found]), [e for _, e in found]

    def probabilities(self, texts: Sequence[str]) -> Matrix:
        """Calibrated P(bearish), P(neutral), P(bullish) per text (rows sum to 1)."""
        logits, empty = self._text_logits(texts)
        probs = softmax(logits, self.temperature)
        probs[np.asarray(empty, dtype=bool)] = (0.0, 1.0, 0.0)
        return probs

    def score(self, texts: Sequence[str]) -> list[float]:
        """P(bullish) − P(bearish) per text, in [-1, 1]."""
        if not texts:
            return []
        probs = self.probabilities(texts)
        scores: list[float] = (probs[:, 2] - probs[:, 0]).tolist()
        return scores

    def mention_probabilities(
        self, texts: Sequence[str], spans: Sequence[Sequence[Span]]
    ) -> list[Matrix]:
        """Per text, calibrated class probabilities of each mention (one row each)."""
        logits, empty = self._text_logits(texts)
        rows = [
            mention_features(text, found, i)
            for text, found in zip(texts, spans, strict=True)
            for i in range(len(found))
        ]
        local = self.mention.logits(rows)
        out: list[Matrix] = []
        at = 0
        for t, found in enumerate(spans):
            block = softmax(local[at : at + len(found)] + logits[t], self.mention_temperature)
            if empty[t]:
                block[:] = (0.0, 1.0, 0.0)
            out.append(block)
            at += len(found)
        return out

    def score_mentions(
        self, texts: Sequence[str], spans: Sequence[Sequence[Span]]
    ) -> list[list[float]]:
        """Per text, one score in [-1, 1] per mention span, in the order given."""
        probs = self.mention_probabilities(texts, spans)
        return [(p[:, 2] - p[:, 0]).tolist() for p in probs]
