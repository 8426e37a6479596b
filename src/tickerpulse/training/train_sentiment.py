"""Train fast-v1 from ``SENTIMENT_DATA`` and write its artifact and model card.

``python -m tickerpulse.training.train_sentiment [--out FOLDER]``. Deterministic:
the same data gives the same weights. Steps:

1. text model: logistic regression (scikit-learn, L-BFGS, balanced classes, the
   small social sets weighted ×2) on the train split's features;
2. its temperature, fitted on dev;
3. per-mention model: on SEntFiN's per-entity train headlines, what a mention's
   clause adds to its text's logits; the text logits there come from text models
   trained without that headline's fold (out of fold), so the mention model
   learns from honest, not memorised, text scores; its temperature on dev;
4. figures on dev and eval for the card (eval is measured, never tuned on).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from sklearn.linear_model import LogisticRegression

from tickerpulse.config import Settings
from tickerpulse.enrich.sentiment.fast import ARTIFACTS, VERSION, artifact_paths, sha256_of
from tickerpulse.enrich.sentiment.features import FeatureExtractor
from tickerpulse.enrich.sentiment.linear import Matrix, encode_vocabulary
from tickerpulse.enrich.sentiment.mentions import mention_features
from tickerpulse.training.linear_fit import (
    design_matrix,
    fit_offset_logistic,
    fit_temperature,
    vocabulary,
)
from tickerpulse.training.sentiment_data import (
    CLASSES,
    DATASETS,
    Example,
    examples,
    normalized,
)
from tickerpulse.training.sentiment_metrics import (
    MentionSet,
    answers,
    entity_set,
    measure,
    measure_mentions,
    mention_answers,
    text_sets,
    to_label,
)

TEXT_C = 5.0
SOCIAL_WEIGHT = 2.0
MENTION_L2 = 0.1
FOLDS = 3
CHAR_NGRAMS = True
COUNTS = True
SOURCES = {
    "twitter_financial_news_sentiment": "Twitter Financial News Sentiment (zeroshot), via "
    "github.com/umaima-aman/Twee_Sentiment_Analysis-DeepLearning @ a313e151; MIT (dataset card)",
    "sentfin_v1": "SEntFiN 1.0 (Sinha et al. 2022), github.com/pyRis/SEntFiN @ 84c747fc; MIT",
    "thakoor_twitter_stock_sentiment": "github.com/poojathakoor/twitter-stock-sentiment"
    " @ 0a0b21dd; MIT",
    "surge_crypto_sentiment": "Surge AI, github.com/surge-ai/crypto-sentiment @ 4721c5b5; MIT",
    "surge_stock_sentiment": "Surge AI, github.com/surge-ai/stock-sentiment @ c82156a0; MIT",
}

IntArray = npt.NDArray[np.int64]
Teacher = Mapping[str, npt.NDArray[np.float32]]
"""A teacher model's class probabilities per train text (distillation, fast-v2)."""
SOFT_SHARE = 0.5
"""With a teacher, the text model's target is this share of the teacher's probabilities
plus the rest of the one-hot label."""


def _labels(values: Sequence[str]) -> IntArray:
    return np.asarray([CLASSES.index(v) for v in values], dtype=np.int64)


def fit_text_model(
    features: Sequence[Sequence[str]],
    rows: Sequence[Example],
    vocab: Sequence[str],
    teacher: Teacher | None = None,
) -> tuple[Matrix, Matrix]:
    """Weights (vocabulary × classes) and bias of the text model on ``rows``.

    With a ``teacher`` the target of each row is :data:`SOFT_SHARE` of the teacher's
    probabilities plus the rest of its label: every row appears once per class,
    weighted by that class's share of the target (cross-entropy with soft targets);
    classes stay balanced by the rows' labels.
    """
    weights = np.asarray(
        [SOCIAL_WEIGHT if r.dataset.startswith(("surge", "thakoor")) else 1.0 for r in rows]
    )
    x = design_matrix(features, vocab, counts=COUNTS)
    y = _labels([r.label for r in rows])
    if teacher is None:
        model = LogisticRegression(C=TEXT_C, max_iter=3000, class_weight="balanced")
        model.fit(x, y, weights)
        return model.coef_.T.copy(), model.intercept_.copy()
    balanced = len(y) / (len(CLASSES) * np.bincount(y, minlength=len(CLASSES)))
    soft = np.asarray([teacher[r.text] for r in rows], dtype=np.float64)
    target = SOFT_SHARE * soft + (1.0 - SOFT_SHARE) * np.eye(len(CLASSES))[y]
    row_weight = weights * balanced[y]
    model = LogisticRegression(C=TEXT_C, max_iter=3000)
    model.fit(
        sp.vstack([x] * len(CLASSES)).tocsr(),
        np.repeat(np.arange(len(CLASSES)), len(y)),
        np.concatenate([target[:, k] * row_weight for k in range(len(CLASSES))]),
    )
    return model.coef_.T.copy(), model.intercept_.copy()


