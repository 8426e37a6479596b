"""Scoring a tagger against labelled texts: micro and per-class precision and recall."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

Label = tuple[str, str]  # (symbol, asset class)


@dataclass(frozen=True)
class Counts:
    """True positives, false positives and false negatives."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        """Share of found mentions that are right (1.0 when nothing was found)."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        """Share of true mentions that were found (1.0 when there were none)."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)


@dataclass(frozen=True)
class TaggingScores:
    """Micro scores over everything and per asset class, with the worst mistakes."""

    micro: Counts
    by_class: dict[str, Counts]
    false_positives: list[tuple[int, Label]] = field(default_factory=list)
    false_negatives: list[tuple[int, Label]] = field(default_factory=list)


def score_tagging(
    predicted: Sequence[Iterable[Label]], expected: Sequence[Iterable[Label]]
) -> TaggingScores:
    """Compare predicted and expected label sets text by text."""
    by_class: dict[str, Counts] = {}
    false_positives: list[tuple[int, Label]] = []
    false_negatives: list[tuple[int, Label]] = []
    for index, (got_labels, want_labels) in enumerate(zip(predicted, expected, strict=True)):
        got, want = set(got_labels), set(want_labels)
        for label in got | want:
            hit = Counts(tp=int(label in got and label in want), fp=int(label not in want),
                         fn=int(label not in got))  # fmt: skip
            by_class[label[1]] = by_class.get(label[1], Counts()) + hit
        false_positives += [(index, label) for label in sorted(got - want)]
        false_negatives += [(index, label) for label in sorted(want - got)]
    micro = sum(by_class.values(), Counts())
    return TaggingScores(micro, dict(sorted(by_class.items())), false_positives, false_negatives)
