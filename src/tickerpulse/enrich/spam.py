"""Spam and bot posts: recognised before they count as mentions or sentiment.

A post that shills "$BTC $AAPL $NVDA …" behind "Join my VIP channel for 100x
signals!" is not a bullish opinion on each of those assets. Three signs, each
enough on its own:

* ``stuffing``: ticker stuffing — at least :data:`STUFFED_CASHTAGS` distinct
  cashtags, or at least :data:`DENSE_CASHTAGS` making up
  :data:`DENSE_SHARE` or more of the words;
* ``bait``: link-bait and pump phrases ("VIP channel", "100x", "DM me",
  invite links to private groups), from :data:`BAIT_PATTERNS`;
* ``repeated``: the same text (numbers and case aside) posted by
  :data:`REPEAT_AUTHORS` or more distinct authors in one batch — a window's
  documents in the enrich stage.

Pure functions; the enrich stage adds the ``spam`` flag to a document's
sentiment flags and the aggregation SQL leaves flagged documents out of
mentions and sentiment (and counts them per asset and source).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence

SPAM_FLAG = "spam"
STUFFED_CASHTAGS = 5
DENSE_CASHTAGS = 3
DENSE_SHARE = 0.3
REPEAT_AUTHORS = 4
MIN_REPEAT_CHARS = 40
"""Shorter texts ("Watching $NVDA closely this week") repeat by chance; not a campaign."""

_CASHTAG = re.compile(r"(?<![\w$])\$([A-Za-z][A-Za-z0-9.]{0,9})\b")
_WORD = re.compile(r"\S+")
BAIT_PATTERNS: tuple[str, ...] = (
    r"\bjoin (?:my|our) (?:vip|private|premium|free)\b",
    r"\bvip (?:channel|group|signals?|room)\b",
    r"\b(?:pump|signals?) (?:group|channel)\b",
    r"\bfree (?:crypto|signals?|money)\b",
    r"\b\d{2,5}x (?:signals?|gains?|returns?|profits?|coins?|gems?)\b",
    r"\bdm me\b",
    r"\bguaranteed (?:profits?|returns?|gains?)\b",
    r"\bt\.me/(?:\+|joinchat)",
    r"\bchat\.whatsapp\.com/",
    r"\bclaim (?:your|the) (?:airdrop|bonus|reward)\b",
)
_BAIT = re.compile("|".join(BAIT_PATTERNS), re.IGNORECASE)
_NOISE = re.compile(r"\d+(?:[.,]\d+)?")


def cashtags(text: str) -> set[str]:
    """The distinct cashtags in ``text``, upper-cased without the ``$``."""
    return {m.upper() for m in _CASHTAG.findall(text)}


def spam_signs(text: str) -> tuple[str, ...]:
    """The signs of spam one text shows on its own (``stuffing``, ``bait``), in that order."""
    signs = []
    tags = len(cashtags(text))
    words = len(_WORD.findall(text))
    if tags >= STUFFED_CASHTAGS or (tags >= DENSE_CASHTAGS and tags >= DENSE_SHARE * words):
        signs.append("stuffing")
    if _BAIT.search(text):
        signs.append("bait")
    return tuple(signs)


def repeated_texts(texts: Sequence[str], authors: Sequence[str | None]) -> set[int]:
    """Indices of texts whose skeleton was posted by :data:`REPEAT_AUTHORS`+ distinct authors.

    The skeleton is the lower-cased text without numbers, with whitespace squeezed
    (a campaign pastes the same tickers and link); documents without a known author
    do not count as authors.
    """
    by_skeleton: dict[str, list[int]] = defaultdict(list)
    for i, text in enumerate(texts):
        skeleton = " ".join(_NOISE.sub(" ", text.lower()).split())
        if len(skeleton) >= MIN_REPEAT_CHARS:
            by_skeleton[skeleton].append(i)
    repeated: set[int] = set()
    for indices in by_skeleton.values():
        if len({authors[i] for i in indices if authors[i]}) >= REPEAT_AUTHORS:
            repeated.update(indices)
    return repeated


def detect_spam(texts: Sequence[str], authors: Sequence[str | None]) -> list[bool]:
    """Whether each text of a batch is spam by any sign (its own, or repeated across authors)."""
    repeated = repeated_texts(texts, authors)
    return [i in repeated or bool(spam_signs(text)) for i, text in enumerate(texts)]
