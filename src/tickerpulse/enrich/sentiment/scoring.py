"""Scoring that never fails on odd input: flags, per-text and per-mention scores, rows.

Any model sees only texts it can score: an empty text, a binary one (control
characters) or one not in English gets a neutral score and a flag instead of a
guess; a huge text is scored on its first :data:`MAX_SCORED_CHARS` characters
and flagged ``huge``. Scores outside [-1, 1] are clipped and a non-number
becomes neutral (flag ``invalid-score``), so one odd text never stops a cycle.
Pure.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa

from tickerpulse.domain import SENTIMENT_SCHEMA
from tickerpulse.enrich.normalize import guess_language
from tickerpulse.enrich.sentiment.base import (
    LabelBands,
    MentionSentimentModel,
    SentimentModel,
    Span,
    mention_scores,
)

MAX_SCORED_CHARS = 20_000
"""Characters of a text a model reads (the tagger reads as many, so every span lies inside)."""
FLAGS = ("empty", "binary", "non-english", "huge", "invalid-score")
NEUTRAL_FLAGS = frozenset(("empty", "binary", "non-english"))
"""Flags that keep a text from the model: its score is neutral (0)."""

_SAMPLE = 2_000  # characters inspected for binary content and language
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd\ud800-\udfff]")
_BINARY_SHARE = 0.1


def text_flags(text: str | None) -> tuple[str, ...]:
    """Why ``text`` should not be scored as usual; empty when it can be."""
    if text is None or not text.strip():
        return ("empty",)
    sample = text[:_SAMPLE]
    controls = len(_CONTROL.findall(sample))
    if "\x00" in sample or controls > _BINARY_SHARE * len(sample):
        return ("binary",)
    flags: list[str] = []
    if guess_language(sample) not in ("en", "und"):
        flags.append("non-english")
    if len(text) > MAX_SCORED_CHARS:
        flags.append("huge")
    return tuple(flags)


@dataclass(frozen=True)
class Scored:
    """A batch's scores: per text, with its flags, and per mention span."""

    scores: list[float]
    flags: list[tuple[str, ...]]
    mentions: list[list[float]]
    """Per text, one score per span given (empty lists when no spans were given)."""

    def flag_counts(self) -> dict[str, int]:
        """How many texts carry each flag."""
        return dict(sorted(Counter(f for flags in self.flags for f in flags).items()))


def score_texts(
    model: SentimentModel,
    texts: Sequence[str | None],
    spans: Sequence[Sequence[Span]] | None = None,
) -> Scored:
    """Score texts (and the mention ``spans`` of each, if given) without failing on any.

    Each text is scored once; a model without its own per-mention scores gives
    every mention its text's score (:func:`~.base.mention_scores`).
    """
    flags = [text_flags(t) for t in texts]
    spans = spans if spans is not None else [()] * len(texts)
    scores = [0.0] * len(texts)
    per_mention = [[0.0] * len(s) for s in spans]
    kept = [i for i, f in enumerate(flags) if NEUTRAL_FLAGS.isdisjoint(f)]
    prepared = [(texts[i] or "")[:MAX_SCORED_CHARS] for i in kept]
    if prepared:
        for i, score in zip(kept, model.score(prepared), strict=True):
            scores[i], flags[i] = _checked(score, flags[i])
        with_spans = [k for k, i in enumerate(kept) if spans[i]]
        if isinstance(model, MentionSentimentModel) and with_spans:
            found = mention_scores(
                model,
                [prepared[k] for k in with_spans],
                [[_clip_span(s) for s in spans[kept[k]]] for k in with_spans],
            )
            for k, values in zip(with_spans, found, strict=True):
                per_mention[kept[k]] = [_checked(v, ())[0] for v in values]
        else:
            for i in kept:
                per_mention[i] = [scores[i]] * len(spans[i])
    return Scored(scores, flags, per_mention)


def score_documents(
    model: SentimentModel, doc_ids: Sequence[str], texts: Sequence[str | None], bands: LabelBands
) -> pa.Table:
    """Score a batch of documents into :data:`SENTIMENT_SCHEMA` rows."""
    return sentiment_table(model, doc_ids, score_texts(model, texts), bands)


def sentiment_table(
    model: SentimentModel, doc_ids: Sequence[str], scored: Scored, bands: LabelBands
) -> pa.Table:
    """:data:`SENTIMENT_SCHEMA` rows of scored documents."""
    scores = [round(s, 6) for s in scored.scores]
    return pa.Table.from_pydict(
        {
            "doc_id": list(doc_ids),
            "score": scores,
            "label": [bands.label(s) for s in scores],
            "model": [model.version] * len(scores),
            "flags": [",".join(f) or None for f in scored.flags],
        },
        schema=SENTIMENT_SCHEMA,
    )


def _checked(score: float, flags: tuple[str, ...]) -> tuple[float, tuple[str, ...]]:
    """A model's score clipped to [-1, 1]; a non-number is neutral and flagged."""
    if not math.isfinite(score):
        return 0.0, (*flags, "invalid-score")
    return min(1.0, max(-1.0, float(score))), flags


def _clip_span(span: Span) -> Span:
    start, end = span
    return min(start, MAX_SCORED_CHARS), min(end, MAX_SCORED_CHARS)
