"""Scoring predictions against labels, per evaluation group of the labelled data.

Macro-F1 is taken over the classes a group's true labels have (the Surge sets have
no neutral: predicting neutral there is simply wrong). The groups follow the issue's
table: finance news tweets (TFNS), headlines (SEntFiN) and social posts (the Thakoor
and Surge sets together).
"""

from __future__ import annotations

from collections.abc import Sequence

from sklearn.metrics import accuracy_score, f1_score

GROUPS: dict[str, tuple[str, ...]] = {
    "tfns": ("twitter_financial_news_sentiment",),
    "sentfin": ("sentfin_v1",),
    "social": (
        "thakoor_twitter_stock_sentiment",
        "surge_crypto_sentiment",
        "surge_stock_sentiment",
    ),
}
"""Evaluation group → the data sets it pools."""


def macro_f1(truth: Sequence[str], predicted: Sequence[str]) -> float:
    """Macro-F1 over the classes present in ``truth``."""
    labels = sorted(set(truth))
    return float(f1_score(truth, predicted, labels=labels, average="macro", zero_division=0))


def group_figures(
    datasets: Sequence[str], truth: Sequence[str], predicted: Sequence[str]
) -> dict[str, dict[str, float]]:
    """Per group of :data:`GROUPS`: ``{"macro_f1", "accuracy", "n"}``, plus their mean.

    ``"mean"`` is the unweighted mean of the groups' macro-F1, the figure heads are
    chosen by, so the large TFNS set does not drown the social posts.
    """
    figures: dict[str, dict[str, float]] = {}
    for group, members in GROUPS.items():
        rows = [i for i, name in enumerate(datasets) if name in members]
        if not rows:
            continue
        group_truth = [truth[i] for i in rows]
        group_predicted = [predicted[i] for i in rows]
        figures[group] = {
            "macro_f1": round(macro_f1(group_truth, group_predicted), 4),
            "accuracy": round(float(accuracy_score(group_truth, group_predicted)), 4),
            "n": len(rows),
        }
    scores = [figure["macro_f1"] for figure in figures.values()]
    figures["mean"] = {"macro_f1": round(sum(scores) / len(scores), 4) if scores else 0.0}
    return figures
