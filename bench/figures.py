"""The measured accuracy the methodology page shows, as a small JSON file beside the code.

``make bench`` and ``make eval`` write the *tagging* and *sentiment* sections of
docs/benchmarks.md; this module reads those two sections' tables back and
writes their figures to :data:`FIGURES` (``src/tickerpulse/measured_accuracy.json``),
the file the site reads. One source of truth: the figures are whatever the
last run wrote into the document, and a test holds the JSON to the document.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from bench.report import DOC

FIGURES = Path(__file__).resolve().parents[1] / "src" / "tickerpulse" / "measured_accuracy.json"
_MEASURED = re.compile(r"_Measured (\d{4}-\d\d-\d\d \d\d:\d\d UTC)")
_GOLD = re.compile(r"`tests/data/tagging_gold\.jsonl`, ([\d,]+) hand-checked")
_DEFAULT = re.compile(r"Default model: `([^`]+)`")
_SCORE = re.compile(r"([\d.]+) \(([\d.]+)\)")


def section(text: str, name: str) -> str:
    """The body of the ``<!-- bench:name -->`` section of a benchmarks document.

    Raises:
        ValueError: If the document has no such section.
    """
    found = re.search(rf"<!-- bench:{re.escape(name)} -->(.*?)<!-- /bench:{name} -->", text, re.S)
    if found is None:
        raise ValueError(f"docs/benchmarks.md has no {name!r} section")
    return found.group(1)


def _table_rows(body: str, header_starts: str) -> tuple[list[str], list[list[str]]]:
    """The header cells and row cells of the first table whose header starts so."""
    lines = body.splitlines()
    for i, line in enumerate(lines):
        if line.startswith(header_starts):
            header = [c.strip() for c in line.strip().strip("|").split("|")]
            rows = []
            for row in lines[i + 2 :]:
                if not row.startswith("|"):
                    break
                rows.append([c.strip() for c in row.strip().strip("|").split("|")])
            return header, rows
    raise ValueError(f"no table starting {header_starts!r}")


def _measured(body: str) -> str:
    found = _MEASURED.search(body)
    if found is None:
        raise ValueError("a section without its _Measured …_ line")
    return found.group(1)


def tagging_figures(body: str) -> dict[str, Any]:
    """Precision and recall per class of our tagger and of the naive one, from the section."""
    _, rows = _table_rows(body, "| tagger | class |")
    taggers: dict[str, dict[str, dict[str, float]]] = {}
    for tagger, asset_class, precision, recall, *_ in rows:
        taggers.setdefault(tagger, {})[asset_class] = {
            "precision": float(precision),
            "recall": float(recall),
        }
    gold = _GOLD.search(body)
    ours = next(name for name in taggers if name.startswith("tickerpulse"))
    return {
        "measured": _measured(body),
        "gold_texts": int(gold.group(1).replace(",", "")) if gold else None,
        "tagger": ours.removeprefix("tickerpulse ").strip(),
        "by_class": taggers[ours],
        "baseline": {"name": "naive regex per asset", "by_class": taggers.get(
            "naive regex per asset", {})},
    }  # fmt: skip


def sentiment_figures(body: str) -> dict[str, Any]:
    """Macro-F1 and accuracy of every model on every held-out set, from the section."""
    header, rows = _table_rows(body, "| model |")
    sets = header[1:-1]  # the last column is the speed
    models: dict[str, dict[str, Any]] = {}
    for name, *cells in rows:
        scores = {}
        for title, cell in zip(sets, cells[:-1], strict=True):
            found = _SCORE.fullmatch(cell)
            if found:
                scores[title] = {"macro_f1": float(found[1]), "accuracy": float(found[2])}
        speed = cells[-1].replace(",", "")
        if scores and speed:
            models[name] = {"sets": scores, "texts_per_second": float(speed)}
    default = _DEFAULT.search(body)
    return {
        "measured": _measured(body),
        "default_model": default.group(1) if default else None,
        "sets": sets,
        "models": models,
    }


def figures_from(text: str) -> dict[str, Any]:
    """The methodology page's figures from the text of docs/benchmarks.md."""
    return {
        "source": "docs/benchmarks.md",
        "tagging": tagging_figures(section(text, "tagging")),
        "sentiment": sentiment_figures(section(text, "sentiment")),
    }


def write_figures(doc: Path = DOC, target: Path = FIGURES) -> dict[str, Any]:
    """Read the document's tagging and sentiment sections and write the JSON file; returns it."""
    figures = figures_from(doc.read_text(encoding="utf-8"))
    target.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return figures


if __name__ == "__main__":
    write_figures()
