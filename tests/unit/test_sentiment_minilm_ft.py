"""minilm-ft-v2: int8 storage, the fine-tuned layers in the numpy encoder, the shipped
artifact (hash-checked), per-mention scores, and agreement with the torch model it came from."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.unit.network_reads import network_reads
from tickerpulse.config import Settings
from tickerpulse.enrich.sentiment import MentionSentimentModel, load_model, score_texts
from tickerpulse.enrich.sentiment.minilm_encoder import MiniLMEncoder
from tickerpulse.enrich.sentiment.minilm_ft import (
    ARTIFACTS,
    ArtifactMismatch,
    FineTunedMiniLM,
    mention_input,
    model_card,
)
from tickerpulse.enrich.sentiment.quantized import dequantize, quantize
from tickerpulse.training.sentiment_data import MissingData, examples

ARTIFACT_BUDGET_BYTES = 25_000_000
"""All of the package's sentiment artifacts together (issue 19)."""


@pytest.fixture(scope="module")
def model() -> FineTunedMiniLM:
    return FineTunedMiniLM()


def test_int8_storage_keeps_each_row_within_half_a_step_and_vectors_in_float16() -> None:
    rng = np.random.default_rng(3)
    matrix = (rng.normal(size=(6, 10)) * np.array([[0.01], [1], [5], [0.2], [3], [0]])).astype(
        np.float32
    )
    vector = rng.normal(size=10).astype(np.float32)
    stored = quantize({"m": matrix, "v": vector})
    assert stored["m"].dtype == np.int8 and stored["v"].dtype == np.float16
    back = dequantize(stored)
    step = np.abs(matrix).max(axis=1, keepdims=True) / 127
    assert np.all(np.abs(back["m"] - matrix) <= step / 2 + 1e-7)
    assert np.allclose(back["v"], vector, atol=1e-2)
    assert set(back) == {"m", "v"}


def test_a_replaced_tensor_must_have_the_base_shape() -> None:
    with pytest.raises(ValueError, match="shape"):
        MiniLMEncoder(replaced={"encoder.layer.5.output.dense.bias": np.zeros(3, np.float32)})


def test_replaced_layers_change_what_the_encoder_computes() -> None:
    base = MiniLMEncoder()
    name = "encoder.layer.5.output.dense.bias"
    changed = MiniLMEncoder(replaced={name: np.full(384, 0.5, np.float32)})
    text = ["Shares jump after record profit"]
    assert not np.allclose(base.encode(text)[:, -1], changed.encode(text)[:, -1])
    assert np.allclose(base.encode(text)[:, 0], changed.encode(text)[:, 0])


def test_the_registry_serves_it_with_per_mention_scores() -> None:
    loaded = load_model("minilm-ft-v2")
    assert loaded.version == "minilm-ft-v2"
    assert isinstance(loaded, MentionSentimentModel)


def test_scores_follow_the_text(model: FineTunedMiniLM) -> None:
    bullish, bearish, flat = model.score(
        [
            "Company beats estimates and raises full-year guidance, shares surge",
            "Company misses estimates and cuts guidance, shares plunge",
            "Company to hold annual general meeting on Tuesday",
        ]
    )
    assert bullish > 0.5 and bearish < -0.5 and abs(flat) < 0.5
    probabilities = model.probabilities(["Stock rallies", ""])
    assert np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)


def test_each_of_several_mentions_is_read_on_its_own(model: FineTunedMiniLM) -> None:
    """Several mentions: the network reads "<mention> [SEP] <text>" for each (how well it
    tells them apart is measured by the eval, mixed-label headlines); one mention: the text."""
    text = "Acme Steel soars on record profit while Bolt Motors plunges after a recall"
    names = ["Acme Steel", "Bolt Motors"]
    spans = [(text.index(n), text.index(n) + len(n)) for n in names]
    (scores,) = model.score_mentions([text], [spans])
    expected = model.score([mention_input(text, n) for n in names])
    assert scores == pytest.approx(expected, abs=1e-6)
    assert scores != pytest.approx(model.score([text]) * 2, abs=1e-3)
    single = "Acme Steel soars on record profit"
    (alone,) = model.score_mentions([single], [[spans[0]]])
    assert alone == pytest.approx(model.score([single]), abs=1e-6)
    missing = model.score_mentions([text], [[spans[0], (-1, -1)]])[0]
    assert missing[1] == pytest.approx(model.score([text])[0], abs=1e-6)


def test_a_changed_artifact_refuses_to_load(tmp_path: Path) -> None:
    folder = tmp_path / "minilm-ft-v2"
    shutil.copytree(ARTIFACTS, folder)
    data = bytearray((folder / "layers.npz").read_bytes())
    data[-100] ^= 1
    (folder / "layers.npz").write_bytes(bytes(data))
    with pytest.raises(ArtifactMismatch):
        FineTunedMiniLM(folder)


def test_the_package_artifacts_stay_small() -> None:
    root = ARTIFACTS.parent
    total = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    assert total <= ARTIFACT_BUDGET_BYTES


def test_numpy_int8_model_answers_as_the_torch_model_did_on_dev(model: FineTunedMiniLM) -> None:
    """The card keeps the torch model's probabilities for the first dev texts (by hash)."""
    try:
        dev = [e.text for e in examples(Settings().sentiment_data) if e.split == "dev"]
    except MissingData as missing:
        pytest.skip(f"{missing} — the agreement check needs the dev texts")
    sample = model_card()["agreement"]["sample"]
    texts = dev[: len(sample)]
    assert [hashlib.sha1(t.encode()).hexdigest() for t in texts] == [s["sha1"] for s in sample]
    ours = model.probabilities(texts)
    theirs = np.asarray([s["probabilities"] for s in sample])
    assert (ours.argmax(axis=1) == theirs.argmax(axis=1)).mean() >= 0.95
    assert np.abs(ours - theirs).max() < 0.05


def test_the_cycle_reads_each_tagged_text_once(model: FineTunedMiniLM) -> None:
    """score_texts asks for the texts' scores, then their mentions': one network pass each."""
    text = "Acme Steel soars on record profit while Bolt Motors plunges"
    names = ["Acme Steel", "Bolt Motors"]
    spans = [[(text.index(n), text.index(n) + len(n)) for n in names], []]
    with network_reads(model) as read:
        scored = score_texts(model, [text, "Shares flat", "Shares flat"], [*spans, []])
    assert sorted(read) == sorted([text, "Shares flat", *(mention_input(text, n) for n in names)])
    assert scored.scores[1] == scored.scores[2]
    assert scored.mentions[0] != [scored.scores[0]] * 2
