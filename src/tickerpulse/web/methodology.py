"""What the public methodology page shows: live source volumes and the measured accuracy.

Two inputs, neither typed into a template by hand:

* **source volumes** come from the marts at request time (cached with the
  other views): documents and asset mentions per source over the last seven
  days of published windows;
* **accuracy** comes from ``measured_accuracy.json`` beside this package,
  which ``make bench`` / ``make eval`` rewrite from the tagging and sentiment
  sections of docs/benchmarks.md (``bench/figures.py``), so the page follows
  the last measurement without an edit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tickerpulse.db.models import MartAssetWindow, MartDocument
from tickerpulse.domain import NEWS_SOURCES, WINDOW
from tickerpulse.web import queries

FIGURES = Path(__file__).resolve().parents[1] / "measured_accuracy.json"
VOLUME_WINDOWS = 28
"""Seven days of 6-hour windows: the span the volumes are counted over."""
WINDOW_STARTS_UTC = ("00:00", "06:00", "12:00", "18:00")


@dataclass(frozen=True)
class SourceVolume:
    """One source's documents and asset mentions over the counted windows."""

    source: str
    kind: str
    documents: int
    mentions: int
    assets: int


@dataclass(frozen=True)
class TaggerScore:
    """Precision and recall of a tagger on one asset class of the gold set."""

    asset_class: str
    precision: float
    recall: float
    baseline_precision: float | None
    baseline_recall: float | None


@dataclass(frozen=True)
class ModelScore:
    """A sentiment model's macro-F1 and accuracy on each held-out set."""

    name: str
    scores: list[tuple[float, float] | None]
    texts_per_second: float
    default: bool


@dataclass(frozen=True)
class Accuracy:
    """The measured accuracy of tagging and sentiment, as the last benchmark run wrote it."""

    tagging_measured: str
    gold_texts: int | None
    tagger: str
    baseline: str
    tagging: list[TaggerScore]
    sentiment_measured: str
    default_model: str | None
    sets: list[str]
    models: list[ModelScore]

    @property
    def overall(self) -> TaggerScore:
        """The tagger's score over every class."""
        return next(t for t in self.tagging if t.asset_class == "all")

    @property
    def default(self) -> ModelScore | None:
        """The default sentiment model's scores, if measured."""
        return next((m for m in self.models if m.default), None)


@dataclass(frozen=True)
class MethodologyView:
    """The methodology page: the span counted, volumes per source and the accuracy."""

    first: datetime | None
    last: datetime | None
    volumes: list[SourceVolume] = field(default_factory=list)
    accuracy: Accuracy | None = None
    window_starts: tuple[str, ...] = WINDOW_STARTS_UTC

    @property
    def total_documents(self) -> int:
        """Documents over every source."""
        return sum(v.documents for v in self.volumes)

    @property
    def total_mentions(self) -> int:
        """Asset mentions over every source."""
        return sum(v.mentions for v in self.volumes)


def accuracy_from(figures: dict[str, Any], in_use: str | None = None) -> Accuracy:
    """The page's accuracy tables from the figures file's content.

    Args:
        figures: The parsed JSON (``tagging`` and ``sentiment`` objects).
        in_use: The sentiment model this site runs (``SENTIMENT_MODEL``), marked and
            listed first; the file's default model when not given.

    Returns:
        The tagger per class (beside the baseline) and every model on every set.
    """
    tagging, sentiment = figures["tagging"], figures["sentiment"]
    baseline = tagging["baseline"]["by_class"]
    taggers = [
        TaggerScore(
            asset_class, score["precision"], score["recall"],
            baseline.get(asset_class, {}).get("precision"),
            baseline.get(asset_class, {}).get("recall"),
        )
        for asset_class, score in tagging["by_class"].items()
    ]  # fmt: skip
    sets: list[str] = sentiment["sets"]
    default = in_use or sentiment.get("default_model")
    models = []
    for name, model in sentiment["models"].items():
        scores = [model["sets"].get(title) for title in sets]
        models.append(
            ModelScore(
                name,
                [None if s is None else (s["macro_f1"], s["accuracy"]) for s in scores],
                model["texts_per_second"],
                name == default,
            )
        )
    models.sort(key=lambda m: not m.default)  # the model the site runs first
    return Accuracy(
        tagging_measured=tagging["measured"], gold_texts=tagging.get("gold_texts"),
        tagger=tagging["tagger"], baseline=tagging["baseline"]["name"], tagging=taggers,
        sentiment_measured=sentiment["measured"], default_model=default, sets=sets,
        models=models,
    )  # fmt: skip


@cache
def load_accuracy(path: Path = FIGURES, in_use: str | None = None) -> Accuracy | None:
    """The accuracy in the figures file (read once per process); None if it is missing.

    ``in_use`` is the sentiment model the site runs (see :func:`accuracy_from`).
    """
    try:
        figures = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    return accuracy_from(figures, in_use)


def source_volumes(session: Session, *, since: datetime, until: datetime) -> list[SourceVolume]:
    """Documents and asset mentions per source in the windows ``since``…``until``, busiest first.

    Args:
        session: An open database session.
        since: First window start counted.
        until: Last window start counted.

    Returns:
        One row per source that landed a document or a mention in the span.
    """
    d, m = MartDocument, MartAssetWindow
    documents = dict(
        session.execute(
            select(d.source, func.count())
            .where(d.window_start >= since, d.window_start <= until)
            .group_by(d.source)
        ).all()
    )
    per_asset = (  # grouped twice rather than count(DISTINCT), which sorts every row
        select(m.source, m.asset_id, func.sum(m.mentions).label("mentions"))
        .where(m.window_start >= since, m.window_start <= until)
        .where(m.source != "all", m.source_class != "all")
        .group_by(m.source, m.asset_id)
        .subquery()
    )
    mentions = {
        source: (int(count or 0), int(assets))
        for source, count, assets in session.execute(
            select(per_asset.c.source, func.sum(per_asset.c.mentions), func.count()).group_by(
                per_asset.c.source
            )
        )
    }
    rows = [
        SourceVolume(
            source=source,
            kind="news" if source in NEWS_SOURCES else "social",
            documents=int(documents.get(source, 0)),
            mentions=mentions.get(source, (0, 0))[0],
            assets=mentions.get(source, (0, 0))[1],
        )
        for source in set(documents) | set(mentions)
    ]
    return sorted(rows, key=lambda r: (-r.documents, -r.mentions, r.source))


def methodology_view(
    session: Session, *, figures: Path = FIGURES, in_use: str | None = None
) -> MethodologyView:
    """The methodology page's view: the last seven days' volumes and the measured accuracy.

    ``in_use`` names the sentiment model the site runs, so the page marks that one.
    """
    accuracy = load_accuracy(figures, in_use)
    last = queries.latest_window(session)
    if last is None:
        return MethodologyView(first=None, last=None, accuracy=accuracy)
    first = last - (VOLUME_WINDOWS - 1) * WINDOW
    volumes = source_volumes(session, since=first, until=last)
    return MethodologyView(first=first, last=last, volumes=volumes, accuracy=accuracy)
