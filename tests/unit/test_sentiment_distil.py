"""Distillation: with a teacher, the fast text model learns the teacher's soft answers too."""

from __future__ import annotations

import numpy as np

from tickerpulse.training.linear_fit import design_matrix, vocabulary
from tickerpulse.training.sentiment_data import Example
from tickerpulse.training.train_sentiment import COUNTS, fit_text_model


def _rows() -> tuple[list[Example], list[list[str]]]:
    rows, features = [], []
    for word, label in (("up", "bullish"), ("down", "bearish"), ("flat", "neutral")):
        for k in range(12):
            rows.append(Example(f"{word} {k}", label, "sentfin_v1", "train"))
            features.append([word, f"n{k}"])
    return rows, features


def _p_neutral_of_up(teacher: dict[str, np.ndarray] | None) -> float:
    rows, features = _rows()
    vocab = vocabulary(features)
    w, b = fit_text_model(features, rows, vocab, teacher)
    logits = design_matrix([["up"]], vocab, counts=COUNTS) @ w + b
    probabilities = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
    return float(probabilities[0, 1])


def test_a_teacher_that_reads_a_word_as_neutral_pulls_the_student_towards_neutral() -> None:
    rows, _ = _rows()
    teacher = {
        r.text: np.asarray(
            (0.0, 1.0, 0.0)
            if r.label == "bullish"
            else np.eye(3)[("bearish", "neutral", "bullish").index(r.label)],
            dtype=np.float32,
        )
        for r in rows
    }
    alone, taught = _p_neutral_of_up(None), _p_neutral_of_up(teacher)
    assert taught > alone + 0.1
    assert taught < 0.9  # half of the target is still the label
