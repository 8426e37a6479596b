"""Small storage for fine-tuned tensors: int8 per output channel, the rest in float16. Pure.

A matrix ``(out, in)`` is stored as int8 values and one float32 scale per row (its
largest magnitude / 127), so each output channel keeps its own range; vectors (biases,
layer-norm weights) are stored in float16. :func:`dequantize` gives float32 back.
Stored with ``numpy.savez`` (no pickle: loading runs no code).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray

Matrix = NDArray[np.float32]
_SCALE = ".scale"


def quantize(tensors: Mapping[str, Matrix]) -> dict[str, NDArray[np.generic]]:
    """Matrices as int8 + per-row scale (``name`` and ``name.scale``), vectors as float16."""
    out: dict[str, NDArray[np.generic]] = {}
    for name, tensor in tensors.items():
        values = np.asarray(tensor, dtype=np.float32)
        if values.ndim != 2:
            out[name] = values.astype(np.float16)
            continue
        scale = np.abs(values).max(axis=1, keepdims=True) / 127.0
        scale[scale == 0.0] = 1.0
        out[name] = np.clip(np.rint(values / scale), -127, 127).astype(np.int8)
        out[name + _SCALE] = scale.astype(np.float32)
    return out


def dequantize(stored: Mapping[str, NDArray[np.generic]]) -> dict[str, Matrix]:
    """The float32 tensors :func:`quantize` stored, by their original names."""
    out: dict[str, Matrix] = {}
    for name, values in stored.items():
        if name.endswith(_SCALE):
            continue
        if values.dtype == np.int8:
            scale = np.asarray(stored[name + _SCALE], dtype=np.float32)
            out[name] = values.astype(np.float32) * scale
        else:
            out[name] = np.asarray(values, dtype=np.float32)
    return out
