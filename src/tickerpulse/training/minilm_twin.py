"""The shipped minilm-ft-v2 run in torch: the same int8 tensors (dequantised), the same logic.

:class:`TorchTwin` is :class:`~tickerpulse.enrich.sentiment.minilm_ft.FineTunedMiniLM`
with its network evaluated by torch instead of numpy — the same weights, tokenizer,
temperature and per-mention rule, several times faster on a CPU — for measuring the
shipped model and for labelling texts as a teacher (training only: needs torch).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from tickerpulse.enrich.sentiment.dense_head import Matrix
from tickerpulse.enrich.sentiment.minilm_ft import ARTIFACTS, FineTunedMiniLM, model_card
from tickerpulse.enrich.sentiment.quantized import dequantize
from tickerpulse.training.minilm_batches import predict_logits, tokenizer_for
from tickerpulse.training.minilm_torch import MiniLMClassifier


def shipped_network(folder: Path = ARTIFACTS) -> MiniLMClassifier:
    """The torch network with the base weights and the shipped tensors of ``folder``."""
    card = model_card(folder)
    network = MiniLMClassifier(frozen_layers=int(card["options"]["frozen_layers"]))
    network.load_base()
    with np.load(folder / "layers.npz") as stored:
        tensors = dequantize({name: stored[name] for name in stored.files})
    network.load_trained({k: torch.from_numpy(v) for k, v in tensors.items()})
    network.eval()
    return network


class TorchTwin(FineTunedMiniLM):
    """minilm-ft-v2 whose network runs in torch (see the module docstring)."""

    def __init__(self, folder: Path = ARTIFACTS) -> None:
        super().__init__(folder)
        self._network = shipped_network(folder)
        self._tokenizer = tokenizer_for(int(self.card["max_tokens"]))

    def logits(self, texts: Sequence[str]) -> Matrix:
        """Uncalibrated class logits, one row per text."""
        ids = [e.ids for e in self._tokenizer.encode_batch(list(texts))]
        return predict_logits(self._network, ids)
