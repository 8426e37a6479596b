"""Hashed word + char n-gram TF-IDF logits, the lexical half of minilm-v1.

Frozen sentence embeddings miss the finance words that decide a label ("beats",
"downgrade", "$"), which n-grams catch; the two halves' logits are added with a
weight chosen on dev. Hashing keeps the artifact free of any vocabulary (no
third-party text is stored): only per-bucket IDF and class weights, as ``.npz``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.preprocessing import normalize

BUCKETS = 2**17
"""Hash buckets per analyser (words, chars)."""

Matrix = NDArray[np.float32]


def hashed_counts(texts: Sequence[str]) -> list[csr_matrix]:
    """Raw n-gram counts: word 1–2-grams and char_wb 2–5-grams, one block each."""
    words = HashingVectorizer(
        ngram_range=(1, 2), n_features=BUCKETS, alternate_sign=False, norm=None
    )
    chars = HashingVectorizer(
        analyzer="char_wb", ngram_range=(2, 5), n_features=BUCKETS, alternate_sign=False, norm=None
    )
    return [words.transform(texts), chars.transform(texts)]


def tfidf(blocks: list[csr_matrix], idf: Sequence[Matrix]) -> csr_matrix:
    """Sublinear TF × IDF, each block L2-normalised, blocks side by side."""
    weighted = []
    for block, block_idf in zip(blocks, idf, strict=True):
        block = block.astype(np.float32).tocsr()
        block.data = 1.0 + np.log(block.data)
        weighted.append(normalize(block.multiply(block_idf).tocsr()))
    return hstack(weighted).tocsr()


@dataclass(frozen=True)
class NgramHead:
    """IDF per bucket and a linear layer over the TF-IDF vector."""

    idf: tuple[Matrix, Matrix]
    weight: Matrix  # (2 * BUCKETS, classes)
    bias: Matrix

    def logits(self, texts: Sequence[str]) -> Matrix:
        """Class logits, one row per text."""
        features = tfidf(hashed_counts(texts), self.idf)
        return np.asarray(features @ self.weight + self.bias, dtype=np.float32)

    def save(self, path: Path) -> None:
        """Write as a compressed ``.npz`` (unused buckets are zeros and pack away)."""
        with path.open("wb") as stream:
            np.savez_compressed(
                stream,
                idf_words=self.idf[0].astype(np.float16),
                idf_chars=self.idf[1].astype(np.float16),
                weight=self.weight.astype(np.float16),
                bias=self.bias,
            )

    @classmethod
    def load(cls, path: Path) -> NgramHead:
        """Read a head written by :meth:`save` (``allow_pickle`` off)."""
        with np.load(path, allow_pickle=False) as stored:
            return cls(
                idf=(
                    stored["idf_words"].astype(np.float32),
                    stored["idf_chars"].astype(np.float32),
                ),
                weight=stored["weight"].astype(np.float32),
                bias=stored["bias"].astype(np.float32),
            )
