"""minilm-v1 keeps the eval figures its model card reports (needs SENTIMENT_DATA).

Slow: the transformer encodes the ~5k held-out texts (about a minute on one core).
"""

from __future__ import annotations

import pytest

from tickerpulse.config import Settings
from tickerpulse.enrich.sentiment.minilm import CLASSES, MiniLMModel, model_card
from tickerpulse.training.sentiment_data import MissingData, examples
from tickerpulse.training.sentiment_metrics import group_figures

MARGIN = 0.01


@pytest.mark.slow
def test_eval_figures_do_not_fall_below_the_card() -> None:
    try:
        held_out = [e for e in examples(Settings().sentiment_data) if e.split == "eval"]
    except MissingData as missing:
        pytest.skip(f"no labelled sentiment data, so no eval figures to check: {missing}")
    probabilities = MiniLMModel().probabilities([e.text for e in held_out])
    predicted = [CLASSES[i] for i in probabilities.argmax(axis=1)]
    figures = group_figures([e.dataset for e in held_out], [e.label for e in held_out], predicted)
    reported = model_card()["figures"]["minilm-v1"]["eval"]
    for group, figure in reported.items():
        assert figures[group]["macro_f1"] >= figure["macro_f1"] - MARGIN, group
