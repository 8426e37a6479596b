"""Sentiment quality on held-out labelled data and speed, every registered model and VADER.

Sets (never trained or tuned on): TFNS's own valid split, the fixed SEntFiN eval
split, the social sets' eval split, SEntFiN's per-entity eval split (per-mention
models score each mention; the others give every mention its text's score).
A model's answer is its most probable class when it offers class probabilities,
else its score's class by the neutral band (see
:mod:`tickerpulse.training.sentiment_metrics`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from bench.report import machine_line
from tickerpulse.config import Settings
from tickerpulse.enrich.sentiment import (
    DEFAULT_MODEL,
    MentionSentimentModel,
    SentimentModel,
    load_model,
    model_names,
)
from tickerpulse.training.sentiment_data import CLASSES, examples
from tickerpulse.training.sentiment_metrics import (
    SET_TITLES,
    Scores,
    answers,
    entity_set,
    measure,
    measure_mentions,
    mention_answers,
    text_sets,
)

SPEED_SECONDS = 3.0


class Vader:
    """VADER's compound score behind the SentimentModel interface (a reference point)."""

    version = "vader"

    def __init__(self) -> None:
        """The stock analyser, no finance words added."""
        self.analyzer = SentimentIntensityAnalyzer()

    def score(self, texts: Sequence[str]) -> list[float]:
        """Compound score per text."""
        return [float(self.analyzer.polarity_scores(t)["compound"]) for t in texts]


