"""The sentiment evaluation sets and their measures: macro-F1, accuracy, confusion.

A model's answer is its most probable class when it offers class probabilities
(``probabilities(texts)``, and ``mention_probabilities(texts, spans)`` per mention),
else its score's class by the neutral band of
:class:`~tickerpulse.enrich.sentiment.LabelBands` (|score| ≤ 0.15 is neutral).
Macro-F1 is over the classes the set has (the Surge sets have no neutral: a
neutral answer there is simply wrong).
Pure, apart from reading the data folder in :func:`text_sets` / :func:`entity_set`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tickerpulse.enrich.sentiment.base import LabelBands, SentimentModel, Span, mention_scores
from tickerpulse.enrich.sentiment.mentions import find_spans
from tickerpulse.training.sentiment_data import CLASSES, Split, entity_examples, examples

TEXT_SETS = {
    "tfns": ("twitter_financial_news_sentiment",),
    "sentfin": ("sentfin_v1",),
    "social": (
        "thakoor_twitter_stock_sentiment",
        "surge_crypto_sentiment",
        "surge_stock_sentiment",
    ),
}
"""Each reported set and the data folders it is made of."""

SET_TITLES = {
    "tfns": "TFNS valid (finance news tweets)",
    "sentfin": "SEntFiN eval (headlines)",
    "social": "social eval (stock tweets, Reddit crypto)",
    "entities": "SEntFiN entity-level eval (per mention)",
    "mixed": "… of which mixed-label headlines",
}


@dataclass(frozen=True)
class Scores:
    """Macro-F1, accuracy and the confusion matrix (rows truth, columns answer)."""

    macro_f1: float
    accuracy: float
    confusion: tuple[tuple[int, int, int], ...]
    count: int


@dataclass(frozen=True)
class MentionSet:
    """Headlines with mention spans and one label per span."""

    texts: list[str]
    spans: list[list[Span]]
    labels: list[list[str]]
    mixed: list[bool]


_BANDS = LabelBands()


def to_label(score: float, bands: LabelBands = _BANDS) -> str:
    """The class of a score (bearish / neutral / bullish) by the neutral band of ``bands``."""
    _, bear, bull, _ = bands.cutoffs
    return "bearish" if score < bear else "bullish" if score > bull else "neutral"


def answers(model: SentimentModel, texts: Sequence[str]) -> list[str]:
    """The class ``model`` gives each text: argmax of its probabilities, else the band."""
    probabilities = getattr(model, "probabilities", None)
    if probabilities is not None:
        return [CLASSES[int(i)] for i in probabilities(texts).argmax(axis=1)]
    return [to_label(s) for s in model.score(texts)]


def mention_answers(
    model: SentimentModel, texts: Sequence[str], spans: Sequence[Sequence[Span]]
) -> list[list[str]]:
    """The class of each mention: per-mention probabilities, else as :func:`answers` per text."""
    per_mention = getattr(model, "mention_probabilities", None)
    if per_mention is not None:
        return [[CLASSES[int(i)] for i in p.argmax(axis=1)] for p in per_mention(texts, spans)]
    if getattr(model, "probabilities", None) is not None:
        return [[a] * len(f) for a, f in zip(answers(model, texts), spans, strict=True)]
    return [[to_label(s) for s in found] for found in mention_scores(model, texts, spans)]


def measure(truth: Sequence[str], answers: Sequence[str]) -> Scores:
    """Macro-F1 over the classes present in ``truth``, accuracy and confusion."""
    matrix = [[0, 0, 0] for _ in CLASSES]
    for t, a in zip(truth, answers, strict=True):
        matrix[CLASSES.index(t)][CLASSES.index(a)] += 1
    f1s = []
    for k, _ in enumerate(CLASSES):
        support = sum(matrix[k])
        if not support:
            continue
        answered = sum(row[k] for row in matrix)
        tp = matrix[k][k]
        f1s.append(2 * tp / (support + answered) if support + answered else 0.0)
    total = sum(map(sum, matrix))
    return Scores(
        macro_f1=sum(f1s) / len(f1s) if f1s else 0.0,
        accuracy=sum(matrix[k][k] for k in range(3)) / total if total else 0.0,
        confusion=tuple((r[0], r[1], r[2]) for r in matrix),
        count=total,
    )


def text_sets(folder: Path, split: Split = "eval") -> dict[str, tuple[list[str], list[str]]]:
    """Texts and labels of each of :data:`TEXT_SETS` in ``split``."""
    out: dict[str, tuple[list[str], list[str]]] = {name: ([], []) for name in TEXT_SETS}
    owner = {dataset: name for name, datasets in TEXT_SETS.items() for dataset in datasets}
    for example in examples(folder):
        if example.split == split:
            texts, labels = out[owner[example.dataset]]
            texts.append(example.text)
            labels.append(example.label)
    return out


def entity_set(folder: Path, split: Split = "eval") -> MentionSet:
    """SEntFiN's per-entity labels of ``split``, each entity found in its headline."""
    result = MentionSet([], [], [], [])
    for example in entity_examples(folder):
        if example.split != split:
            continue
        names = list(example.entities)
        result.texts.append(example.text)
        result.spans.append(find_spans(example.text, names))
        result.labels.append([example.entities[n] for n in names])
        result.mixed.append(len(set(example.entities.values())) > 1)
    return result


