"""fast-v1: a trained linear model over words, character n-grams and finance flags.

Scores a text as P(bullish) − P(bearish) from temperature-calibrated softmax
probabilities over bearish / neutral / bullish. A text with nothing but
cashtags, links, handles or numbers is neutral (0.0) by rule. Each mention of
an asset gets its own score: its clause's features (:mod:`.mentions`) add to the
text's logits, so "took profits on TSLA, loading NVDA" can differ per asset.
Features are counted with repeats, so each word's weight rows (the word and
its character n-grams) are summed once and kept: a known word costs one lookup.

The weights ship in ``artifacts/fast-v1.npz`` with a model card beside it
(``fast-v1.json``) whose SHA-256 is checked on load; ``python -m
tickerpulse.training.train_sentiment`` rebuilds both. Inference is numpy only.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tickerpulse.enrich.sentiment.base import Span, bullish_minus_bearish
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
                decode_vocabulary(data["text_vocab"]),
                data["text_weights"],
                data["text_bias"],
                counts=bool(card["features"].get("counts", False)),
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
        self._word_sums: dict[str, tuple[float, float, float, int]] = {}
        self._rows: list[list[float]] = self.text.weights.tolist()

    def _text_logits(self, texts: Sequence[str]) -> tuple[Matrix, list[bool]]:
        if self.text.counts:
            return self._summed_logits(texts)
        parts = [self.features.features(t) for t in texts]
        empty = [not t or "_no_content" in f for t, f in zip(texts, parts, strict=True)]
        return self.text.logits(parts), empty

    def _summed_logits(self, texts: Sequence[str]) -> tuple[Matrix, list[bool]]:
        """Counted features: each word's weight rows are summed once and cached."""
        sums = np.zeros((len(texts), 4))
        empty: list[bool] = []
        rows, lookup, cache = self._rows, self.text.index.get, self._word_sums
        for t, text in enumerate(texts):
            words, others = self.features.parts(text)
            a = b = c = 0.0
            n = 0
            for feature in others:
                i = lookup(feature)
                if i is not None:
                    row = rows[i]
                    a, b, c, n = a + row[0], b + row[1], c + row[2], n + 1
            for word in words:
                wa, wb, wc, wn = cache.get(word) or self._word_sum(word)
                a, b, c, n = a + wa, b + wb, c + wc, n + wn
            sums[t] = (a, b, c, n)
            empty.append(not text or "_no_content" in others)
        logits: Matrix = sums[:, :3] / np.sqrt(np.maximum(sums[:, 3:], 1.0)) + self.text.bias
        return logits, empty

    def _word_sum(self, word: str) -> tuple[float, float, float, int]:
        ids = self.text.all_ids(self.features.word_features(word))
        total = self.text.weights[ids].sum(axis=0) if ids else np.zeros(3)
        found = (float(total[0]), float(total[1]), float(total[2]), len(ids))
        if len(self._word_sums) < _CACHE_LIMIT:
            self._word_sums[word] = found
        return found

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
        return bullish_minus_bearish(self.probabilities(texts))

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
        return [bullish_minus_bearish(p) for p in probs]
