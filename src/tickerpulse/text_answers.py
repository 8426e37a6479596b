"""What ``tickerpulse sentiment`` answers for a batch of texts. Pure.

Per text: ``score`` in [-1, 1], ``label`` (its band), ``model`` (the version),
``flags`` when the text was not scored as usual (empty, binary, non-English:
neutral; huge: a prefix scored), and with mentions on, each asset the text
mentions with the span ``[start, end)`` of its first occurrence and the
mention's own score and label.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tickerpulse.enrich.sentiment import LabelBands, SentimentModel, score_texts
from tickerpulse.enrich.tagger import Tagger
from tickerpulse.universe import Universe


@dataclass(frozen=True)
class SentimentAnswers:
    """Scores texts with one model; with a tagger, also each asset mention on its own."""

    model: SentimentModel
    bands: LabelBands
    tagger: Tagger | None = None
    universe: Universe | None = None

    def __call__(self, texts: list[str]) -> list[dict[str, Any]]:
        """One answer per text, in order."""
        found = self.tagger.find_all(texts) if self.tagger is not None else None
        spans = [[(m.start, m.end) for m in f.values()] for f in found] if found else None
        scored = score_texts(self.model, texts, spans)
        answers: list[dict[str, Any]] = []
        for i, value in enumerate(scored.scores):
            score = round(value, 6)
            answer: dict[str, Any] = {
                "score": score, "label": self.bands.label(score), "model": self.model.version,
            }  # fmt: skip
            if scored.flags[i]:
                answer["flags"] = list(scored.flags[i])
            if found is not None:
                answer["mentions"] = [
                    self._mention(asset_id, mention.start, mention.end, round(s, 6))
                    for (asset_id, mention), s in zip(
                        found[i].items(), scored.mentions[i], strict=True
                    )
                ]
            answers.append(answer)
        return answers

    def _mention(self, asset_id: str, start: int, end: int, score: float) -> dict[str, Any]:
        asset = self.universe.by_id.get(asset_id) if self.universe is not None else None
        return {
            "asset_id": asset_id, "symbol": asset.symbol if asset else asset_id,
            "start": start, "end": end, "score": score, "label": self.bands.label(score),
        }  # fmt: skip
