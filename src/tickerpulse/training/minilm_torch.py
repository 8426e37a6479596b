"""all-MiniLM-L6-v2 in torch, for fine-tuning only (the ``train`` dependency group).

The same BERT encoder as :mod:`tickerpulse.enrich.sentiment.minilm_encoder` (6 layers,
12 heads, 384 dims, exact GELU, token type 0 throughout), built from the same
hash-checked ``model.safetensors`` and with the same parameter names, so the tensors
it learns drop straight into the numpy encoder that serves them. A linear layer over
the mean pool of the last layer gives three class logits. Nothing outside
``tickerpulse.training`` imports this module; serving never needs torch.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch
from torch import nn

from tickerpulse.enrich.sentiment.minilm_encoder import (
    DIMS,
    HEADS,
    LAYERS,
    verify_files,
    weights_folder,
)

_EPS = 1e-12
_INNER = 4 * DIMS


class _Layer(nn.Module):  # type: ignore[misc]
    def __init__(self, dropout: float) -> None:
        super().__init__()
        self.query = nn.Linear(DIMS, DIMS)
        self.key = nn.Linear(DIMS, DIMS)
        self.value = nn.Linear(DIMS, DIMS)
        self.attention_out = nn.Linear(DIMS, DIMS)
        self.attention_norm = nn.LayerNorm(DIMS, eps=_EPS)
        self.intermediate = nn.Linear(DIMS, _INNER)
        self.output = nn.Linear(_INNER, DIMS)
        self.output_norm = nn.LayerNorm(DIMS, eps=_EPS)
        self.dropout = nn.Dropout(dropout)

    def forward(self, hidden: torch.Tensor, key_bias: torch.Tensor) -> torch.Tensor:
        batch, length, _ = hidden.shape
        head_dims = DIMS // HEADS

        def heads(x: torch.Tensor) -> torch.Tensor:
            return x.view(batch, length, HEADS, head_dims).transpose(1, 2)

        query, key, value = (
            heads(self.query(hidden)),
            heads(self.key(hidden)),
            heads(self.value(hidden)),
        )
        scores = query @ key.transpose(-1, -2) / math.sqrt(head_dims) + key_bias
        weights = self.dropout(torch.softmax(scores, dim=-1))
        context = (weights @ value).transpose(1, 2).reshape(batch, length, DIMS)
        hidden = self.attention_norm(hidden + self.dropout(self.attention_out(context)))
        inner = nn.functional.gelu(self.intermediate(hidden))
        return self.output_norm(hidden + self.dropout(self.output(inner)))


_LAYER_NAMES = {
    "query": "attention.self.query",
    "key": "attention.self.key",
    "value": "attention.self.value",
    "attention_out": "attention.output.dense",
    "attention_norm": "attention.output.LayerNorm",
    "intermediate": "intermediate.dense",
    "output": "output.dense",
    "output_norm": "output.LayerNorm",
}
"""Our sub-module → the safetensors name inside ``encoder.layer.N``."""


class MiniLMClassifier(nn.Module):  # type: ignore[misc]
    """all-MiniLM-L6-v2 + a linear 3-class head over the last layer's mean pool.

    Args:
        frozen_layers: the embeddings and this many bottom layers are not trained (and
            run without gradients), so only the top ``6 - frozen_layers`` layers change.
        dropout: BERT's dropout in the trained layers.
    """

    def __init__(self, frozen_layers: int = 2, dropout: float = 0.1) -> None:
        super().__init__()
        self.frozen_layers = frozen_layers
        self.words = nn.Embedding(30522, DIMS)
        self.positions = nn.Embedding(512, DIMS)
        self.token_type = nn.Embedding(2, DIMS)
        self.embedding_norm = nn.LayerNorm(DIMS, eps=_EPS)
        self.layers = nn.ModuleList(
            [_Layer(0.0 if i < frozen_layers else dropout) for i in range(LAYERS)]
        )
        self.head = nn.Linear(DIMS, 3)
        self.head_dropout = nn.Dropout(dropout)

    def load_base(self, folder: Path | None = None) -> None:
        """Copy the hash-checked base weights in and freeze what is not trained."""
        from safetensors.torch import load_file

        folder = folder or weights_folder()
        verify_files(folder)
        weights = load_file(str(folder / "model.safetensors"))
        with torch.no_grad():
            self.words.weight.copy_(weights["embeddings.word_embeddings.weight"])
            self.positions.weight.copy_(weights["embeddings.position_embeddings.weight"])
            self.token_type.weight.copy_(weights["embeddings.token_type_embeddings.weight"])
            self.embedding_norm.weight.copy_(weights["embeddings.LayerNorm.weight"])
            self.embedding_norm.bias.copy_(weights["embeddings.LayerNorm.bias"])
            for index, layer in enumerate(self.layers):
                for ours, theirs in _LAYER_NAMES.items():
                    module = getattr(layer, ours)
                    module.weight.copy_(weights[f"encoder.layer.{index}.{theirs}.weight"])
                    module.bias.copy_(weights[f"encoder.layer.{index}.{theirs}.bias"])
        for module in [self.words, self.positions, self.token_type, self.embedding_norm]:
            module.requires_grad_(False)
        for layer in self.layers[: self.frozen_layers]:
            layer.requires_grad_(False)

    def frozen_hidden(self, token_ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """The hidden states after the frozen part (no gradients).

        The same every epoch, so training computes them once per text and keeps them.
        """
        length = token_ids.shape[1]
        key_bias = ((1.0 - mask) * -1e9)[:, None, None, :]
        with torch.no_grad():
            hidden = (
                self.words(token_ids) + self.positions.weight[:length] + self.token_type.weight[0]
            )
            hidden = self.embedding_norm(hidden)
            for layer in self.layers[: self.frozen_layers]:
                hidden = layer(hidden, key_bias)
        return hidden

    def top(self, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Class logits from :meth:`frozen_hidden`'s output: the trained layers and head."""
        key_bias = ((1.0 - mask) * -1e9)[:, None, None, :]
        for layer in self.layers[self.frozen_layers :]:
            hidden = layer(hidden, key_bias)
        pooled = (hidden * mask[:, :, None]).sum(dim=1) / mask.sum(dim=1, keepdim=True)
        return self.head(self.head_dropout(pooled))

    def forward(self, token_ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Class logits of a padded batch (``mask`` 1.0 on real tokens)."""
        return self.top(self.frozen_hidden(token_ids, mask), mask)

    def load_trained(self, tensors: dict[str, torch.Tensor]) -> None:
        """Put tensors named as :meth:`trained_tensors` names them in their places."""
        with torch.no_grad():
            self.head.weight.copy_(tensors["head.weight"])
            self.head.bias.copy_(tensors["head.bias"])
            for index in range(self.frozen_layers, LAYERS):
                layer = self.layers[index]
                for ours, theirs in _LAYER_NAMES.items():
                    module = getattr(layer, ours)
                    module.weight.copy_(tensors[f"encoder.layer.{index}.{theirs}.weight"])
                    module.bias.copy_(tensors[f"encoder.layer.{index}.{theirs}.bias"])

    def trained_tensors(self) -> dict[str, torch.Tensor]:
        """The tensors training changed, by their safetensors name (head as ``head.*``)."""
        out: dict[str, torch.Tensor] = {}
        for index in range(self.frozen_layers, LAYERS):
            layer = self.layers[index]
            for ours, theirs in _LAYER_NAMES.items():
                module = getattr(layer, ours)
                out[f"encoder.layer.{index}.{theirs}.weight"] = module.weight.detach().clone()
                out[f"encoder.layer.{index}.{theirs}.bias"] = module.bias.detach().clone()
        out["head.weight"] = self.head.weight.detach().clone()
        out["head.bias"] = self.head.bias.detach().clone()
        return out
