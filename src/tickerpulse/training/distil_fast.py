"""fast-v2: fast-v1's features and pipeline, its text model fitted to minilm-ft-v2's answers.

``python -m tickerpulse.training.distil_fast [--out DIR]`` (needs torch, the ``train``
group; ``make train-sentiment`` runs it after the fine-tuning). The teacher is the
shipped minilm-ft-v2 (its int8 tensors, dequantised, run in torch for speed); it reads
the train split's texts only, and its calibrated probabilities, half and half with the
labels, are the text model's targets (:func:`~.train_sentiment.fit_text_model`).
Everything else — features, per-mention model, temperatures on dev, figures on eval —
is fast-v1's training (:mod:`.train_sentiment`), written as ``fast-v2.{npz,json}``.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from tickerpulse.config import Settings
from tickerpulse.enrich.sentiment.fast import ARTIFACTS
from tickerpulse.enrich.sentiment.minilm_ft import ARTIFACTS as TEACHER_ARTIFACTS
from tickerpulse.training.minilm_twin import TorchTwin
from tickerpulse.training.sentiment_data import examples
from tickerpulse.training.train_sentiment import train

VERSION = "fast-v2"


def teacher_probabilities(
    texts: Sequence[str], folder: Path = TEACHER_ARTIFACTS
) -> NDArray[np.float32]:
    """minilm-ft-v2's calibrated class probabilities of ``texts`` (torch, CPU)."""
    return TorchTwin(folder).probabilities(texts)


def distil(
    folder: Path, out: Path, teacher: Path = TEACHER_ARTIFACTS, threads: int = 2
) -> dict[str, Any]:
    """Label the train texts with the teacher in ``teacher``, train fast-v2; its card."""
    torch.set_num_threads(threads)
    texts = sorted({e.text for e in examples(folder) if e.split == "train"})
    started = time.monotonic()
    probabilities = teacher_probabilities(texts, teacher)
    print(f"teacher: {len(texts)} train texts in {time.monotonic() - started:.0f} s", flush=True)
    card = train(folder, out, VERSION, dict(zip(texts, probabilities, strict=True)))
    card_path = out / f"{VERSION}.json"
    stored = json.loads(card_path.read_text("utf-8"))
    stored["teacher"] = {
        "model": "minilm-ft-v2",
        "texts": "the train split's only",
        "target": "0.5 × teacher's calibrated probabilities + 0.5 × one-hot label",
    }
    card_path.write_text(json.dumps(stored, indent=2, ensure_ascii=False) + "\n", "utf-8")
    return card


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None, help="SENTIMENT_DATA by default")
    parser.add_argument("--out", type=Path, default=ARTIFACTS)
    parser.add_argument("--teacher", type=Path, default=TEACHER_ARTIFACTS)
    args = parser.parse_args(argv)
    card = distil(args.data or Settings().sentiment_data, args.out, args.teacher)
    print(json.dumps(card["figures"]["eval"], indent=1))


if __name__ == "__main__":
    main()
