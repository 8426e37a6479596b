"""Every sentiment model by name, and the default the cycle uses.

Models load lazily: naming one imports only its own module, so the lexicon
baseline never pays for a trained model's artifacts.
"""

from __future__ import annotations

from collections.abc import Callable

from tickerpulse.enrich.sentiment.base import SentimentModel


def _lexicon() -> SentimentModel:
    from tickerpulse.enrich.sentiment.lexicon import LexiconModel

    return LexiconModel()


def _minilm() -> SentimentModel:
    from tickerpulse.enrich.sentiment.minilm import MiniLMModel

    return MiniLMModel()


def _minilm_ft() -> SentimentModel:
    from tickerpulse.enrich.sentiment.minilm_ft import FineTunedMiniLM

    return FineTunedMiniLM()


def _routed() -> SentimentModel:
    from tickerpulse.enrich.sentiment.routed import RoutedModel

    return RoutedModel()


def _fast() -> SentimentModel:
    from tickerpulse.enrich.sentiment.fast import FastModel

    return FastModel()


_FACTORIES: dict[str, Callable[[], SentimentModel]] = {
    "lexicon-v1": _lexicon,
    "minilm-v1": _minilm,
    "minilm-ft-v2": _minilm_ft,
    "fast-v1": _fast,
    "routed-v1": _routed,
}
_ALIASES: dict[str, str] = {
    "lexicon": "lexicon-v1",
    "minilm": "minilm-v1",
    "minilm-ft": "minilm-ft-v2",
    "fast": "fast-v1",
    "routed": "routed-v1",
}

DEFAULT_MODEL = "fast-v1"
"""The model the cycle and the CLI use when ``SENTIMENT_MODEL`` names none."""


def model_names() -> list[str]:
    """The names :func:`load_model` accepts (aliases and ``default`` besides)."""
    return sorted(_FACTORIES)


def resolve_name(name: str = "default") -> str:
    """The model name ``name`` stands for, without loading the model.

    Raises:
        ValueError: no model has that name; the message lists those that do.
    """
    key = DEFAULT_MODEL if name in ("", "default") else _ALIASES.get(name, name)
    if key not in _FACTORIES:
        raise ValueError(f"unknown sentiment model {name!r}: choose one of {model_names()}")
    return key


def load_model(name: str = "default") -> SentimentModel:
    """The model called ``name`` ('default' for :data:`DEFAULT_MODEL`).

    Raises:
        ValueError: no model has that name; the message lists those that do.
    """
    return _FACTORIES[resolve_name(name)]()
