"""Sentiment: models behind one interface, chosen by name (``SENTIMENT_MODEL``).

- :mod:`.base` — the :class:`SentimentModel` protocol, label bands;
- :mod:`.scoring` — flags for texts not to score as usual, scoring that never fails;
- :mod:`.lexicon` — lexicon-v1, the hand-written baseline;
- :mod:`.registry` — every model by name, and the default.
"""

from tickerpulse.enrich.sentiment.base import (
    LABELS,
    LabelBands,
    MentionSentimentModel,
    SentimentModel,
    Span,
    mention_scores,
)
from tickerpulse.enrich.sentiment.lexicon import LexiconModel
from tickerpulse.enrich.sentiment.registry import DEFAULT_MODEL, load_model, model_names
from tickerpulse.enrich.sentiment.scoring import (
    MAX_SCORED_CHARS,
    Scored,
    score_documents,
    score_texts,
    text_flags,
)

__all__ = [
    "DEFAULT_MODEL",
    "LABELS",
    "MAX_SCORED_CHARS",
    "LabelBands",
    "LexiconModel",
    "MentionSentimentModel",
    "Scored",
    "SentimentModel",
    "Span",
    "load_model",
    "mention_scores",
    "model_names",
    "score_documents",
    "score_texts",
    "text_flags",
]
