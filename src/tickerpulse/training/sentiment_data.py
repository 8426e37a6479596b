"""The labelled sentiment data (``SENTIMENT_DATA``) with fixed train / dev / eval splits.

Every model is trained on ``train``, tuned on ``dev`` and measured on ``eval``;
nothing is ever trained or tuned on ``eval``. The assignment is fixed by a hash of
the normalised text, so it is the same on every machine, for every model, and for
a headline in both SEntFiN files (per text and per entity):

- Twitter Financial News Sentiment: its own ``valid`` split is ``eval``; ``dev`` is
  a hashed 10 % of its ``train``.
- Every other set: a hashed 20 % is ``eval``, 10 % ``dev``, the rest ``train``.

The texts are third-party: they are read from the data folder, never copied into
the repository.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import orjson

Split = Literal["train", "dev", "eval"]
CLASSES = ("bearish", "neutral", "bullish")

DATASETS = (
    "twitter_financial_news_sentiment",
    "sentfin_v1",
    "thakoor_twitter_stock_sentiment",
    "surge_crypto_sentiment",
    "surge_stock_sentiment",
)
_UPSTREAM_EVAL = {"twitter_financial_news_sentiment": "valid"}
_SPACE = re.compile(r"\s+")


class MissingData(FileNotFoundError):
    """The labelled data folder is absent: say where it was looked for and how to set it."""


@dataclass(frozen=True)
class Example:
    """One labelled text."""

    text: str
    label: str
    dataset: str
    split: Split


@dataclass(frozen=True)
class EntityExample:
    """One headline with a label per entity named in it (SEntFiN)."""

    text: str
    entities: dict[str, str]
    split: Split


def normalized(text: str) -> str:
    """The form the split hash is taken of: NFKC, lower case, whitespace collapsed."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text).lower()).strip()


def hashed_split(text: str, *, eval_share: int = 20, dev_share: int = 10) -> Split:
    """The fixed split of one text, by the SHA-1 of its normalised form (percentages)."""
    bucket = int.from_bytes(hashlib.sha1(normalized(text).encode()).digest()[:4], "big") % 100
    if bucket < eval_share:
        return "eval"
    return "dev" if bucket < eval_share + dev_share else "train"


def _split_of(dataset: str, text: str, upstream: str) -> Split:
    if dataset in _UPSTREAM_EVAL:
        if upstream == _UPSTREAM_EVAL[dataset]:
            return "eval"
        return "dev" if hashed_split(text, eval_share=0, dev_share=10) == "dev" else "train"
    return hashed_split(text)


def data_folder(folder: Path) -> Path:
    """``folder`` if it holds the data, else :class:`MissingData` with what to do."""
    if not (folder / DATASETS[0] / "data.jsonl").is_file():
        raise MissingData(
            f"labelled sentiment data not found in {folder}: set SENTIMENT_DATA to the folder "
            "that holds twitter_financial_news_sentiment/, sentfin_v1/, … (see docs/sentiment.md)"
        )
    return folder


def examples(folder: Path, datasets: tuple[str, ...] = DATASETS) -> Iterator[Example]:
    """Every labelled text of ``datasets`` with its fixed split."""
    root = data_folder(folder)
    for dataset in datasets:
        with (root / dataset / "data.jsonl").open("rb") as lines:
            for line in lines:
                row = orjson.loads(line)
                text = row["text"]
                yield Example(text, row["label"], dataset, _split_of(dataset, text, row["split"]))


def entity_examples(folder: Path) -> Iterator[EntityExample]:
    """SEntFiN's headlines with per-entity labels, split like ``sentfin_v1/data.jsonl``."""
    with (data_folder(folder) / "sentfin_v1" / "entities.jsonl").open("rb") as lines:
        for line in lines:
            row = orjson.loads(line)
            yield EntityExample(row["text"], row["entities"], hashed_split(row["text"]))
