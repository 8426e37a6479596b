"""What ``tickerpulse tag`` answers for a batch of texts: each text's asset mentions. Pure.

Per text: ``mentions``, a list of ``{"symbol", "class", "method", "relevance"}`` sorted
by asset id. Few (asset, method, relevance) triples occur, so each is serialised once
and reused as an ``orjson.Fragment``: the per-post work is the tagging itself.
"""

from __future__ import annotations

from typing import Any

import orjson

from tickerpulse.enrich.tagger import Tagger
from tickerpulse.universe import Universe


class TagAnswers:
    """Tags texts against one universe and answers in the ``tickerpulse tag`` format."""

    def __init__(self, tagger: Tagger, universe: Universe) -> None:
        self._tagger = tagger
        self._universe = universe
        self._mentions: dict[tuple[str, str, float], orjson.Fragment] = {}

    def __call__(self, texts: list[str]) -> list[dict[str, Any]]:
        """One ``{"mentions": [...]}`` per text, in order."""
        summary, known, mention = self._tagger.summary, self._mentions.get, self._mention
        return [
            {"mentions": [known(key) or mention(key) for key in summary(text)]} for text in texts
        ]

    def _mention(self, key: tuple[str, str, float]) -> orjson.Fragment:
        fragment = self._mentions.get(key)
        if fragment is None:
            asset_id, method, relevance = key
            asset = self._universe.by_id[asset_id]
            written: dict[str, object] = {"symbol": asset.symbol, "class": str(asset.asset_class)}
            written |= {"method": method, "relevance": relevance}
            fragment = self._mentions[key] = orjson.Fragment(orjson.dumps(written))
        return fragment
