"""Batches for the torch all-MiniLM-L6-v2 (training only): tokenise, pad, run in order.

Rows are grouped by length so little time goes on padding; results come back in the
order given. The frozen layers' states can be computed once and reused every epoch
(:func:`frozen_states`, :func:`top_logits`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence, Sized

import numpy as np
import torch
from numpy.typing import NDArray
from tokenizers import Tokenizer

from tickerpulse.enrich.sentiment.minilm_encoder import weights_folder
from tickerpulse.training.minilm_torch import MiniLMClassifier
from tickerpulse.training.sentiment_data import CLASSES


def batches_by_length(
    ids: Sequence[Sequence[int]], batch_size: int, rng: np.random.Generator
) -> list[NDArray[np.int64]]:
    """Shuffled batches of similar lengths (little padding), in shuffled order."""
    order = rng.permutation(len(ids))
    pool = batch_size * 50
    out: list[NDArray[np.int64]] = []
    for start in range(0, len(order), pool):
        chunk = sorted(order[start : start + pool], key=lambda i: len(ids[i]))
        out += [np.asarray(chunk[s : s + batch_size]) for s in range(0, len(chunk), batch_size)]
    return [out[i] for i in rng.permutation(len(out))]


def padded(batch: Sequence[Sequence[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Token ids and the real-token mask of a batch, padded to its longest."""
    length = max(len(ids) for ids in batch)
    token_ids = torch.zeros((len(batch), length), dtype=torch.long)
    mask = torch.zeros((len(batch), length), dtype=torch.float32)
    for row, ids in enumerate(batch):
        token_ids[row, : len(ids)] = torch.tensor(ids)
        mask[row, : len(ids)] = 1.0
    return token_ids, mask


def frozen_states(model: MiniLMClassifier, ids: Sequence[Sequence[int]]) -> list[torch.Tensor]:
    """Each row's hidden states after the frozen layers (float16, real tokens only)."""
    out: list[torch.Tensor] = [torch.empty(0)] * len(ids)
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    for start in range(0, len(order), 128):
        chunk = order[start : start + 128]
        hidden = model.frozen_hidden(*padded([ids[i] for i in chunk]))
        for row, i in enumerate(chunk):
            out[i] = hidden[row, : len(ids[i])].to(torch.float16)
    return out


def padded_states(states: Sequence[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """Cached hidden states of a batch padded to its longest, and the real-token mask."""
    length = max(len(s) for s in states)
    hidden = torch.zeros((len(states), length, states[0].shape[1]), dtype=torch.float32)
    mask = torch.zeros((len(states), length), dtype=torch.float32)
    for row, s in enumerate(states):
        hidden[row, : len(s)] = s
        mask[row, : len(s)] = 1.0
    return hidden, mask


def _in_length_order(
    model: MiniLMClassifier,
    rows: Sequence[Sized],
    batch_logits: Callable[[list[int]], torch.Tensor],
) -> NDArray[np.float32]:
    """Logits of every row, read in batches of similar length (eval mode, no gradients).

    ``batch_logits`` gives the logits of the rows at the indices it is handed; the
    result is in the order of ``rows``.
    """
    model.eval()
    out = np.zeros((len(rows), len(CLASSES)), dtype=np.float32)
    order = sorted(range(len(rows)), key=lambda i: len(rows[i]))
    with torch.no_grad():
        for start in range(0, len(order), 128):
            chunk = order[start : start + 128]
            out[chunk] = batch_logits(chunk).numpy()
    model.train()
    return out


def top_logits(model: MiniLMClassifier, states: Sequence[torch.Tensor]) -> NDArray[np.float32]:
    """Logits from cached frozen states (eval mode, no gradients), in the order given."""
    return _in_length_order(
        model, states, lambda chunk: model.top(*padded_states([states[i] for i in chunk]))
    )


def predict_logits(model: MiniLMClassifier, ids: Sequence[Sequence[int]]) -> NDArray[np.float32]:
    """Logits of every row (eval mode, no gradients), in the order given."""
    return _in_length_order(model, ids, lambda chunk: model(*padded([ids[i] for i in chunk])))


def tokenizer_for(max_tokens: int) -> Tokenizer:
    """The base model's WordPiece tokenizer, truncating at ``max_tokens``."""
    tokenizer = Tokenizer.from_file(str(weights_folder() / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=max_tokens)
    return tokenizer
