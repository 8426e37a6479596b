"""The methodology page's accuracy file follows docs/benchmarks.md, as `make bench` leaves it."""

from __future__ import annotations

import json
from pathlib import Path

from bench.figures import FIGURES, figures_from, write_figures
from bench.report import DOC

from tickerpulse.web.methodology import FIGURES as SHIPPED
from tickerpulse.web.methodology import accuracy_from, load_accuracy


def test_the_shipped_figures_are_those_of_the_benchmark_document() -> None:
    assert SHIPPED == FIGURES
    shipped = json.loads(FIGURES.read_text(encoding="utf-8"))
    assert shipped == figures_from(DOC.read_text(encoding="utf-8")), (
        "src/tickerpulse/measured_accuracy.json is stale: run `python -m bench.figures`"
    )


def test_the_figures_are_the_tables_numbers() -> None:
    figures = figures_from(DOC.read_text(encoding="utf-8"))
    ours = figures["tagging"]["by_class"]["all"]
    row = f"| tickerpulse {figures['tagging']['tagger']} | all | {ours['precision']:.3f} |"
    assert row in DOC.read_text(encoding="utf-8")
    default = figures["sentiment"]["default_model"]
    first_set = figures["sentiment"]["sets"][0]
    score = figures["sentiment"]["models"][default]["sets"][first_set]
    assert f"| {default} | {score['macro_f1']:.3f} ({score['accuracy']:.3f}) |" in DOC.read_text(
        encoding="utf-8"
    )


def test_a_new_measurement_rewrites_the_file_and_the_page_reads_it(tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"
    text = DOC.read_text(encoding="utf-8")
    figures = figures_from(text)
    old = figures["tagging"]["by_class"]["all"]["precision"]
    doc.write_text(text.replace(f"| all | {old:.3f} |", "| all | 0.912 |", 1), encoding="utf-8")
    target = tmp_path / "measured_accuracy.json"
    write_figures(doc, target)
    accuracy = load_accuracy(target)
    assert accuracy is not None
    assert accuracy.overall.precision == 0.912
    assert accuracy.default is not None and accuracy.default.name == "fast-v1"


def test_the_model_in_use_comes_first_and_missing_cells_stay_empty() -> None:
    figures = json.loads(FIGURES.read_text(encoding="utf-8"))
    figures["sentiment"]["default_model"] = "vader"
    del figures["sentiment"]["models"]["vader"]["sets"][figures["sentiment"]["sets"][-1]]
    accuracy = accuracy_from(figures)
    assert accuracy.models[0].name == "vader" and accuracy.models[0].default
    assert accuracy.models[0].scores[-1] is None


def test_no_file_no_accuracy(tmp_path: Path) -> None:
    assert load_accuracy(tmp_path / "missing.json") is None
