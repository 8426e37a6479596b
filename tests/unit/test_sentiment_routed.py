"""routed-v1: fast-v1's confident answers stand, the rest are minilm-ft-v2's."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.unit.network_reads import network_reads
from tickerpulse.enrich.sentiment import MentionSentimentModel, load_model, score_texts
from tickerpulse.enrich.sentiment.fast import FastModel
from tickerpulse.enrich.sentiment.minilm_ft import FineTunedMiniLM
from tickerpulse.enrich.sentiment.routed import RoutedModel, load_card, unsure

TEXTS = [
    "Company beats estimates and raises full-year guidance, shares surge",
    "Acme Steel soars on record profit while Bolt Motors plunges after a recall",
    "hmm not sure what to make of this one",
]


def _with_threshold(tmp_path: Path, threshold: float) -> RoutedModel:
    card = tmp_path / f"routed-{threshold}.json"
    card.write_text(json.dumps(load_card() | {"threshold": threshold}), "utf-8")
    return RoutedModel(card)


def test_texts_below_the_threshold_are_routed() -> None:
    probabilities = np.array([[0.1, 0.8, 0.1], [0.3, 0.4, 0.3], [0.5, 0.0, 0.5]])
    assert unsure(probabilities, 0.6).tolist() == [False, True, True]


def test_nothing_routed_is_fast_v1_everything_routed_is_the_transformer(tmp_path: Path) -> None:
    never, always = _with_threshold(tmp_path, 0.0), _with_threshold(tmp_path, 1.01)
    assert np.allclose(never.probabilities(TEXTS), FastModel().probabilities(TEXTS))
    assert np.allclose(
        always.probabilities(TEXTS), FineTunedMiniLM().probabilities(TEXTS), atol=1e-6
    )


def test_the_shipped_threshold_routes_only_the_unsure() -> None:
    model = RoutedModel()
    fast = FastModel().probabilities(TEXTS)
    routed = unsure(fast, model.threshold)
    assert routed.any() and not routed.all()
    mixed = model.probabilities(TEXTS)
    assert np.allclose(mixed[~routed], fast[~routed])
    assert not np.allclose(mixed[routed], fast[routed])
    assert 0.0 < model.threshold < 1.0


def test_several_mentions_are_read_by_the_transformer(tmp_path: Path) -> None:
    model = _with_threshold(tmp_path, 0.0)
    text = TEXTS[1]
    names = ["Acme Steel", "Bolt Motors"]
    spans = [[(text.index(n), text.index(n) + len(n)) for n in names]]
    (scores,) = model.score_mentions([text], spans)
    (expected,) = FineTunedMiniLM().score_mentions([text], spans)
    assert scores == pytest.approx(expected, abs=1e-6)
    assert scores[0] > 0 > scores[1]


def test_a_single_mention_follows_its_text_route(tmp_path: Path) -> None:
    text = TEXTS[0]
    span = [[(0, len("Company"))]]
    never, always = _with_threshold(tmp_path, 0.0), _with_threshold(tmp_path, 1.01)
    assert never.score_mentions([text], span)[0] == pytest.approx(
        FastModel().score_mentions([text], span)[0], abs=1e-9
    )
    assert always.score_mentions([text], span)[0] == pytest.approx(
        FineTunedMiniLM().score([text]), abs=1e-6
    )


def test_the_registry_serves_it_with_per_mention_scores() -> None:
    model = load_model("routed-v1")
    assert model.version == "routed-v1"
    assert isinstance(model, MentionSentimentModel)
    assert model.score([]) == []


def test_the_cycle_reads_a_routed_single_mention_text_once(tmp_path: Path) -> None:
    """score_texts scores the texts, then their mentions: the transformer reads each once."""
    model = _with_threshold(tmp_path, 1.01)  # every text routed
    single, several = TEXTS[0], TEXTS[1]
    names = ["Acme Steel", "Bolt Motors"]
    spans = [[(0, len("Company"))], [(several.index(n), several.index(n) + len(n)) for n in names]]
    with network_reads(model._accurate) as read:
        score_texts(model, [single, several], spans)
    assert read.count(single) == 1
    assert read.count(several) == 1
