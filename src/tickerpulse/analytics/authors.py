"""Authors' calls and their out-of-sample record: what an author said, judged by what came next.

An author's **call** on an asset in window ``t`` is the mean sentiment of their
mentions of it in that window: bullish at :data:`STANCE_MIN` or above, bearish
at ``-STANCE_MIN`` or below, no call in between. The call is judged **only**
against the asset's return in window ``t + 1`` (close of ``t`` to close of
``t + 1``): everything the author wrote in ``t`` was public before that return
began, so the record cannot credit an author for describing a move already
under way. A next window without a price or with a flat close judges nothing.

The record is the share of judged calls that were right, with a 95 % Wilson
interval, and is shown only from :data:`MIN_CALLS` judged calls on: below that
the interval is too wide to tell skill from luck. Spam and bot posts are left
out before (the enrich stage's ``spam`` flag); authors with more than
:data:`MAX_FLAGGED_SHARE` of their posts flagged are taken for spam or bot
accounts and left out of the rankings altogether (one flag now and then, which
any detector gives honest authors, does not remove a record). News
articles have outlets, not authors, and are not counted. Pure functions.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tickerpulse.analytics.stats import wilson_interval

STANCE_MIN = 0.1
"""Mean sentiment at which an author's mentions count as a bullish (or, negated, bearish) call."""
MIN_CALLS = 30
"""Judged calls from which an author's hit rate is published (about ±18 points of CI at 50 %)."""
MAX_FLAGGED_SHARE = 0.1
"""Share of an author's posts flagged as spam or bot above which the author is left out."""
ALL_ASSETS = "*"
"""``asset_id`` of an author's row over every asset of a window (posts, spam included)."""


def stance(sentiment: float | None) -> int:
    """+1 for a bullish call, -1 for a bearish one, 0 for none."""
    if sentiment is None or not math.isfinite(sentiment):
        return 0
    if sentiment >= STANCE_MIN:
        return 1
    if sentiment <= -STANCE_MIN:
        return -1
    return 0


def judge(call: int, next_return: float | None) -> bool | None:
    """Whether a call was right about the next window's return (None: nothing to judge)."""
    if call == 0 or next_return is None or not math.isfinite(next_return) or next_return == 0:
        return None
    return (next_return > 0) == (call > 0)


@dataclass(frozen=True)
class Record:
    """An author's judged calls, the hit rate and its 95 % Wilson interval."""

    calls: int
    hits: int
    hit_rate: float | None
    ci_low: float | None
    ci_high: float | None

    @property
    def enough(self) -> bool:
        """Whether the record rests on at least :data:`MIN_CALLS` judged calls."""
        return self.calls >= MIN_CALLS


def record(calls: int, hits: int) -> Record:
    """The record of ``hits`` right calls out of ``calls`` judged ones."""
    if calls <= 0:
        return Record(0, 0, None, None, None)
    rate, low, high = wilson_interval(hits, calls)
    # Rounding can put a bound a hair outside [0, 1] (a page would show "-0 %").
    return Record(calls, hits, rate, max(0.0, low), min(1.0, high))


def author_calls(
    documents: Iterable[Mapping[str, Any]], mentions: Iterable[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """One window's rows per social author and asset, plus one per author over every asset.

    Args:
        documents: The window's documents (``doc_id``, ``kind``, ``source``,
            ``author_hash``, ``engagement``, ``sentiment_flags``).
        mentions: Its non-spam mentions (``doc_id``, ``asset_id``, ``sentiment_score``).

    Returns:
        Rows with ``author_hash``, ``asset_id`` (:data:`ALL_ASSETS` for the author's
        whole window), ``source``, ``posts``, ``reach`` (likes, comments, views…
        summed), ``sentiment`` (mean, None for the ``*`` row), ``stance`` and
        ``flagged_posts`` (``*`` row only).
    """
    authored: dict[str, Mapping[str, Any]] = {}
    whole: dict[str, dict[str, Any]] = {}
    for doc in documents:
        author = doc.get("author_hash")
        if doc.get("kind") == "news" or not author:
            continue
        authored[doc["doc_id"]] = doc
        row = whole.setdefault(author, _row(author, ALL_ASSETS, doc["source"]))
        row["posts"] += 1
        row["reach"] += int(doc.get("engagement") or 0)
        if "spam" in (doc.get("sentiment_flags") or ""):
            row["flagged_posts"] += 1
    scores: dict[tuple[str, str], list[float]] = {}
    per_asset: dict[tuple[str, str], dict[str, Any]] = {}
    for mention in mentions:
        post = authored.get(mention["doc_id"])
        if post is None or "spam" in (post.get("sentiment_flags") or ""):
            continue
        key = (post["author_hash"], mention["asset_id"])
        row = per_asset.setdefault(key, _row(key[0], key[1], post["source"]))
        row["posts"] += 1
        row["reach"] += int(post.get("engagement") or 0)
        if mention.get("sentiment_score") is not None:
            scores.setdefault(key, []).append(float(mention["sentiment_score"]))
    for key, row in per_asset.items():
        values = scores.get(key)
        row["sentiment"] = sum(values) / len(values) if values else None
        row["stance"] = stance(row["sentiment"])
    return [*whole.values(), *per_asset.values()]


def _row(author: str, asset_id: str, source: str) -> dict[str, Any]:
    return {
        "author_hash": author, "asset_id": asset_id, "source": source, "posts": 0,
        "reach": 0, "sentiment": None, "stance": 0, "flagged_posts": 0,
    }  # fmt: skip
