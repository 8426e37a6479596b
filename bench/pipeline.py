"""Posts/s through normalize → enrich (tag + sentiment) → aggregate, ours against the naive peer.

Both pipelines get the same simulated raw lines (generation is not timed) in
the same process run, so the ratio between them is what to read; absolute
numbers move with the machine's load.
"""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pyarrow as pa
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from bench.naive_peer import asset_patterns, naive_pipeline, naive_tag
from tickerpulse.domain import PRICE_BAR_SCHEMA, SOCIAL_SOURCES, Window
from tickerpulse.enrich.batch import enrich_documents
from tickerpulse.enrich.normalize import normalize_documents
from tickerpulse.enrich.sentiment import LabelBands, LexiconModel, SentimentModel, load_model
from tickerpulse.enrich.tagger import Tagger, document_texts
from tickerpulse.jobs.engines.duckdb import aggregate_window
from tickerpulse.lake.window_data import WindowInputs, price_priority_table
from tickerpulse.sources.simulator import SimulatedWorld, WorldConfig
from tickerpulse.universe import Universe, load_universe

WINDOWS = 20
START = datetime(2026, 3, 2, tzinfo=UTC)


@dataclass
class PipelineRun:
    """Timings of one pipeline over one input size."""

    name: str
    posts: int
    seconds: dict[str, float] = field(default_factory=dict)
    model: str = ""
    """The sentiment model's version (our pipeline only)."""

    @property
    def total(self) -> float:
        """Seconds over all stages."""
        return sum(self.seconds.values())

    @property
    def posts_per_second(self) -> float:
        """Throughput over all stages."""
        return self.posts / self.total


def simulated_lines(
    posts: int, seed: int = 11
) -> tuple[SimulatedWorld, dict[Window, list[tuple[str, bytes]]]]:
    """About ``posts`` social lines over :data:`WINDOWS` windows, grouped by window."""
    config = WorldConfig(
        seed=seed,
        start=START,
        days=WINDOWS // 4,
        posts_per_window=posts // WINDOWS,
        news_per_window=0,
    )
    world = SimulatedWorld(config, load_universe())
    by_window = {
        w: [(s, line) for s in SOCIAL_SOURCES for line in world.raw_lines(s, w)]
        for w in world.windows
    }
    return world, by_window


def run_ours(
    by_window: dict[Window, list[tuple[str, bytes]]],
    universe: Universe,
    model: SentimentModel | None = None,
) -> PipelineRun:
    """Our pipeline, stage by stage, as the cycle runs it (the default model unless given).

    Enrichment is the cycle's own :func:`~tickerpulse.enrich.batch.enrich_documents`:
    tagging, each text's score and each mention's.
    """
    model = model or load_model()
    posts = sum(len(v) for v in by_window.values())
    name = f"tickerpulse (orjson, Arrow, tagger {Tagger.version}, {model.version}, DuckDB)"
    run = PipelineRun(name, posts, model=model.version)
    tagger, bands = Tagger(universe), LabelBands()
    clock = dict.fromkeys(("normalize", "enrich", "aggregate"), 0.0)
    for window, lines in by_window.items():
        t0 = time.perf_counter()
        tables = []
        for source in SOCIAL_SOURCES:
            batch = normalize_documents(source, (line for s, line in lines if s == source))
            tables.append(batch.table)
        docs = pa.concat_tables(tables)
        t1 = time.perf_counter()
        enriched = enrich_documents(tagger, model, bands, docs)
        t2 = time.perf_counter()
        inputs = WindowInputs(
            documents=with_run_id(docs, window),
            sentiment=with_run_id(enriched.sentiment, window),
            mentions=with_run_id(enriched.mentions, window),
            prices=PRICE_BAR_SCHEMA.append(pa.field("run_id", pa.string())).empty_table(),
            price_priority=price_priority_table(["prices"]),
        )
        aggregate_window(inputs, window)
        t3 = time.perf_counter()
        for stage, seconds in zip(clock, (t1 - t0, t2 - t1, t3 - t2), strict=True):
            clock[stage] += seconds
    run.seconds = clock
    return run


def with_run_id(table: pa.Table, window: Window) -> pa.Table:
    """``table`` with the window's key as its ``run_id`` column."""
    return table.append_column("run_id", pa.array([window.key] * table.num_rows))


