"""Sentiment: models behind one interface, chosen by name (``SENTIMENT_MODEL``).

- :mod:`.base` — the :class:`SentimentModel` protocol, label bands, scoring documents;
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
    score_documents,
)
from tickerpulse.enrich.sentiment.lexicon import LexiconModel
from tickerpulse.enrich.sentiment.registry import DEFAULT_MODEL, load_model, model_names

__all__ = [
    "DEFAULT_MODEL",
    "LABELS",
    "LabelBands",
    "LexiconModel",
    "MentionSentimentModel",
    "SentimentModel",
    "Span",
    "load_model",
    "mention_scores",
    "model_names",
    "score_documents",
]
