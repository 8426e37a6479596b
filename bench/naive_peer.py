"""A naive peer pipeline, written the way the original design did it, for comparison only.

JSON lines parsed one by one into a pandas DataFrame, a Python loop over its
rows (``iterrows``), one regular expression per asset for tagging, VADER for
sentiment, then a pandas group-by. It is deliberately straightforward, not
deliberately slow: this is how such a job is commonly written.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

import pandas as pd
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from tickerpulse.universe import Universe


def _text_of(item: dict) -> str:  # type: ignore[type-arg]
    data = item.get("data", item)
    parts = [
        data.get(k) for k in ("title", "selftext", "body", "text", "message", "caption", "summary")
    ]
    return " ".join(p for p in parts if isinstance(p, str))


def asset_patterns(universe: Universe) -> dict[str, re.Pattern[str]]:
    """One regular expression per asset: its symbol (bare or as a cashtag) or any alias."""
    return {
        asset.asset_id: re.compile(
            r"(\$|\b)(" + "|".join(re.escape(n) for n in (asset.symbol, *asset.aliases)) + r")\b"
        )
        for asset in universe
    }


def naive_tag(text: str, patterns: dict[str, re.Pattern[str]]) -> set[str]:
    """The assets whose pattern matches anywhere in ``text``."""
    return {asset_id for asset_id, pattern in patterns.items() if pattern.search(text)}


def naive_pipeline(lines: Iterable[bytes], universe: Universe) -> pd.DataFrame:
    """Parse, tag, score and aggregate; returns mentions and mean sentiment per asset."""
    records = []
    for line in lines:
        try:
            envelope = json.loads(line)
            records.append({"text": _text_of(envelope["item"])})
        except (ValueError, KeyError, TypeError, AttributeError):
            continue
    frame = pd.DataFrame(records)
    analyzer = SentimentIntensityAnalyzer()
    patterns = asset_patterns(universe)
    rows = []
    for index, row in frame.iterrows():
        score = analyzer.polarity_scores(row["text"])["compound"]
        for asset_id in naive_tag(row["text"], patterns):
            rows.append({"doc": index, "asset_id": asset_id, "score": score})
    mentions = pd.DataFrame(rows, columns=["doc", "asset_id", "score"])
    return mentions.groupby("asset_id").agg(mentions=("doc", "count"), sentiment=("score", "mean"))