def run_naive(by_window: dict[Window, list[tuple[str, bytes]]], universe: Universe) -> PipelineRun:
    """The naive peer over the same lines (it has no separate stages)."""
    lines = [line for v in by_window.values() for _, line in v]
    run = PipelineRun("naive peer (json + pandas iterrows + regex per asset + VADER)", len(lines))
    t0 = time.perf_counter()
    naive_pipeline(lines, universe)
    run.seconds = {"all": time.perf_counter() - t0}
    return run


@dataclass
class Quality:
    """How close a method comes to the simulator's ground truth."""

    name: str
    precision: float
    recall: float
    polarity_accuracy: float


def quality(world: SimulatedWorld, universe: Universe) -> list[Quality]:
    """Tagging precision/recall and 3-way polarity accuracy, ours against the naive peer.

    Both see the same normalised texts, so only the tagging and scoring methods differ.
    """
    truth_assets: dict[str, set[str]] = {}
    truth_polarity: dict[str, int] = {}
    texts: dict[str, str] = {}
    for window in world.windows:
        for row in world.truth_documents(window).to_pylist():
            truth_assets[row["doc_id"]] = set(row["asset_ids"])
            truth_polarity[row["doc_id"]] = row["polarity"]
        for source in SOCIAL_SOURCES:
            docs = normalize_documents(source, world.raw_lines(source, window)).table
            texts.update(zip(docs.column("doc_id").to_pylist(), document_texts(docs), strict=True))
    ids = [d for d in texts if d in truth_assets]
    tagger, lexicon, vader = Tagger(universe), LexiconModel(), SentimentIntensityAnalyzer()
    default = load_model()
    patterns = asset_patterns(universe)
    ours = {d: set(tagger.mentions_in(texts[d])) for d in ids}
    naive = {d: naive_tag(texts[d], patterns) for d in ids}
    ours_polarity = {d: _sign(lexicon.score_one(texts[d])) for d in ids}
    default_scores = default.score([texts[d] for d in ids])
    default_polarity = {d: _sign(score) for d, score in zip(ids, default_scores, strict=True)}
    naive_polarity = {d: _sign(vader.polarity_scores(texts[d])["compound"]) for d in ids}
    return [
        _score(
            f"tickerpulse (tagger {Tagger.version}, {default.version}, the default model)",
            ours,
            default_polarity,
            truth_assets,
            truth_polarity,
        ),
        _score(
            f"tickerpulse (tagger {Tagger.version}, {LexiconModel.version})",
            ours,
            ours_polarity,
            truth_assets,
            truth_polarity,
        ),
        _score(
            "naive peer (regex per asset, VADER)",
            naive,
            naive_polarity,
            truth_assets,
            truth_polarity,
        ),
    ]


def _sign(score: float, neutral: float = 0.15) -> int:
    return 0 if abs(score) <= neutral else (1 if score > 0 else -1)


def _score(
    name: str,
    found: dict[str, set[str]],
    polarity: dict[str, int],
    truth_assets: dict[str, set[str]],
    truth_polarity: dict[str, int],
) -> Quality:
    tp = fp = fn = 0
    for doc_id, got in found.items():
        expected = truth_assets[doc_id]
        tp += len(got & expected)
        fp += len(got - expected)
        fn += len(expected - got)
    agree = sum(polarity[d] == truth_polarity[d] for d in polarity)
    return Quality(name, tp / max(tp + fp, 1), tp / max(tp + fn, 1), agree / max(len(polarity), 1))


def by_model(posts: int, names: list[str]) -> list[PipelineRun]:
    """Our pipeline on the same ``posts`` simulated posts with each sentiment model named."""
    universe = load_universe()
    _, by_window = simulated_lines(posts)
    runs = []
    for name in names:
        gc.collect()
        runs.append(run_ours(by_window, universe, load_model(name)))
    return runs


def compare(posts: int) -> tuple[PipelineRun, PipelineRun]:
    """Ours and the naive peer on the same ``posts`` simulated posts."""
    universe = load_universe()
    _, by_window = simulated_lines(posts)
    gc.collect()
    ours = run_ours(by_window, universe)
    gc.collect()
    naive = run_naive(by_window, universe)
    return ours, naive
