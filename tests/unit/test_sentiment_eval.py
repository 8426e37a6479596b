"""The default model against its measured eval figures, and the measures themselves."""

import itertools
from pathlib import Path

import pytest

from tickerpulse.config import Settings
from tickerpulse.enrich.sentiment import DEFAULT_MODEL, LexiconModel, load_model
from tickerpulse.enrich.sentiment.fast import load_card
from tickerpulse.training.sentiment_data import MissingData, data_folder
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

MARGIN = 0.01


def _data() -> Path:
    folder = Settings().sentiment_data
    try:
        return data_folder(folder)
    except MissingData as missing:
        pytest.skip(f"{missing} — the eval regression test needs the labelled data")


def test_macro_f1_is_over_the_classes_the_set_has() -> None:
    scores = measure(["bullish", "bearish", "bullish"], ["bullish", "neutral", "bullish"])
    assert scores.macro_f1 == pytest.approx((1.0 + 0.0) / 2)
    assert scores.accuracy == pytest.approx(2 / 3)
    assert scores.confusion == ((0, 1, 0), (0, 0, 0), (0, 0, 2))


def test_scores_map_to_classes_by_the_neutral_band() -> None:
    assert [to_label(s) for s in (-0.5, -0.15, 0.0, 0.15, 0.16)] == [
        "bearish", "neutral", "neutral", "neutral", "bullish",
    ]  # fmt: skip


def test_models_with_probabilities_answer_by_argmax_others_by_band() -> None:
    assert answers(LexiconModel(), ["record profits, upgrade", "$AAPL"]) == ["bullish", "neutral"]


def test_mixed_headlines_are_measured_apart() -> None:
    mentions = MentionSet(
        texts=["a up b down", "c up"],
        spans=[[(0, 1), (5, 6)], [(0, 1)]],
        labels=[["bullish", "bearish"], ["bullish"]],
        mixed=[True, False],
    )
    found = measure_mentions(mentions, [["bullish", "bullish"], ["bullish"]])
    assert found["entities"].count == 3 and found["mixed"].count == 2
    assert found["mixed"].accuracy == pytest.approx(0.5)


def test_default_model_holds_its_measured_eval_figures() -> None:
    folder = _data()
    model = load_model(DEFAULT_MODEL)
    card = load_card(model.version)
    expected = card["figures"]["eval"]
    for name, (texts, labels) in text_sets(folder, "eval").items():
        found = measure(labels, answers(model, texts)).macro_f1
        assert found >= expected[name]["macro_f1"] - MARGIN, name
    mentions = entity_set(folder, "eval")
    per_mention = measure_mentions(mentions, mention_answers(model, mentions.texts, mentions.spans))
    for name, scores in per_mention.items():
        assert scores.macro_f1 >= expected[name]["macro_f1"] - MARGIN, name


def test_default_model_beats_the_lexicon_on_every_eval_set() -> None:
    folder = _data()
    default, lexicon = load_model(DEFAULT_MODEL), load_model("lexicon-v1")
    for name, (texts, labels) in text_sets(folder, "eval").items():
        ours = measure(labels, answers(default, texts)).macro_f1
        baseline = measure(labels, answers(lexicon, texts)).macro_f1
        assert ours > baseline + 0.1, name


def test_speed_never_scores_the_same_batch_twice_in_a_row() -> None:
    """A model that remembers its last call must not be timed on that memory."""
    from bench.sentiment_eval import speed

    calls: list[tuple[str, ...]] = []

    class Recording:
        version = "recording"

        def score(self, texts: list[str]) -> list[float]:
            calls.append(tuple(texts))
            return [0.0] * len(texts)

    assert speed(Recording(), [f"text {i}" for i in range(2500)], seconds=0.05) > 0
    assert len(calls) >= 3
    assert all(a != b for a, b in itertools.pairwise(calls))
    with pytest.raises(ValueError, match="two batches"):
        speed(Recording(), ["one"], seconds=0.01)