def _logits(
    features: Sequence[Sequence[str]], vocab: Sequence[str], w: Matrix, b: Matrix
) -> Matrix:
    result: Matrix = design_matrix(features, vocab, counts=COUNTS) @ w + b
    return result


def _fold(text: str) -> int:
    return int.from_bytes(hashlib.sha1(b"fold" + normalized(text).encode()).digest()[:4]) % FOLDS


def _mention_rows(
    mentions: MentionSet, text_logits: Matrix
) -> tuple[list[list[str]], Matrix, IntArray]:
    features, offsets, labels = [], [], []
    for t, (text, spans, names) in enumerate(
        zip(mentions.texts, mentions.spans, mentions.labels, strict=True)
    ):
        for i, label in enumerate(names):
            features.append(mention_features(text, spans, i))
            offsets.append(text_logits[t])
            labels.append(label)
    return features, np.asarray(offsets).reshape(-1, 3), _labels(labels)


def _write_npz(path: Path, arrays: dict[str, npt.NDArray[Any]]) -> None:
    """np.savez_compressed with fixed timestamps, so equal weights give equal bytes."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, array in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.asarray(array, order="C"), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, buffer.getvalue())


def _figures(scores: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: {"macro_f1": round(s.macro_f1, 4), "accuracy": round(s.accuracy, 4), "n": s.count}
        for name, s in scores.items()
    }


@dataclass(frozen=True)
class Trained:
    """The fitted pieces of fast-v1."""

    vocab: list[str]
    weights: Matrix
    bias: Matrix
    temperature: float
    mention_vocab: list[str]
    mention_weights: Matrix
    mention_bias: Matrix
    mention_temperature: float
    train_texts: int


def _fit_text(
    rows: list[Example], features: list[list[str]], progress: Progress, teacher: Teacher | None
) -> tuple[list[str], Matrix, Matrix, float, list[Example], list[list[str]]]:
    """The text model on train, its temperature on dev; also the train rows and features."""
    steps = progress.add_task("text model", total=2)
    train_rows = [r for r in rows if r.split == "train"]
    train_feats = [f for r, f in zip(rows, features, strict=True) if r.split == "train"]
    vocab = vocabulary(train_feats)
    w, b = fit_text_model(train_feats, train_rows, vocab, teacher)
    progress.advance(steps)
    dev = [(r, f) for r, f in zip(rows, features, strict=True) if r.split == "dev"]
    dev_logits = _logits([f for _, f in dev], vocab, w, b)
    temperature = fit_temperature(dev_logits, _labels([r.label for r, _ in dev]))
    progress.advance(steps)
    return vocab, w, b, temperature, train_rows, train_feats


def _out_of_fold_logits(
    mentions: MentionSet,
    train_rows: list[Example],
    train_feats: list[list[str]],
    vocab: list[str],
    progress: Progress,
    teacher: Teacher | None,
) -> Matrix:
    """Each entity-train headline's text logits from a text model that never saw its fold."""
    steps = progress.add_task("out-of-fold text models", total=FOLDS)
    extractor = FeatureExtractor(char_ngrams=CHAR_NGRAMS)
    entity_feats = [extractor.features(t) for t in mentions.texts]
    folds = [_fold(t) for t in mentions.texts]
    oof = np.zeros((len(mentions.texts), 3))
    for k in range(FOLDS):
        keep = [
            j for j, r in enumerate(train_rows) if r.dataset != "sentfin_v1" or _fold(r.text) != k
        ]
        wk, bk = fit_text_model(
            [train_feats[j] for j in keep], [train_rows[j] for j in keep], vocab, teacher
        )
        mine = [j for j, f in enumerate(folds) if f == k]
        oof[mine] = _logits([entity_feats[j] for j in mine], vocab, wk, bk)
        progress.advance(steps)
    return oof


