"""Fit routed-v1's threshold on dev: how unsure fast-v1 must be to ask minilm-ft-v2.

``python -m tickerpulse.training.route_threshold`` (needs the ``accurate`` extra and
``SENTIMENT_DATA``). Both shipped models read the dev split (never eval); for each
share of dev texts routed (fast-v1's least confident 5 %, 10 % … 60 %) the dev mean
macro-F1 over TFNS, SEntFiN and social is measured, and the smallest share that
recovers :data:`RECOVER` of the transformer's gain over fast-v1 is kept. The
threshold is fast-v1's top-class probability at that share; it and every share's
figures go into ``artifacts/routed-v1.json``, then the eval figures of the routed
model close the card (what ``make eval`` reports and the guard test holds it to).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tickerpulse.config import Settings
from tickerpulse.enrich.sentiment.fast import FastModel
from tickerpulse.enrich.sentiment.minilm_ft import FineTunedMiniLM
from tickerpulse.enrich.sentiment.routed import CARD, VERSION, RoutedModel, unsure
from tickerpulse.training.sentiment_data import CLASSES, Example, examples
from tickerpulse.training.sentiment_metrics import eval_figures, group_figures, text_sets

Matrix = NDArray[np.floating[Any]]
RECOVER = 0.8
"""The share of the transformer's dev gain over fast-v1 the routing must keep."""
SHARES = tuple(round(0.05 * k, 2) for k in range(1, 13))


def dev_mean(rows: Sequence[Example], probabilities: Matrix) -> float:
    """Mean macro-F1 over the text sets of ``rows``, answering by argmax."""
    predicted = [CLASSES[int(k)] for k in probabilities.argmax(axis=1)]
    figures = group_figures([r.dataset for r in rows], [r.label for r in rows], predicted)
    return figures["mean"]["macro_f1"]


def choose(rows: Sequence[Example], fast: Matrix, accurate: Matrix) -> dict[str, Any]:
    """The threshold and every share's dev figure (see the module docstring)."""
    confidence = fast.max(axis=1)
    floor, ceiling = dev_mean(rows, fast), dev_mean(rows, accurate)
    tried = []
    for share in SHARES:
        threshold = float(np.quantile(confidence, share))
        mixed = np.where(unsure(fast, threshold)[:, None], accurate, fast)
        tried.append(
            {"share": share, "threshold": round(threshold, 4), "dev_mean": dev_mean(rows, mixed)}
        )
    wanted = floor + RECOVER * (ceiling - floor)
    pick = next((t for t in tried if t["dev_mean"] >= wanted), tried[-1])
    return {
        "threshold": pick["threshold"],
        "dev": {
            "fast_v1_mean": round(floor, 4),
            "minilm_ft_v2_mean": round(ceiling, 4),
            "routed_share": pick["share"],
            "routed_mean": round(pick["dev_mean"], 4),
            "rule": f"smallest share recovering {RECOVER:.0%} of the transformer's gain",
            "tried": [t | {"dev_mean": round(t["dev_mean"], 4)} for t in tried],
        },
    }


def routed_eval_figures(folder: Path, card: Path) -> dict[str, Any]:
    """routed-v1's eval figures (as every card keeps them) and each text set's share routed."""
    model = RoutedModel(card)
    found: dict[str, Any] = eval_figures(model, folder)
    fast = FastModel()
    for name, (texts, _) in text_sets(folder, "eval").items():
        share = unsure(fast.probabilities(texts), model.threshold).mean()
        found[name]["routed_share"] = round(float(share), 3)
    return found


def fit(folder: Path, out: Path = CARD) -> dict[str, Any]:
    """Choose the threshold on dev, write the card, measure eval into it; the card."""
    rows = [e for e in examples(folder) if e.split == "dev"]
    texts = [r.text for r in rows]
    card: dict[str, Any] = {
        "version": VERSION,
        "trained_at": datetime.now(UTC).strftime("%Y-%m-%d"),
        "models": {"fast": "fast-v1", "accurate": "minilm-ft-v2"},
        **choose(rows, FastModel().probabilities(texts), FineTunedMiniLM().probabilities(texts)),
    }
    out.write_text(json.dumps(card, indent=1) + "\n", "utf-8")
    card["figures"] = {"eval": routed_eval_figures(folder, out)}
    out.write_text(json.dumps(card, indent=1) + "\n", "utf-8")
    return card


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None, help="SENTIMENT_DATA by default")
    parser.add_argument("--out", type=Path, default=CARD)
    args = parser.parse_args(argv)
    card = fit(args.data or Settings().sentiment_data, args.out)
    print(json.dumps({k: card[k] for k in ("threshold", "dev", "figures")}, indent=1))


if __name__ == "__main__":
    main()
