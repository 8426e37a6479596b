"""lexicon-v1, the hand-written baseline.

A finance-aware lexicon with social and crypto slang, emoji, negation,
intensifiers and a cheap sarcasm marker. Pure.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

_WORDS: dict[str, float] = {
    # market direction
    "bullish": 2.0, "bull": 1.2, "bulls": 1.2, "bearish": -2.0, "bear": -1.2, "bears": -1.2,
    "buy": 1.0, "buying": 1.0, "bought": 0.8, "long": 0.8, "calls": 0.8,
    "sell": -1.0, "selling": -1.0, "sold": -0.8, "short": -0.8, "shorting": -1.0, "puts": -0.8,
    "rally": 1.5, "rallies": 1.5, "rallying": 1.5, "surge": 1.8, "surges": 1.8, "soar": 1.8,
    "soars": 1.8, "jump": 1.2, "jumps": 1.2, "gain": 1.2, "gains": 1.2, "rise": 1.0,
    "rises": 1.0, "climb": 1.0, "climbs": 1.0, "breakout": 1.5, "rebound": 1.2, "rebounds": 1.2,
    "plunge": -1.8, "plunges": -1.8, "crash": -2.2, "crashes": -2.2, "crashing": -2.2,
    "tumble": -1.6, "tumbles": -1.6, "drop": -1.2, "drops": -1.2, "fall": -1.0, "falls": -1.0,
    "slump": -1.6, "slumps": -1.6, "sink": -1.4, "sinks": -1.4, "selloff": -1.6,
    "dump": -1.6, "dumping": -1.6, "pump": 0.8, "pumping": 1.0,
    # fundamentals
    "beat": 1.2, "beats": 1.2, "record": 1.0, "upgrade": 1.5, "upgraded": 1.5,
    "outperform": 1.5, "profit": 1.2, "profits": 1.2, "growth": 1.2, "strong": 1.2,
    "stronger": 1.2, "strength": 1.0, "raises": 0.8, "optimistic": 1.5, "undervalued": 1.2,
    "miss": -1.2, "misses": -1.2, "missed": -1.2, "downgrade": -1.5, "downgraded": -1.5,
    "underperform": -1.5, "loss": -1.2, "losses": -1.4, "weak": -1.2, "weaker": -1.2,
    "weakness": -1.2, "decline": -1.2, "declines": -1.2, "cuts": -0.8, "layoffs": -1.2,
    "lawsuit": -1.2, "probe": -1.0, "fraud": -2.0, "bankruptcy": -2.5, "default": -1.5,
    "overvalued": -1.2, "bubble": -1.2, "recession": -1.5, "warning": -1.0, "fears": -1.2,
    "concerns": -1.0, "risk": -0.5, "pessimistic": -1.5, "scam": -2.0, "rugpull": -2.5,
    # social slang
    "moon": 2.0, "mooning": 2.2, "lambo": 1.5, "hodl": 1.0, "wagmi": 1.5, "tendies": 1.5,
    "rekt": -2.0, "ngmi": -1.5, "bagholder": -1.8, "bagholders": -1.8, "capitulation": -1.5,
    "fud": -0.8, "rip": -1.5, "dead": -1.5, "lol": 0.0,
    "great": 1.2, "good": 0.8, "love": 1.2, "amazing": 1.5, "awesome": 1.5, "win": 1.0,
    "bad": -1.0, "terrible": -1.8, "awful": -1.8, "hate": -1.5, "worst": -1.8, "ugly": -1.2,
    "🚀": 2.0, "📈": 1.5, "🐂": 1.5, "💎": 1.0, "🔥": 1.0, "💰": 1.0, "🤑": 1.2,
    "📉": -1.5, "🐻": -1.5, "💀": -1.2, "🩸": -1.5, "😭": -1.0, "🤡": -1.0,
}  # fmt: skip

_PHRASES: dict[str, float] = {
    "to the moon": 3.0, "diamond hands": 2.0, "buy the dip": 1.5, "all time high": 1.5,
    "all-time high": 1.5, "price target raised": 1.8, "bag holder": -1.8, "paper hands": -1.0,
    "sell-off": -1.6, "price target cut": -1.8, "going to zero": -2.5, "dead cat bounce": -1.5,
}  # fmt: skip

_NEGATIONS = frozenset(
    [
        "not", "no", "never", "nor", "cannot", "can't", "don't", "doesn't", "didn't",
        "isn't", "aren't", "wasn't", "won't", "wouldn't", "shouldn't", "ain't", "hardly",
    ]
)  # fmt: skip
_INTENSIFIERS = {"very": 1.3, "extremely": 1.5, "super": 1.3, "so": 1.2, "really": 1.2, "huge": 1.3}
_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)?|[\U0001F300-\U0001FAFF]")
_ALPHA = 6.0  # VADER-style normalisation constant: score = s / sqrt(s^2 + alpha)


class LexiconModel:
    """Finance lexicon with negation (3-token scope), intensifiers and '/s' sarcasm."""

    version = "lexicon-v1"

    def score_one(self, text: str) -> float:
        """Score one text in [-1, 1]."""
        lowered = text.lower()
        total = 0.0
        for phrase, value in _PHRASES.items():
            if phrase in lowered:
                total += value * lowered.count(phrase)
        tokens = _TOKEN.findall(lowered)
        for i, token in enumerate(tokens):
            weight = _WORDS.get(token)
            if weight is None:
                continue
            value = weight
            scope = tokens[max(0, i - 3) : i]
            if any(t in _NEGATIONS for t in scope):
                value *= -0.7
            if i and tokens[i - 1] in _INTENSIFIERS:
                value *= _INTENSIFIERS[tokens[i - 1]]
            total += value
        if total and text.isupper() and len(text) > 12:
            total *= 1.2
        if "/s" in lowered:
            total *= -0.5
        return total / math.sqrt(total * total + _ALPHA)

    def score(self, texts: Sequence[str]) -> list[float]:
        """Score a batch."""
        return [self.score_one(t) if t else 0.0 for t in texts]
