"""minilm-ft-v2: all-MiniLM-L6-v2 fine-tuned end to end for 3-class sentiment, run in numpy.

All six transformer layers and a linear head over the last layer's mean pool were
fine-tuned on the labelled data's train split (torch, offline:
``python -m tickerpulse.training.minilm_finetune``); the embeddings stayed frozen, so
they come from the hash-checked base weights of the registry package and only the
changed layers ship here: ``artifacts/minilm-ft-v2/layers.npz``, int8 per output
channel (float16 vectors), whose SHA-256 the model card holds and which is checked on
load. Which layers changed is in the card (``options.frozen_layers``); the tensors
present replace the base ones. Serving needs numpy, ``tokenizers`` and
``safetensors`` only.

Score = P(bullish) − P(bearish) from temperature-calibrated probabilities (the
temperature was fitted on dev). Texts are read on their first ``max_tokens``
WordPiece tokens (64, as in training).

Per mention: in a text with several mentions, each is scored by the same network on
``"<mention as written> [SEP] <text>"`` (the form it was fine-tuned on, from SEntFiN's
per-entity labels of multi-entity headlines); a text's only mention gets its text's
probabilities.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tickerpulse.enrich.sentiment.base import Span, bullish_minus_bearish
from tickerpulse.enrich.sentiment.dense_head import Matrix, softmax
from tickerpulse.enrich.sentiment.minilm_encoder import MiniLMEncoder
from tickerpulse.enrich.sentiment.quantized import dequantize

VERSION = "minilm-ft-v2"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts" / VERSION
CLASSES = ("bearish", "neutral", "bullish")
_BATCH = 256


class ArtifactMismatch(RuntimeError):
    """The shipped tensors are not the ones the model card describes."""


def mention_input(text: str, mention: str) -> str:
    """What the network reads to judge one mention of a text (training and serving)."""
    return f"{mention} [SEP] {text}"


def model_card(folder: Path = ARTIFACTS) -> dict[str, Any]:
    """The shipped model card: base, training, hashes, dev/eval figures, agreement."""
    card: dict[str, Any] = json.loads((folder / "card.json").read_text("utf-8"))
    return card


class FineTunedMiniLM:
    """minilm-ft-v2 (see the module docstring).

    Args:
        folder: the artifacts folder (``layers.npz`` + ``card.json``).

    Raises:
        ArtifactMismatch: ``layers.npz``'s SHA-256 is not the card's.
    """

    version = VERSION

    def __init__(self, folder: Path = ARTIFACTS) -> None:
        card = model_card(folder)
        path = folder / "layers.npz"
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != card["artifact"]["sha256"]:
            raise ArtifactMismatch(
                f"{path} has SHA-256 {digest}, its card says {card['artifact']['sha256']}: "
                "retrain with `make train-sentiment`"
            )
        with np.load(path) as stored:
            tensors = dequantize({name: stored[name] for name in stored.files})
        self._head_weight = tensors.pop("head.weight").T.copy()
        self._head_bias = tensors.pop("head.bias")
        self._encoder = MiniLMEncoder(replaced=tensors, max_tokens=int(card["max_tokens"]))
        self._temperature = float(card["temperature"])
        self._recent: dict[str, Matrix] = {}
        self.card = card

    @property
    def encoder(self) -> MiniLMEncoder:
        """The fine-tuned encoder under the head (its layers' mean pools, no head)."""
        return self._encoder

    def logits(self, texts: Sequence[str]) -> Matrix:
        """Uncalibrated class logits, one row per text (network inputs as given)."""
        rows = [
            self._encoder.encode(texts[start : start + _BATCH])[:, -1] @ self._head_weight
            + self._head_bias
            for start in range(0, len(texts), _BATCH)
        ]
        return np.concatenate(rows) if rows else np.zeros((0, len(CLASSES)), dtype=np.float32)

    def probabilities(self, texts: Sequence[str]) -> Matrix:
        """Calibrated (bearish, neutral, bullish) probabilities, one row per text.

        The network reads each distinct text once, and the texts of the last call are
        remembered: the cycle asks for a batch's text scores and then for its mentions'
        (:func:`~tickerpulse.enrich.sentiment.scoring.score_texts`), which would
        otherwise read every tagged text twice.
        """
        if not texts:
            return np.zeros((0, len(CLASSES)), dtype=np.float32)
        recent = self._recent
        missing = [t for t in dict.fromkeys(texts) if t not in recent]
        found = softmax((self.logits(missing) / self._temperature).astype(np.float32))
        rows = dict(zip(missing, found, strict=True)) | {t: recent[t] for t in texts if t in recent}
        self._recent = rows
        return np.stack([rows[t] for t in texts])

    def score(self, texts: Sequence[str]) -> list[float]:
        """P(bullish) − P(bearish) per text, in [-1, 1]."""
        probabilities = self.probabilities(texts)
        return bullish_minus_bearish(probabilities)

    def mention_probabilities(
        self, texts: Sequence[str], spans: Sequence[Sequence[Span]]
    ) -> list[Matrix]:
        """Per text, calibrated class probabilities of each mention (one row each).

        A text is read whole only when some mention of it takes the text's answer (one
        mention, or a span not in the text), so a multi-mention text costs its mentions.
        """
        inputs: list[str] = []
        where: list[tuple[int, int]] = []
        whole: list[int] = []
        for t, (text, found) in enumerate(zip(texts, spans, strict=True)):
            several = len(found) >= 2
            valid = [0 <= start < end <= len(text) for start, end in found]
            if found and not (several and all(valid)):
                whole.append(t)
            if several:
                for m, ((start, end), ok) in enumerate(zip(found, valid, strict=True)):
                    if ok:
                        inputs.append(mention_input(text, text[start:end]))
                        where.append((t, m))
        read = dict(zip(whole, self.probabilities([texts[t] for t in whole]), strict=True))
        out = [
            np.repeat(read[t][None, :], len(f), axis=0)
            if t in read
            else np.zeros((len(f), len(CLASSES)), dtype=np.float32)
            for t, f in enumerate(spans)
        ]
        for (t, m), row in zip(where, self.probabilities(inputs), strict=True):
            out[t][m] = row
        return out

    def score_mentions(
        self, texts: Sequence[str], spans: Sequence[Sequence[Span]]
    ) -> list[list[float]]:
        """Per text, one score in [-1, 1] per mention span, in the order given."""
        return [bullish_minus_bearish(p) for p in self.mention_probabilities(texts, spans)]
