"""minilm-v1: hash-checked weights, the shipped head and card, scores and their direction."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from tickerpulse.enrich.sentiment.dense_head import DenseHead
from tickerpulse.enrich.sentiment.minilm import ARTIFACTS, MiniLMModel, model_card
from tickerpulse.enrich.sentiment.minilm_encoder import (
    EXPECTED_SHA256,
    MiniLMEncoder,
    TamperedWeights,
    sha256_of,
    weights_folder,
)
from tickerpulse.enrich.sentiment.ngram_head import NgramHead
from tickerpulse.enrich.sentiment.registry import load_model


@pytest.fixture(scope="module")
def model() -> MiniLMModel:
    return MiniLMModel()


def _copy_of_weights(tmp_path: Path) -> Path:
    """The real files, the large one linked rather than copied."""
    source = weights_folder()
    (tmp_path / "model.safetensors").symlink_to(source / "model.safetensors")
    shutil.copyfile(source / "tokenizer.json", tmp_path / "tokenizer.json")
    return tmp_path


def test_the_installed_files_are_the_published_ones() -> None:
    folder = weights_folder()
    for name, expected in EXPECTED_SHA256.items():
        assert sha256_of(folder / name) == expected


def test_a_tampered_tokenizer_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    folder = _copy_of_weights(tmp_path)
    tokenizer = folder / "tokenizer.json"
    tokenizer.write_text(tokenizer.read_text().replace('"[UNK]"', '"[UNK2]"', 1))
    with pytest.raises(TamperedWeights, match=r"tokenizer\.json has SHA-256 .* refusing"):
        MiniLMEncoder(folder)


def test_substituted_weights_are_refused(tmp_path: Path) -> None:
    folder = _copy_of_weights(tmp_path)
    (folder / "model.safetensors").unlink()
    (folder / "model.safetensors").write_bytes(b"\x08" + b"\x00" * 7 + b"{}")
    with pytest.raises(TamperedWeights, match=r"model\.safetensors has SHA-256"):
        MiniLMEncoder(folder)


def test_missing_weights_are_refused(tmp_path: Path) -> None:
    folder = _copy_of_weights(tmp_path)
    (folder / "model.safetensors").unlink()
    with pytest.raises(TamperedWeights, match="missing"):
        MiniLMEncoder(folder)


def test_encoder_matches_the_published_sentence_similarity(model: MiniLMModel) -> None:
    # sentence-transformers documents ~0.755 cosine for this pair with all-MiniLM-L6-v2
    encoder = MiniLMEncoder()
    pooled = encoder.encode(["A man is eating food.", "A man is eating a piece of bread."])[:, -1]
    unit = pooled / np.linalg.norm(pooled, axis=1, keepdims=True)
    assert float(unit[0] @ unit[1]) == pytest.approx(0.755, abs=0.01)


def test_batching_and_padding_do_not_change_a_text_s_features() -> None:
    encoder = MiniLMEncoder()
    texts = ["short one", "a much longer text that needs padding of the shorter one in its batch"]
    together = encoder.encode(texts)
    alone = encoder.encode(texts[:1])
    np.testing.assert_allclose(together[0], alone[0], atol=1e-4)


@pytest.mark.parametrize(
    ("text", "sign"),
    [
        ("Shares soar after the company beats estimates and raises its full-year outlook", 1),
        ("Loading up on more calls, this one is going much higher", 1),
        ("Stock plunges as the company misses badly and slashes guidance", -1),
        ("Regulators open a fraud probe; shares crater to a record low", -1),
    ],
)
def test_direction_on_hand_written_texts(model: MiniLMModel, text: str, sign: int) -> None:
    (score,) = model.score([text])
    assert score * sign > 0.3


def test_a_plain_announcement_is_near_neutral(model: MiniLMModel) -> None:
    (score,) = model.score(["The company will hold its annual shareholder meeting on Tuesday"])
    assert abs(score) < 0.5


def test_scores_are_in_range_for_odd_inputs(model: MiniLMModel) -> None:
    texts = ["", "   ", "$TSLA", "up " * 5000, "\x00\x01\ufffd binary", "🚀🚀🚀", "NOT GOOD!!!"]
    scores = model.score(texts)
    assert len(scores) == len(texts)
    assert all(-1.0 <= s <= 1.0 for s in scores)
    assert model.score([]) == []


def test_probabilities_are_calibrated_rows(model: MiniLMModel) -> None:
    probabilities = model.probabilities(["earnings beat", "earnings miss", "earnings date"])
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert (probabilities >= 0).all()


def test_registry_names_it() -> None:
    assert load_model("minilm-v1").version == "minilm-v1"


def test_head_round_trips_without_pickle(tmp_path: Path) -> None:
    head = DenseHead.load(ARTIFACTS / "head.npz")
    head.save(tmp_path / "head.npz")
    again = DenseHead.load(tmp_path / "head.npz")
    pooled = np.random.default_rng(0).normal(size=(4, 6, 384)).astype(np.float32)
    np.testing.assert_allclose(again.probabilities(pooled), head.probabilities(pooled))


def test_ngram_head_round_trips_and_weighs_words(tmp_path: Path) -> None:
    head = NgramHead.load(ARTIFACTS / "ngram.npz")
    head.save(tmp_path / "ngram.npz")
    again = NgramHead.load(tmp_path / "ngram.npz")
    texts = ["beats estimates, upgrade", "misses estimates, downgrade"]
    np.testing.assert_allclose(again.logits(texts), head.logits(texts), atol=1e-5)
    up, down = head.logits(texts)
    assert up[2] - up[0] > down[2] - down[0]


def test_card_describes_the_shipped_files() -> None:
    card = model_card()
    assert card["model"] == "minilm-v1"
    assert card["encoder"]["licence"] == "Apache-2.0"
    assert card["encoder"]["sha256"] == EXPECTED_SHA256
    for name, digest in card["artifacts_sha256"].items():
        assert sha256_of(ARTIFACTS / name) == digest, name
    assert card["blend"]["temperature"] > 0
    assert card["texts_per_second_per_core"] > 0
    json.dumps(card)
