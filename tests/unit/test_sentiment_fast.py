import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from tickerpulse.enrich.sentiment import (
    DEFAULT_MODEL,
    MentionSentimentModel,
    load_model,
    mention_scores,
    model_names,
)
from tickerpulse.enrich.sentiment.fast import (
    ARTIFACTS,
    VERSION,
    ArtifactMismatch,
    FastModel,
    artifact_paths,
    load_card,
    sha256_of,
)

ARTIFACT_BUDGET = 25 * 1024 * 1024


@pytest.fixture(scope="module")
def model() -> FastModel:
    return FastModel()


def test_shipped_artifact_matches_its_card() -> None:
    weights, _ = artifact_paths()
    card = load_card()
    assert card["version"] == VERSION
    assert sha256_of(weights) == card["artifact"]["sha256"]
    assert weights.stat().st_size == card["artifact"]["bytes"]


def test_artifacts_stay_within_the_repository_budget() -> None:
    total = sum(p.stat().st_size for p in ARTIFACTS.iterdir())
    assert total <= ARTIFACT_BUDGET


def test_tampered_weights_are_refused(tmp_path: Path) -> None:
    for path in artifact_paths():
        shutil.copy(path, tmp_path / path.name)
    card_path = tmp_path / f"{VERSION}.json"
    card = json.loads(card_path.read_text())
    card["artifact"]["sha256"] = "0" * 64
    card_path.write_text(json.dumps(card))
    with pytest.raises(ArtifactMismatch, match="retrain"):
        FastModel(VERSION, tmp_path)


def test_registry_names_fast_v1_and_it_is_the_default() -> None:
    assert "fast-v1" in model_names()
    assert load_model("fast").version == "fast-v1"
    assert DEFAULT_MODEL == "fast-v1"
    assert isinstance(load_model("fast-v1"), MentionSentimentModel)


def test_scores_are_bounded_and_probabilities_sum_to_one(model: FastModel) -> None:
    texts = ["Shares soar after record quarter", "Company files for bankruptcy", "", "ok"]
    scores = model.score(texts)
    assert all(-1 <= s <= 1 for s in scores)
    assert model.probabilities(texts).sum(axis=1) == pytest.approx([1.0] * 4)
    assert model.score([]) == []


@pytest.mark.parametrize(
    ("text", "sign"),
    [
        ("Shares soar after record quarter, guidance raised", 1),
        ("$TSLA to the moon 🚀🚀🚀", 1),
        ("Stock plunges after profit warning, CEO resigns", -1),
        ("Company files for bankruptcy protection", -1),
    ],
)
def test_clear_texts_get_the_right_sign(model: FastModel, text: str, sign: int) -> None:
    assert model.score([text])[0] * sign > 0.15


def test_cashtag_only_and_empty_posts_are_neutral(model: FastModel) -> None:
    assert model.score(["$AAPL", "$TSLA $NVDA https://t.co/abc", "", "   "]) == [0.0] * 4


def test_negation_turns_a_bullish_post_down(model: FastModel) -> None:
    plain, negated = model.score(["bullish on $AMD", "not bullish on $AMD"])
    assert negated < plain


@pytest.mark.parametrize(
    ("text", "spans", "up_first"),
    [
        ("Tata Motors shares surge 8%, Maruti shares plunge 6%", [(0, 11), (29, 35)], True),
        ("Infosys shares jump 5% while Wipro falls 3%", [(0, 7), (29, 34)], True),
        ("took profits on TSLA, loading NVDA", [(16, 20), (30, 34)], False),
    ],
)
def test_each_mention_gets_its_own_score(
    model: FastModel, text: str, spans: list[tuple[int, int]], up_first: bool
) -> None:
    [[first, second]] = model.score_mentions([text], [spans])
    assert (first - second if up_first else second - first) > 0.3
    assert mention_scores(model, [text], [spans]) == [[first, second]]


def test_mentions_of_an_empty_text_are_neutral(model: FastModel) -> None:
    assert model.score_mentions(["$AAPL $MSFT", "x"], [[(0, 5), (6, 11)], []]) == [[0.0, 0.0], []]


def test_cached_word_ids_score_as_the_training_features_do(model: FastModel) -> None:
    texts = ["Shares soooo up!!! 🚀 $TSLA", "not bad at all, qwertyzz", "HUGE LOSS", ""]
    served, _ = model._text_logits(texts * 2)  # the second round reads the word cache
    trained = model.text.logits([model.features.features(t) for t in texts * 2])
    assert np.allclose(served, trained)
