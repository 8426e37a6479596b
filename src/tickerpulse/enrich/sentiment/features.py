"""Text → feature strings for the trained linear sentiment models. Pure.

One pass of one regex splits a lower-cased text into tokens; URLs, cashtags,
user handles, numbers and signed percentages become placeholder tokens, and
letters repeated three times or more are squeezed to two ("soooo" → "soo").
From the tokens come:

- word unigrams and bigrams; inside a negation's scope (a negator up to the next
  punctuation, at most :data:`NEGATION_SCOPE` words) words carry a ``neg_`` prefix;
- character 3–5-grams of every word with boundary marks (``<up>`` …), cached per
  word so a word seen before costs one dictionary lookup;
- flags: question, exclamation, cheap sarcasm marker (``/s``, 🙄, "yeah right"),
  shouted words and all-caps text, squeezed letters, emoji, cashtags and
  placeholders only;
- the lexicon-v1 score, bucketed, so the hand-written finance lexicon is one
  more piece of evidence the trained weights can use or ignore.

Features are strings; a model keeps the vocabulary it was trained with and
ignores the rest.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from itertools import pairwise

from tickerpulse.enrich.sentiment.lexicon import LexiconModel

NEGATION_SCOPE = 4
_NEGATORS = frozenset(
    [
        "not", "no", "never", "nor", "cannot", "can't", "don't", "doesn't", "didn't", "isn't",
        "aren't", "wasn't", "weren't", "won't", "wouldn't", "shouldn't", "ain't", "hardly",
        "without", "cant", "dont", "doesnt", "didnt", "isnt", "wont", "nothing", "none",
    ]
)  # fmt: skip
_TOKEN = re.compile(
    r"(?P<url>https?://\S+|www\.\S+)"
    r"|(?P<cashtag>\$[a-z][a-z0-9.\-]{0,9}\b)"
    r"|(?P<user>@\w+)"
    r"|(?P<pct>[+\-−]?\d[\d,.]*\s?%)"
    r"|(?P<num>[+\-−]?\$?\d[\d,.]*[kmbx]?\b)"
    r"|(?P<word>[a-z][a-z'’]*[a-z]|[a-z])"
    r"|(?P<emoji>[\U0001F300-\U0001FAFF\u2600-\u27BF\u2B06\u2B07\u2B50])"
    r"|(?P<stop>[.,;:!?]+|\s[-–—]\s|/s\b)"
)
_SQUEEZE = re.compile(r"([a-z])\1{2,}")
_SHOUT = re.compile(r"\b[A-Z]{3,}\b")
_SARCASM = ("/s", "🙄", "yeah right", "sure buddy", "what could go wrong")
_LEXICON = LexiconModel()
_CACHE_LIMIT = 200_000


def lexicon_bucket(score: float) -> str:
    """The lexicon-v1 score as one of seven buckets (a feature string)."""
    for cut, name in (
        (-0.6, "--"),
        (-0.3, "-"),
        (-0.05, "-0"),
        (0.05, "0"),
        (0.3, "+0"),
        (0.6, "+"),
    ):
        if score < cut:
            return f"_lex{name}"
    return "_lex++"


def char_grams(word: str) -> list[str]:
    """Character 3–5-grams of ``<word>``, prefixed so they never collide with words."""
    marked = f"<{word}>"
    return [
        f"#{marked[i : i + n]}"
        for n in (3, 4, 5)
        if len(marked) >= n
        for i in range(len(marked) - n + 1)
    ]


class FeatureExtractor:
    """Turns texts into feature strings; keeps a per-word cache of character n-grams."""

    def __init__(self, *, char_ngrams: bool = True) -> None:
        """Character n-grams on (the default) or off (words and flags only)."""
        self.char_ngrams = char_ngrams
        self._word_cache: dict[str, list[str]] = {}
        self._squeezed: dict[str, str] = {}

    def tokens(self, text: str) -> tuple[list[str], list[str]]:
        """Word tokens (placeholders included) and flags of one text."""
        lowered = text.lower()
        flags: list[str] = []
        words: list[str] = []
        negated = 0
        content = 0
        for match in _TOKEN.finditer(lowered):
            kind = match.lastgroup
            token = match.group()
            if kind == "stop":
                negated = 0
                if "?" in token:
                    flags.append("_question")
                if "!" in token:
                    flags.append("_exclaim")
                continue
            if kind == "word":
                squeezed = self._squeezed.get(token)
                if squeezed is None:
                    squeezed = _SQUEEZE.sub(r"\1\1", token.replace("’", "'"))
                    if len(self._squeezed) < _CACHE_LIMIT:
                        self._squeezed[token] = squeezed
                if squeezed != token:
                    flags.append("_squeezed")
                token = squeezed
                content += 1
            elif kind == "pct":
                token = (
                    "_pct_down" if token[0] in "-−" else "_pct_up" if token[0] == "+" else "_pct"
                )
            elif kind == "emoji":
                content += 1
                flags.append("_emoji")
            else:
                token = f"_{kind}"
            if negated and kind in ("word", "emoji"):
                words.append(f"neg_{token}")
                negated -= 1
            else:
                words.append(token)
            if token in _NEGATORS:
                negated = NEGATION_SCOPE
        if not content:
            flags.append("_no_content")
        if any(marker in lowered for marker in _SARCASM):
            flags.append("_sarcasm")
        shouted = len(_SHOUT.findall(text))
        if shouted:
            flags.append("_shout")
            if text.isupper() and len(text) > 12:
                flags.append("_all_caps")
        return words, flags

    def word_features(self, word: str) -> list[str]:
        """A word token's own features: itself and its character n-grams."""
        cached = self._word_cache.get(word)
        if cached is None:
            cached = [word]
            if self.char_ngrams and not word.startswith("_"):
                cached += char_grams(word.removeprefix("neg_"))
            if len(self._word_cache) < _CACHE_LIMIT:
                self._word_cache[word] = cached
        return cached

    def parts(self, text: str) -> tuple[list[str], list[str]]:
        """Word tokens (see :meth:`word_features`) and the text's other features."""
        words, flags = self.tokens(text)
        flags += [f"{a} {b}" for a, b in pairwise(words)]
        flags.append(lexicon_bucket(_LEXICON.score_one(text)) if text else "_lex0")
        return words, flags

    def features(self, text: str) -> list[str]:
        """Every feature string of one text (repeats kept; the model counts them once)."""
        words, out = self.parts(text)
        for word in words:
            out += self.word_features(word)
        return out

    def batch(self, texts: Iterable[str]) -> list[list[str]]:
        """Features of many texts."""
        return [self.features(t) for t in texts]
