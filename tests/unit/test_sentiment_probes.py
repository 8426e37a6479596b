"""The probes' building blocks: nested train shares, word means, PCA and dev figures."""

from __future__ import annotations

import random

import numpy as np
import pytest

from tickerpulse.enrich.sentiment.features import FeatureExtractor
from tickerpulse.training.sentiment_data import Example
from tickerpulse.training.sentiment_probes import (
    augmented_rows,
    dev_figures,
    dropped_words,
    mean_vectors,
    nested_subsets,
    pca,
    plain_words,
    text_model_classes,
    word_span,
)


def test_train_shares_are_nested_sized_and_the_same_on_every_run() -> None:
    subsets = nested_subsets(1000, (0.125, 0.5, 1.0))
    assert [len(s) for s in subsets] == [125, 500, 1000]
    assert set(subsets[0]) <= set(subsets[1]) <= set(subsets[2])
    assert all(
        np.array_equal(a, b)
        for a, b in zip(subsets, nested_subsets(1000, (0.125, 0.5, 1.0)), strict=True)
    )
    assert not np.array_equal(subsets[0], np.arange(125))  # a random draw, not the file's head


def test_words_drop_placeholders_and_negation_marks() -> None:
    words = plain_words(FeatureExtractor(), "$TSLA not soaring, see https://x.co 5%")
    assert words == ["not", "soaring", "see"]


def test_a_text_is_the_mean_of_its_known_words_and_zero_without_any() -> None:
    table = np.asarray([[1.0, 0.0], [0.0, 2.0]], dtype=np.float32)
    index = {"up": 0, "down": 1}
    out = mean_vectors([["up", "down", "unknown"], ["unknown"], ["up", "up"]], index, table)
    assert out.tolist() == [[0.5, 1.0], [0.0, 0.0], [1.0, 0.0]]


def test_pca_keeps_the_axis_of_most_variance_first() -> None:
    rng = np.random.default_rng(1)
    points = np.stack([rng.normal(0, 10, 500), rng.normal(0, 1, 500), rng.normal(0, 0.1, 500)], 1)
    projected = pca(points.astype(np.float32), 2)
    assert projected.shape == (500, 2)
    assert projected[:, 0].std() == pytest.approx(10, rel=0.1)
    assert projected[:, 1].std() == pytest.approx(1, rel=0.1)


def test_dev_figures_are_macro_f1_per_set_and_their_mean() -> None:
    dev = {
        "a": (["up", "down"], ["bullish", "bearish"]),
        "b": (["up", "flat"], ["bullish", "bullish"]),
    }
    answer = {"up": 2, "down": 0, "flat": 1}
    figures = dev_figures(lambda texts: [answer[t] for t in texts], dev)
    assert figures["a"] == 1.0
    assert figures["b"] == pytest.approx(2 / 3, abs=1e-4)  # F1 of bullish: 1 of 2 found
    assert figures["mean"] == pytest.approx((1.0 + 2 / 3) / 2, abs=1e-4)


TEXT = "shares of acme jump after record quarter and a raised full year outlook"


def test_dropping_words_keeps_the_rest_in_order_and_never_empties_a_text() -> None:
    words = TEXT.split()
    dropped = dropped_words(TEXT, random.Random(3)).split()
    assert 0 < len(dropped) < len(words)
    positions = [words.index(w) for w in dropped]
    assert positions == sorted(positions)
    assert dropped_words("alone", random.Random(0), share=1.0) == "alone"


def test_a_span_is_consecutive_words_covering_half_to_nine_tenths() -> None:
    for seed in range(20):
        span = word_span(TEXT, random.Random(seed))
        assert span in TEXT
        assert 0.5 * len(TEXT.split()) - 1 <= len(span.split()) <= 0.9 * len(TEXT.split())


def test_copies_differ_from_their_source_and_repeat_with_the_seed() -> None:
    rows = [Example(TEXT, "bullish", "sentfin_v1", "train"), Example("up", "bullish", "x", "train")]
    copies = augmented_rows(rows)
    assert copies == augmented_rows(rows)
    assert all(text != source.text for text, source in copies)
    assert {source.text for _, source in copies} == {TEXT}  # a one-word text has no other copy


def test_a_text_model_answers_the_class_of_its_largest_logit() -> None:
    w = np.asarray([[0.0, 0.0, 2.0], [2.0, 0.0, 0.0]])  # "up" → bullish, "down" → bearish
    predict = text_model_classes(FeatureExtractor(), ["down", "up"], w[::-1], np.zeros(3))
    assert predict(["up", "down", "sideways"]) == [2, 0, 0]  # nothing known: a tie, the first
