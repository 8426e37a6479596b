"""minilm-ft-v2 keeps the eval figures its model card reports (needs SENTIMENT_DATA).

Slow: the transformer reads the ~5k held-out texts and the multi-mention headlines'
mentions (a few minutes on a quiet core).
"""

from __future__ import annotations

import pytest

from tickerpulse.config import Settings
from tickerpulse.enrich.sentiment import load_model
from tickerpulse.training.sentiment_data import MissingData, data_folder
from tickerpulse.training.sentiment_metrics import (
    answers,
    entity_set,
    measure,
    measure_mentions,
    mention_answers,
    text_sets,
)

MARGIN = 0.01


@pytest.mark.slow
@pytest.mark.timeout(1800)  # numpy over ~6k rows: minutes on a quiet core, far more on a busy one
@pytest.mark.parametrize("name", ["minilm-ft-v2", "routed-v1"])
def test_eval_figures_do_not_fall_below_the_card(name: str) -> None:
    try:
        folder = data_folder(Settings().sentiment_data)
    except MissingData as missing:
        pytest.skip(f"no labelled sentiment data, so no eval figures to check: {missing}")
    model = load_model(name)
    reported = model.card["figures"]["eval"]  # type: ignore[attr-defined]
    for name, (texts, labels) in text_sets(folder, "eval").items():
        found = measure(labels, answers(model, texts)).macro_f1
        assert found >= reported[name]["macro_f1"] - MARGIN, name
    mentions = entity_set(folder, "eval")
    per_mention = measure_mentions(mentions, mention_answers(model, mentions.texts, mentions.spans))
    for name, scores in per_mention.items():
        assert scores.macro_f1 >= reported[name]["macro_f1"] - MARGIN, name