class TfidfReference:
    """The issue's floor: TF-IDF word 1–2-grams + char 2–5-grams, logistic regression.

    Fitted here on the same train split (scikit-learn defaults, C = 1); a reference
    row, not a shipped model. Answers by argmax like fast-v1.
    """

    version = "tfidf-logreg (reference)"

    def __init__(self) -> None:
        """Fit on ``SENTIMENT_DATA``'s train split."""
        train = [e for e in examples(Settings().sentiment_data) if e.split == "train"]
        texts = [e.text for e in train]
        self.words = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
        self.chars = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True
        )
        x = sp.hstack([self.words.fit_transform(texts), self.chars.fit_transform(texts)])
        self.model = LogisticRegression(max_iter=2000).fit(x.tocsr(), [e.label for e in train])

    def probabilities(self, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        """Class probabilities in the order bearish, neutral, bullish."""
        x = sp.hstack([self.words.transform(texts), self.chars.transform(texts)]).tocsr()
        probs = self.model.predict_proba(x)
        order = [list(self.model.classes_).index(c) for c in CLASSES]
        return np.asarray(probs[:, order], dtype=np.float64)

    def score(self, texts: Sequence[str]) -> list[float]:
        """P(bullish) − P(bearish)."""
        probs = self.probabilities(texts)
        return [float(v) for v in probs[:, 2] - probs[:, 0]]


@dataclass(frozen=True)
class ModelResult:
    """One model's scores on every set and its speed."""

    name: str
    scores: dict[str, Scores]
    texts_per_second: float
    text_answer: dict[str, Scores] | None = None
    """Per-mention models only: entity level when every mention gets its text's answer."""


def speed(model: SentimentModel, texts: Sequence[str], seconds: float = SPEED_SECONDS) -> float:
    """Texts per CPU-second of ``model.score`` on batches of 1,000 in turn, after a warm-up.

    The batches are different texts one after another (at least two), so a model that
    remembers its last call's answers (minilm-ft-v2, for the cycle's second look at a
    batch's mentions) cannot answer from that memory here. CPU time of the process (all
    its threads), not wall time: on a shared machine wall time measures the
    neighbours; CPU time is what one core delivers.
    """
    batches = [list(texts[start : start + 1000]) for start in range(0, len(texts), 1000)]
    if len(batches) < 2:
        raise ValueError("speed needs at least two batches of different texts")
    model.score(batches[-1])
    done, turn, started = 0, 0, time.process_time()
    while time.process_time() - started < seconds:
        batch = batches[turn % len(batches)]
        model.score(batch)
        done, turn = done + len(batch), turn + 1
    return done / (time.process_time() - started)


def evaluate(name: str, model: SentimentModel) -> ModelResult:
    """``model`` on every eval set."""
    folder = Settings().sentiment_data
    sets = text_sets(folder, "eval")
    scores = {
        set_name: measure(labels, answers(model, texts))
        for set_name, (texts, labels) in sets.items()
    }
    mentions = entity_set(folder, "eval")
    scores |= measure_mentions(mentions, mention_answers(model, mentions.texts, mentions.spans))
    text_answer = None
    if isinstance(model, MentionSentimentModel):
        given = answers(model, mentions.texts)
        text_answer = measure_mentions(
            mentions, [[a] * len(f) for a, f in zip(given, mentions.spans, strict=True)]
        )
    sample = sets["social"][0] + sets["tfns"][0]
    return ModelResult(name, scores, speed(model, sample), text_answer)


def results() -> list[ModelResult]:
    """Every registered model, then VADER and the TF-IDF reference."""
    out = [evaluate(name, load_model(name)) for name in model_names()]
    out.append(evaluate("vader", Vader()))
    out.append(evaluate(TfidfReference.version, TfidfReference()))
    for r in out:
        print(r.name, {k: round(v.macro_f1, 3) for k, v in r.scores.items()}, flush=True)
    return out


def _cell(scores: Scores) -> str:
    return f"{scores.macro_f1:.3f} ({scores.accuracy:.3f})"


def _confusion(scores: Scores) -> str:
    return " · ".join("/".join(str(c) for c in row) for row in scores.confusion)


def sentiment_section(found: list[ModelResult] | None = None) -> str:
    """The sentiment section of docs/benchmarks.md."""
    found = found if found is not None else results()
    sets = list(SET_TITLES)
    lines = [
        "## Sentiment: held-out labelled data and speed",
        "",
        machine_line(),
        "",
        "Produced by `make eval` (`bench/sentiment_eval.py`) from `SENTIMENT_DATA`; the data,",
        "splits and models are described in docs/sentiment.md. Every set is one the models",
        "were never trained or tuned on. A model's answer is its most probable class when it",
        "has class probabilities (fast-v1, the TF-IDF reference), else its score's class by",
        "the neutral band",
        "(|score| ≤ 0.15 neutral; lexicon-v1, VADER). Macro-F1 over the classes each set has",
        "(the Surge posts in *social* have no neutral). Entity level: per-mention models",
        "answer for each mention; the others give every mention their text's answer. The",
        "TF-IDF reference (word 1–2-grams + char 2–5-grams, logistic regression, fitted on",
        "the same train split when the benchmark runs) is the issue's floor, not a product.",
        f"Default model: `{DEFAULT_MODEL}`. Speed: texts per CPU-second (per core) of one",
        "process scoring batches of 1,000 real posts and headlines (CPU time, not wall time:",
        "the machine is shared).",
        "",
        "Macro-F1 (accuracy):",
        "",
        "| model | " + " | ".join(SET_TITLES[s] for s in sets) + " | texts/s per core |",
        "|---|" + "---:|" * (len(sets) + 1),
    ]
    for r in found:
        cells = [_cell(r.scores[s]) for s in sets]
        lines.append(f"| {r.name} | " + " | ".join(cells) + f" | {r.texts_per_second:,.0f} |")
    for r in found:
        if r.text_answer is not None:
            cells = [_cell(r.text_answer[s]) for s in ("entities", "mixed")]
            lines.append(
                f"| {r.name}, every mention its text's answer | | | | {' | '.join(cells)} | |"
            )
    lines += [
        "",
        "Confusion per set (rows: true bearish · neutral · bullish; each row: answered",
        "bearish/neutral/bullish):",
        "",
        "| model | " + " | ".join(SET_TITLES[s] for s in sets) + " |",
        "|---|" + "---|" * len(sets),
    ]
    for r in found:
        lines.append(f"| {r.name} | " + " | ".join(_confusion(r.scores[s]) for s in sets) + " |")
    counts = ", ".join(f"{SET_TITLES[s]} {found[0].scores[s].count:,}" for s in sets)
    lines += ["", f"Sizes (texts; mentions at entity level): {counts}."]
    return "\n".join(lines)
