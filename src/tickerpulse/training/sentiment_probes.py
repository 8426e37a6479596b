"""Three probes behind the sentiment design, measured on dev only; nothing they fit ships.

``python -m tickerpulse.training.sentiment_probes curve``
    fast-v1's text model trained on nested shares of the train split (⅛ … all),
    with dev macro-F1 per set for each: does the fast model want more data?

``python -m tickerpulse.training.sentiment_probes static``
    Static word vectors distilled from MiniLM, as model2vec does: every word of
    the tokenizer's vocabulary and of the train split is read alone by the encoder
    (base all-MiniLM-L6-v2, and minilm-ft-v2), its last layer mean-pooled and cut
    to 256 dims by PCA; a text is the mean of its words' vectors. Heads on top:
    logistic regression, a one-layer MLP, and fast-v1's n-grams plus the vectors.
    Needs the ``accurate`` extra; reading ~31,000 words takes about 2½ min per encoder.

``python -m tickerpulse.training.sentiment_probes augment``
    Distillation without new text: two perturbed copies of every train text (a fifth
    of its words dropped; a random span of half to nine tenths of them) labelled by
    minilm-ft-v2, added to the gold train rows of fast-v1's text model, with the
    teacher's class as a hard label or half its probabilities and half that class
    as a soft one. Needs the ``accurate`` extra; the teacher reads ~32,000 texts in
    about 4 min on 2 cores.

Each prints a table of dev macro-F1 (TFNS, SEntFiN, social and their mean).
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from rich.progress import Progress
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier

from tickerpulse.config import Settings
from tickerpulse.enrich.sentiment.features import FeatureExtractor
from tickerpulse.enrich.sentiment.linear import Matrix as Weights
from tickerpulse.training.linear_fit import design_matrix, vocabulary
from tickerpulse.training.sentiment_data import CLASSES, Example, examples
from tickerpulse.training.sentiment_metrics import measure, text_sets
from tickerpulse.training.train_sentiment import COUNTS, Teacher, fit_text_model

SHARES = (0.125, 0.25, 0.5, 0.75, 1.0)
STATIC_DIMS = 256
_SEED = 0
_BATCH = 256
DROP_SHARE = 0.2
SPAN_SHARES = (0.5, 0.9)

Matrix = npt.NDArray[np.float32]
Encode = Callable[[Sequence[str]], Matrix]
"""Texts → one vector per text (the encoder's last-layer mean pool)."""
DevSets = dict[str, tuple[list[str], list[str]]]


def nested_subsets(
    size: int, shares: Sequence[float], seed: int = _SEED
) -> list[npt.NDArray[np.int64]]:
    """Sorted row indices for each share of ``size`` rows; each subset holds the smaller ones."""
    order = np.random.default_rng(seed).permutation(size)
    return [np.sort(order[: round(share * size)]) for share in shares]


def plain_words(extractor: FeatureExtractor, text: str) -> list[str]:
    """A text's word tokens without placeholders, negation marks removed."""
    words, _ = extractor.tokens(text)
    return [w.removeprefix("neg_") for w in words if not w.startswith("_")]


def mean_vectors(
    word_lists: Sequence[Sequence[str]], index: dict[str, int], table: Matrix
) -> Matrix:
    """Each text as the mean of its known words' rows of ``table`` (zeros if none is known)."""
    out = np.zeros((len(word_lists), table.shape[1]), dtype=np.float32)
    for row, words in enumerate(word_lists):
        known = [index[w] for w in words if w in index]
        if known:
            out[row] = table[known].mean(axis=0)
    return out


def pca(vectors: Matrix, dims: int) -> Matrix:
    """``vectors`` centred and projected on their first ``dims`` principal axes."""
    centred = vectors - vectors.mean(axis=0)
    _, _, axes = np.linalg.svd(centred, full_matrices=False)
    return np.asarray(centred @ axes[:dims].T, dtype=np.float32)


def dev_figures(predict: Callable[[list[str]], Sequence[int]], dev: DevSets) -> dict[str, float]:
    """Dev macro-F1 of each set and their mean, from a texts → class-index predictor."""
    figures = {
        name: round(measure(labels, [CLASSES[int(k)] for k in predict(texts)]).macro_f1, 4)
        for name, (texts, labels) in dev.items()
    }
    figures["mean"] = round(float(np.mean(list(figures.values()))), 4)
    return figures


def text_model_classes(
    extractor: FeatureExtractor, vocab: list[str], w: Weights, b: Weights
) -> Callable[[list[str]], list[int]]:
    """A texts → class-index predictor from fitted text-model weights (argmax of the logits)."""

    def predict(texts: list[str]) -> list[int]:
        logits = design_matrix(extractor.batch(texts), vocab, counts=COUNTS) @ w + b
        return [int(k) for k in np.argmax(logits, axis=1)]

    return predict


def _train_rows(folder: Path) -> list[Example]:
    return [r for r in examples(folder) if r.split == "train"]


def learning_curve(folder: Path, shares: Sequence[float] = SHARES) -> list[dict[str, float]]:
    """fast-v1's text model on nested shares of train: rows used and dev macro-F1 per set."""
    extractor = FeatureExtractor()
    rows = _train_rows(folder)
    features = extractor.batch(r.text for r in rows)
    dev = text_sets(folder, "dev")
    out = []
    with Progress() as progress:
        task = progress.add_task("learning curve", total=len(shares))
        for subset in nested_subsets(len(rows), shares):
            sub_features = [features[i] for i in subset]
            vocab = vocabulary(sub_features)
            w, b = fit_text_model(sub_features, [rows[i] for i in subset], vocab)
            predict = text_model_classes(extractor, vocab, w, b)
            out.append({"train_rows": float(len(subset))} | dev_figures(predict, dev))
            progress.advance(task)
    return out


def static_table(encode: Encode, words: Sequence[str], label: str) -> Matrix:
    """Each word read alone by ``encode``, in batches, with a progress bar."""
    parts = []
    with Progress() as progress:
        task = progress.add_task(f"reading words ({label})", total=len(words))
        for start in range(0, len(words), _BATCH):
            batch = words[start : start + _BATCH]
            parts.append(np.asarray(encode(batch), dtype=np.float32))
            progress.advance(task, len(batch))
    return np.concatenate(parts)


def _encoders() -> dict[str, Encode]:
    from tickerpulse.enrich.sentiment.minilm_encoder import MiniLMEncoder
    from tickerpulse.enrich.sentiment.minilm_ft import FineTunedMiniLM

    base = MiniLMEncoder()
    tuned = FineTunedMiniLM().encoder
    return {
        "all-MiniLM-L6-v2": lambda texts: base.encode(texts, batch_size=_BATCH)[:, -1],
        "minilm-ft-v2": lambda texts: tuned.encode(texts, batch_size=_BATCH)[:, -1],
    }


def _tokenizer_words() -> set[str]:
    from tickerpulse.enrich.sentiment.minilm_encoder import weights_folder

    vocab = json.loads((weights_folder() / "tokenizer.json").read_text("utf-8"))["model"]["vocab"]
    return {w for w in vocab if w.isascii() and w.isalpha() and w.islower()}


def _centre_and_scale(train: Matrix) -> tuple[Matrix, Matrix]:
    """Per-column mean and spread of the train vectors (the spread never 0)."""
    return train.mean(axis=0), train.std(axis=0) + 1e-6


def static_probe(
    folder: Path, encoders: dict[str, Encode] | None = None
) -> dict[str, dict[str, float]]:
    """Dev macro-F1 of static-vector heads per encoder, beside fast-v1's n-grams alone."""
    extractor = FeatureExtractor()
    rows = _train_rows(folder)
    y = np.asarray([CLASSES.index(r.label) for r in rows])
    weights = np.asarray([2.0 if r.dataset.startswith(("surge", "thakoor")) else 1.0 for r in rows])
    train_words = [plain_words(extractor, r.text) for r in rows]
    dev = text_sets(folder, "dev")
    features = extractor.batch(r.text for r in rows)
    vocab = vocabulary(features)
    grams = design_matrix(features, vocab, counts=COUNTS)

    def fit_predict(
        x: sp.csr_matrix | Matrix, dev_x: Callable[[list[str]], sp.csr_matrix | Matrix], c: float
    ) -> Callable[[list[str]], Sequence[int]]:
        model = LogisticRegression(C=c, max_iter=3000, class_weight="balanced").fit(x, y, weights)
        return lambda texts: model.predict(dev_x(texts))

    def gram_rows(texts: list[str]) -> sp.csr_matrix:
        return design_matrix(extractor.batch(texts), vocab, counts=COUNTS)

    results = {"fast-v1 n-grams (reference)": dev_figures(fit_predict(grams, gram_rows, 5.0), dev)}
    words = sorted(_tokenizer_words() | {w for ws in train_words for w in ws})
    index = {w: i for i, w in enumerate(words)}
    for name, encode in (encoders or _encoders()).items():
        table = pca(static_table(encode, words, name), STATIC_DIMS)
        raw_train = mean_vectors(train_words, index, table)
        centre, scale = _centre_and_scale(raw_train)

        def vectors(
            texts: list[str], table: Matrix = table, centre: Matrix = centre, scale: Matrix = scale
        ) -> Matrix:
            raw = mean_vectors([plain_words(extractor, t) for t in texts], index, table)
            return (raw - centre) / scale

        x = (raw_train - centre) / scale
        results[f"{name} static, logistic"] = dev_figures(fit_predict(x, vectors, 1.0), dev)
        mlp = MLPClassifier((256,), alpha=1e-3, early_stopping=True, random_state=_SEED).fit(x, y)

        def mlp_predict(
            texts: list[str],
            mlp: MLPClassifier = mlp,
            vectors: Callable[[list[str]], Matrix] = vectors,
        ) -> Sequence[int]:
            return list(mlp.predict(vectors(texts)))

        results[f"{name} static, MLP"] = dev_figures(mlp_predict, dev)
        both = sp.hstack([grams, 0.3 * sp.csr_matrix(x)]).tocsr()

        def both_rows(
            texts: list[str], vectors: Callable[[list[str]], Matrix] = vectors
        ) -> sp.csr_matrix:
            return sp.hstack([gram_rows(texts), 0.3 * sp.csr_matrix(vectors(texts))]).tocsr()

        results[f"fast-v1 n-grams + {name} static"] = dev_figures(
            fit_predict(both, both_rows, 5.0), dev
        )
    return results


def dropped_words(text: str, rng: random.Random, share: float = DROP_SHARE) -> str:
    """``text`` with each word dropped with probability ``share`` (its first word if none left)."""
    words = text.split()
    kept = [w for w in words if rng.random() >= share]
    return " ".join(kept or words[:1])


def word_span(text: str, rng: random.Random, shares: tuple[float, float] = SPAN_SHARES) -> str:
    """A random run of consecutive words covering a share of ``text`` drawn from ``shares``.

    Texts of fewer than four words get :func:`dropped_words` instead.
    """
    words = text.split()
    if len(words) < 4:
        return dropped_words(text, rng)
    size = max(2, int(len(words) * rng.uniform(*shares)))
    start = rng.randint(0, len(words) - size)
    return " ".join(words[start : start + size])


def augmented_rows(rows: Sequence[Example], seed: int = _SEED) -> list[tuple[str, Example]]:
    """Perturbed copies of ``rows`` (each with the row it came from), none equal to its source."""
    rng = random.Random(seed)
    out = []
    for row in rows:
        for perturb in (dropped_words, word_span):
            text = perturb(row.text, rng)
            if text != row.text:
                out.append((text, row))
    return out


def _teacher_probabilities(texts: Sequence[str]) -> Matrix:
    from tickerpulse.enrich.sentiment.minilm_ft import FineTunedMiniLM

    teacher = FineTunedMiniLM()
    parts = []
    with Progress() as progress:
        task = progress.add_task("teacher (minilm-ft-v2)", total=len(texts))
        for start in range(0, len(texts), 512):
            batch = texts[start : start + 512]
            parts.append(np.asarray(teacher.probabilities(batch), dtype=np.float32))
            progress.advance(task, len(batch))
    return np.concatenate(parts)


def augment_probe(
    folder: Path, teach: Callable[[Sequence[str]], Matrix] | None = None
) -> dict[str, dict[str, float]]:
    """Dev macro-F1 of fast-v1's text model on gold rows alone and with teacher-labelled copies."""
    extractor = FeatureExtractor()
    rows = _train_rows(folder)
    copies = augmented_rows(rows)
    probabilities = (teach or _teacher_probabilities)([text for text, _ in copies])
    taught = [
        Example(text, CLASSES[int(np.argmax(p))], source.dataset, "train")
        for (text, source), p in zip(copies, probabilities, strict=True)
    ]
    dev = text_sets(folder, "dev")
    gold_features = extractor.batch(r.text for r in rows)
    copy_features = extractor.batch(r.text for r in taught)
    onehot = np.eye(len(CLASSES), dtype=np.float32)
    soft: Teacher = {r.text: onehot[CLASSES.index(r.label)] for r in rows} | {
        r.text: p for r, p in zip(taught, probabilities, strict=True)
    }
    variants: dict[str, tuple[list[list[str]], list[Example], Teacher | None]] = {
        "gold train rows only (fast-v1's fit)": (gold_features, rows, None),
        f"+ {len(taught):,} copies, teacher's class": (
            gold_features + copy_features,
            rows + taught,
            None,
        ),
        f"+ {len(taught):,} copies, ½ teacher's probabilities + ½ its class": (
            gold_features + copy_features,
            rows + taught,
            soft,
        ),
    }
    results = {}
    for name, (features, fitted_rows, teacher) in variants.items():
        vocab = vocabulary(features)
        w, b = fit_text_model(features, fitted_rows, vocab, teacher)
        results[name] = dev_figures(text_model_classes(extractor, vocab, w, b), dev)
    return results


def _print_table(rows: dict[str, dict[str, float]]) -> None:
    columns = list(next(iter(rows.values())))
    print("| | " + " | ".join(columns) + " |")
    print("|---|" + "---:|" * len(columns))
    for name, figures in rows.items():
        print(f"| {name} | " + " | ".join(f"{figures[c]:g}" for c in columns) + " |")


def main(argv: Sequence[str] | None = None) -> None:
    """Run one probe on ``SENTIMENT_DATA`` (or ``--data``) and print its table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("probe", choices=("curve", "static", "augment"))
    parser.add_argument(
        "--data", type=Path, default=None, help="data folder (default SENTIMENT_DATA)"
    )
    args = parser.parse_args(argv)
    folder = args.data or Settings().sentiment_data
    if args.probe == "curve":
        curve = learning_curve(folder)
        _print_table(
            {
                f"{int(c['train_rows']):,} rows": {k: v for k, v in c.items() if k != "train_rows"}
                for c in curve
            }
        )
    elif args.probe == "static":
        _print_table(static_probe(folder))
    else:
        _print_table(augment_probe(folder))


if __name__ == "__main__":
    main()
