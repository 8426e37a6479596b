"""MiniLM features of the labelled texts, computed once and cached on disk.

Running the transformer over the ~24k labelled texts takes minutes on one core; the
heads are trained many times. The per-layer mean pools are cached as float16 in a
git-ignored folder (``<TICKERPULSE_HOME>/cache/minilm``), keyed by a hash of the texts
and of the weight file, so a changed data folder or model never reuses a stale cache.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from tickerpulse.enrich.sentiment.minilm_encoder import (
    DIMS,
    EXPECTED_SHA256,
    LAYERS,
    Matrix,
    MiniLMEncoder,
)

CHUNK = 256


def cache_key(texts: Sequence[str]) -> str:
    """A hash of the texts in order and of the weights they are encoded with."""
    digest = hashlib.sha256(EXPECTED_SHA256["model.safetensors"].encode())
    for text in texts:
        digest.update(text.encode())
        digest.update(b"\x00")
    return digest.hexdigest()[:24]


def cached_features(encoder: MiniLMEncoder, texts: Sequence[str], cache_dir: Path) -> Matrix:
    """Every layer's mean pool of every text, ``(n, LAYERS, DIMS)``: cached, else computed.

    Args:
        encoder: the hash-checked MiniLM encoder.
        texts: the texts, in the order the rows come back.
        cache_dir: the git-ignored folder of cached features.
    """
    path = cache_dir / f"features-{cache_key(texts)}.npy"
    if path.is_file():
        stored: Matrix = np.load(path).astype(np.float32)
        return stored
    features = np.zeros((len(texts), LAYERS, DIMS), dtype=np.float16)
    # long texts last inside each chunk is the encoder's job; chunks keep the bar moving
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    columns = (
        TextColumn("[bold]MiniLM features"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns) as progress:
        task = progress.add_task("encode", total=len(texts))
        for start in range(0, len(order), CHUNK):
            rows = order[start : start + CHUNK]
            features[rows] = encoder.encode([texts[i] for i in rows])
            progress.advance(task, len(rows))
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial.npy")
    np.save(partial, features)
    partial.replace(path)
    return features.astype(np.float32)
