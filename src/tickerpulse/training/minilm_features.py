"""MiniLM features of the labelled texts, computed once and cached on disk.

Running the transformer over the ~24k labelled texts takes minutes on one core; the
heads are trained many times. The per-layer mean pools are cached as float16 in a
git-ignored folder (``<TICKERPULSE_HOME>/cache/minilm``), keyed by a hash of the texts
and of the weight file, so a changed data folder or model never reuses a stale cache.
"""

from __future__ import annotations

import hashlib
import shutil
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

CHUNK = 512


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
    key = cache_key(texts)
    path = cache_dir / f"features-{key}.npy"
    if path.is_file():
        stored: Matrix = np.load(path).astype(np.float32)
        return stored
    # each chunk is saved as it is done, so an interrupted run resumes where it stopped
    chunks = cache_dir / f"chunks-{key}"
    chunks.mkdir(parents=True, exist_ok=True)
    columns = (
        TextColumn("[bold]MiniLM features"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    parts = []
    with Progress(*columns) as progress:
        task = progress.add_task("encode", total=len(texts))
        for start in range(0, len(texts), CHUNK):
            chunk_path = chunks / f"{start:07d}.npy"
            if not chunk_path.is_file():
                encoded = encoder.encode(texts[start : start + CHUNK]).astype(np.float16)
                np.save(chunk_path.with_suffix(".partial.npy"), encoded)
                chunk_path.with_suffix(".partial.npy").replace(chunk_path)
            parts.append(np.load(chunk_path))
            progress.advance(task, len(parts[-1]))
    features = np.concatenate(parts) if parts else np.zeros((0, LAYERS, DIMS), np.float16)
    partial = path.with_suffix(".partial.npy")
    np.save(partial, features)
    partial.replace(path)
    shutil.rmtree(chunks)
    return features.astype(np.float32)
