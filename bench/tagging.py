"""Tagging quality on the hand-checked gold set and tagging speed, ours against naive regexes."""

from __future__ import annotations

import time
from pathlib import Path

import orjson

from bench.naive_peer import asset_patterns, naive_tag
from bench.report import machine_line
from tickerpulse.domain import SOCIAL_SOURCES
from tickerpulse.enrich.evaluation import Label, TaggingScores, score_tagging
from tickerpulse.enrich.normalize import normalize_documents
from tickerpulse.enrich.tagger import Tagger, document_texts
from tickerpulse.sources.simulator import SimulatedWorld, WorldConfig
from tickerpulse.universe import Universe, load_universe

GOLD = Path(__file__).resolve().parents[1] / "tests" / "data" / "tagging_gold.jsonl"


def load_gold(path: Path = GOLD) -> tuple[list[str], list[set[Label]]]:
    """Texts and their expected (symbol, class) labels."""
    texts, labels = [], []
    for line in path.read_bytes().splitlines():
        if line.strip():
            record = orjson.loads(line)
            texts.append(record["text"])
            labels.append({(m["symbol"], m["class"]) for m in record["mentions"]})
    return texts, labels


def label_set(found: dict[str, object] | set[str], universe: Universe) -> set[Label]:
    """Asset ids → (symbol, class) labels."""
    return {(universe.by_id[a].symbol, str(universe.by_id[a].asset_class)) for a in found}


def gold_scores(universe: Universe) -> tuple[TaggingScores, TaggingScores]:
    """Ours and the naive per-asset regexes on the gold set."""
    texts, expected = load_gold()
    tagger, patterns = Tagger(universe), asset_patterns(universe)
    ours = [label_set(tagger.mentions_in(t), universe) for t in texts]
    naive = [label_set(naive_tag(t, patterns), universe) for t in texts]
    return score_tagging(ours, expected), score_tagging(naive, expected)


def short_posts(count: int) -> list[str]:
    """Simulated social posts (texts only)."""
    world = SimulatedWorld(
        WorldConfig(posts_per_window=count // 8 + 1, news_per_window=0, days=2), load_universe()
    )
    texts: list[str] = []
    for window in world.windows:
        for source in SOCIAL_SOURCES:
            texts += document_texts(
                normalize_documents(source, world.raw_lines(source, window)).table
            )
    return texts[:count]


def throughput(universe: Universe, count: int = 100_000) -> tuple[float, float, int]:
    """Posts/s of ours over ``count`` posts and of the naive regexes over a tenth of them."""
    texts = short_posts(count)
    tagger, patterns = Tagger(universe), asset_patterns(universe)
    started = time.perf_counter()
    for text in texts:
        tagger.mentions_in(text)
    ours = len(texts) / (time.perf_counter() - started)
    sample = texts[: len(texts) // 10]
    started = time.perf_counter()
    for text in sample:
        naive_tag(text, patterns)
    naive = len(sample) / (time.perf_counter() - started)
    return ours, naive, len(texts)


def _rows(name: str, scores: TaggingScores) -> list[str]:
    rows = [f"| {name} | all | {scores.micro.precision:.3f} | {scores.micro.recall:.3f} "
            f"| {scores.micro.tp} | {scores.micro.fp} | {scores.micro.fn} |"]  # fmt: skip
    for cls, counts in scores.by_class.items():
        rows.append(f"| {name} | {cls} | {counts.precision:.3f} | {counts.recall:.3f} "
                    f"| {counts.tp} | {counts.fp} | {counts.fn} |")  # fmt: skip
    return rows


def tagging_section() -> str:
    """The tagging section of docs/benchmarks.md."""
    universe = load_universe()
    ours, naive = gold_scores(universe)
    texts, _ = load_gold()
    ours_rate, naive_rate, posts = throughput(universe)
    lines = [
        "## Asset tagging: gold set and speed",
        "",
        machine_line(),
        "",
        f"Gold set: `tests/data/tagging_gold.jsonl`, {len(texts)} hand-checked posts and",
        "headlines (reddit, x, telegram, facebook, instagram, news), labelled by hand",
        "without running the tagger, with hard negatives for every ambiguous",
        f"ticker; universe of {len(universe)} assets. Micro precision/recall over (symbol, class)",
        "labels; the test suite fails below precision 0.98 / recall 0.97. The naive tagger is one",
        "regex per asset over its symbol and aliases (`bench/naive_peer.py`).",
        "",
        "| tagger | class | precision | recall | TP | FP | FN |",
        "|---|---|---:|---:|---:|---:|---:|",
        *_rows(f"tickerpulse {Tagger.version}", ours),
        *_rows("naive regex per asset", naive),
        "",
        f"Speed on {posts:,} simulated short posts, one process (one core):",
        "",
        "| tagger | posts/s per core | ratio |",
        "|---|---:|---:|",
        f"| tickerpulse {Tagger.version} (Aho-Corasick + one token scan) | {ours_rate:,.0f} | "
        f"{ours_rate / naive_rate:.0f}× |",
        f"| naive regex per asset ({len(universe)} regexes) | {naive_rate:,.0f} | 1× |",
    ]
    return "\n".join(lines)