def train_model(folder: Path, teacher: Teacher | None = None) -> Trained:
    """Fit the model on ``folder``'s train split, tuned on dev (with a progress bar)."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
    )
    extractor = FeatureExtractor(char_ngrams=CHAR_NGRAMS)
    rows = list(examples(folder))
    with Progress(*columns) as progress:
        task = progress.add_task("features", total=len(rows))
        features = []
        for row in rows:
            features.append(extractor.features(row.text))
            progress.advance(task)
        vocab, w, b, temperature, train_rows, train_feats = _fit_text(
            rows, features, progress, teacher
        )
        entities_train, entities_dev = entity_set(folder, "train"), entity_set(folder, "dev")
        oof = _out_of_fold_logits(entities_train, train_rows, train_feats, vocab, progress, teacher)
        steps = progress.add_task("mention model", total=1)
        m_feats, m_offsets, m_labels = _mention_rows(entities_train, oof)
        m_vocab = vocabulary(m_feats)
        mw, mb = fit_offset_logistic(
            design_matrix(m_feats, m_vocab), m_labels, m_offsets, MENTION_L2
        )
        dev_text = _logits([extractor.features(t) for t in entities_dev.texts], vocab, w, b)
        d_feats, d_offsets, d_labels = _mention_rows(entities_dev, dev_text)
        d_logits = design_matrix(d_feats, m_vocab) @ mw + mb + d_offsets
        mention_temperature = fit_temperature(d_logits, d_labels)
        progress.advance(steps)
    return Trained(vocab, w, b, temperature, m_vocab, mw, mb, mention_temperature, len(train_rows))


def _card(folder: Path, weights_path: Path, trained: Trained, version: str) -> dict[str, Any]:
    return {
        "version": version,
        "trained_at": datetime.now(UTC).strftime("%Y-%m-%d"),
        "task": "bearish / neutral / bullish; score = P(bullish) - P(bearish)",
        "artifact": {
            "file": weights_path.name,
            "sha256": sha256_of(weights_path),
            "bytes": weights_path.stat().st_size,
        },
        "features": {
            "char_ngrams": CHAR_NGRAMS,
            "counts": COUNTS,
            "text_vocabulary": len(trained.vocab),
            "mention_vocabulary": len(trained.mention_vocab),
        },
        "hyperparameters": {
            "text_c": TEXT_C,
            "social_weight": SOCIAL_WEIGHT,
            "class_weight": "balanced",
            "mention_l2": MENTION_L2,
            "out_of_fold_folds": FOLDS,
            "text_temperature": trained.temperature,
            "mention_temperature": trained.mention_temperature,
        },
        "data": {
            "folder": "SENTIMENT_DATA (see docs/sentiment.md)",
            "splits": "fixed by tickerpulse.training.sentiment_data:"
            " train to fit, dev to tune, eval to report",
            "sha256": {d: sha256_of(folder / d / "data.jsonl") for d in DATASETS}
            | {"sentfin_v1/entities.jsonl": sha256_of(folder / "sentfin_v1" / "entities.jsonl")},
            "train_texts": trained.train_texts,
            "licences": SOURCES,
        },
    }


def train(
    folder: Path, out: Path, version: str = VERSION, teacher: Teacher | None = None
) -> dict[str, Any]:
    """Train on ``folder``'s data, write ``out``/<version>.{npz,json}, return the card."""
    trained = train_model(folder, teacher)
    out.mkdir(parents=True, exist_ok=True)
    weights_path, card_path = artifact_paths(version, out)
    _write_npz(
        weights_path,
        {
            "text_vocab": encode_vocabulary(trained.vocab),
            "text_weights": trained.weights.astype(np.float32),
            "text_bias": trained.bias.astype(np.float32),
            "text_temperature": np.asarray(trained.temperature),
            "mention_vocab": encode_vocabulary(trained.mention_vocab),
            "mention_weights": trained.mention_weights.astype(np.float32),
            "mention_bias": trained.mention_bias.astype(np.float32),
            "mention_temperature": np.asarray(trained.mention_temperature),
        },
    )
    card = _card(folder, weights_path, trained, version)
    _write_card(card_path, card)  # the model loads against its card: figures come after
    card["figures"] = {
        "labels": "argmax of the class probabilities (*_band: neutral band |score| <= 0.15)",
        **evaluate(folder, out, version),
    }
    _write_card(card_path, card)
    return card


def _write_card(path: Path, card: dict[str, Any]) -> None:
    path.write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def evaluate(folder: Path, artifacts: Path, version: str = VERSION) -> dict[str, Any]:
    """Dev and eval figures of the model in ``artifacts`` (per text and per mention)."""
    from tickerpulse.enrich.sentiment.fast import FastModel

    figures: dict[str, Any] = {}
    for split in ("dev", "eval"):
        model = FastModel(version, artifacts)
        scores: dict[str, Any] = {}
        for name, (texts, labels) in text_sets(folder, split).items():
            scores[name] = measure(labels, answers(model, texts))
            scores[f"{name}_band"] = measure(labels, [to_label(s) for s in model.score(texts)])
        mentions = entity_set(folder, split)
        scores |= measure_mentions(mentions, mention_answers(model, mentions.texts, mentions.spans))
        text_only = answers(model, mentions.texts)
        scores |= {
            f"{k}_text_class": v
            for k, v in measure_mentions(
                mentions, [[a] * len(f) for a, f in zip(text_only, mentions.spans, strict=True)]
            ).items()
        }
        figures[split] = _figures(scores)
    return figures


def main(argv: Sequence[str] | None = None) -> None:
    """Parse arguments, train, print the eval figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out", type=Path, default=ARTIFACTS, help="folder for the artifact and card"
    )
    parser.add_argument(
        "--data", type=Path, default=None, help="data folder (default SENTIMENT_DATA)"
    )
    args = parser.parse_args(argv)
    card = train(args.data or Settings().sentiment_data, args.out)
    print(json.dumps(card["figures"], indent=2))


if __name__ == "__main__":
    main()
