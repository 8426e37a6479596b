"""minilm-ft-v2 and routed-v1 keep the eval figures their cards report (needs SENTIMENT_DATA).

Slow: the transformer reads the ~5k held-out texts and the multi-mention headlines'
mentions (a few minutes on a quiet core).
"""

from __future__ import annotations

import pytest

from tickerpulse.config import Settings
from tickerpulse.enrich.sentiment import load_model
from tickerpulse.training.sentiment_data import MissingData, data_folder
from tickerpulse.training.sentiment_metrics import eval_figures

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
    found = eval_figures(model, folder)
    assert set(found) == {"tfns", "sentfin", "social", "entities", "mixed"}
    for figure, scores in found.items():
        assert scores["macro_f1"] >= reported[figure]["macro_f1"] - MARGIN, figure
