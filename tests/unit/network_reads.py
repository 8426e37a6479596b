"""Counting what minilm-ft-v2's network reads, for the tests that hold the cycle to one read."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from tickerpulse.enrich.sentiment.dense_head import Matrix
from tickerpulse.enrich.sentiment.minilm_ft import FineTunedMiniLM


@contextmanager
def network_reads(model: FineTunedMiniLM) -> Iterator[list[str]]:
    """Every network input ``model`` reads inside the block, in order (its ``logits`` calls)."""
    read: list[str] = []
    network = model.logits

    def counting(texts: Sequence[str]) -> Matrix:
        read.extend(texts)
        return network(texts)

    model.logits = counting  # type: ignore[method-assign]
    try:
        yield read
    finally:
        del model.logits