def measure_mentions(mentions: MentionSet, found: Sequence[Sequence[str]]) -> dict[str, Scores]:
    """Entity-level scores over all mentions and over the mixed-label headlines only."""
    truth_all: list[str] = []
    answer_all: list[str] = []
    truth_mixed: list[str] = []
    answer_mixed: list[str] = []
    for labels, given, mixed in zip(mentions.labels, found, mentions.mixed, strict=True):
        truth_all += labels
        answer_all += given
        if mixed:
            truth_mixed += labels
            answer_mixed += given
    return {
        "entities": measure(truth_all, answer_all),
        "mixed": measure(truth_mixed, answer_mixed),
    }


def group_figures(
    datasets: Sequence[str], truth: Sequence[str], predicted: Sequence[str]
) -> dict[str, dict[str, float]]:
    """Per set of :data:`TEXT_SETS`: ``{"macro_f1", "accuracy", "n"}``, plus their mean.

    ``datasets`` names each row's data folder. ``"mean"`` is the unweighted mean of
    the sets' macro-F1, the figure models are chosen by on dev, so the large TFNS
    set does not drown the social posts.
    """
    figures: dict[str, dict[str, float]] = {}
    for name, members in TEXT_SETS.items():
        rows = [i for i, dataset in enumerate(datasets) if dataset in members]
        if not rows:
            continue
        scores = measure([truth[i] for i in rows], [predicted[i] for i in rows])
        figures[name] = {
            "macro_f1": round(scores.macro_f1, 4),
            "accuracy": round(scores.accuracy, 4),
            "n": scores.count,
        }
    f1s = [figure["macro_f1"] for figure in figures.values()]
    figures["mean"] = {"macro_f1": round(sum(f1s) / len(f1s), 4) if f1s else 0.0}
    return figures


def eval_figures(model: SentimentModel, folder: Path) -> dict[str, dict[str, float]]:
    """``model``'s eval figures as model cards keep them: per text set and per mention.

    ``{"macro_f1", "accuracy", "n"}`` for each of :data:`TEXT_SETS`, ``"entities"``
    and ``"mixed"``; what ``make eval`` reports and the guard tests hold cards to.
    """
    scores = {
        name: measure(labels, answers(model, texts))
        for name, (texts, labels) in text_sets(folder, "eval").items()
    }
    mentions = entity_set(folder, "eval")
    scores |= measure_mentions(mentions, mention_answers(model, mentions.texts, mentions.spans))
    return {
        name: {"macro_f1": round(s.macro_f1, 4), "accuracy": round(s.accuracy, 4), "n": s.count}
        for name, s in scores.items()
    }
