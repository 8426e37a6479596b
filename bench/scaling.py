"""Scaling: the aggregate stage on DuckDB vs Spark local from 10k to 10M documents per window.

The engine only changes the aggregate stage (normalize, tag and sentiment are the
same Python code for both; their rate is in the pipeline section), so this times
``aggregate_window`` on synthetic inputs of one window: ``n`` documents with
short texts, ~1.3 asset mentions each over 500 assets, their sentiment, and five
days of hourly prices. Each (engine, size) runs in a fresh process so memory peaks
do not mix; the peak is the process's high-water RSS plus, for Spark, its JVM's.

Usage: ``python -m bench.scaling --engine duckdb --docs 100000`` prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa

from tickerpulse.domain import Window
from tickerpulse.jobs.engines import aggregator
from tickerpulse.lake.window_data import WindowInputs, price_priority_table

WINDOW = Window.containing(datetime(2026, 3, 4, 12, tzinfo=UTC))
ASSETS = 500
RUN = "20260304T12"


def synthetic_inputs(docs: int, seed: int = 11) -> WindowInputs:
    """One window's curated inputs with ``docs`` documents (vectorised, seconds even for 10M)."""
    rng = np.random.default_rng(seed)
    doc_ids = np.char.add("d", np.arange(docs).astype(str)).astype(object)
    offsets = rng.integers(0, 6 * 3600 * 1_000_000, docs)
    start_us = int(WINDOW.start.timestamp() * 1_000_000)
    sources = np.array(["reddit", "x", "telegram", "facebook", "instagram", "news"], dtype=object)
    source = sources[rng.integers(0, len(sources), docs)]
    run = pa.array([RUN] * docs)
    documents = pa.table(
        {
            "doc_id": doc_ids,
            "kind": np.where(source == "news", "news", "post").astype(object),
            "source": source,
            "channel": np.char.add("c", rng.integers(0, 200, docs).astype(str)).astype(object),
            "author_hash": np.char.add(
                "a", rng.integers(0, docs // 3 + 1, docs).astype(str)
            ).astype(object),
            "created_at": pa.array(start_us + offsets, pa.timestamp("us", tz="UTC")),
            "title": pa.nulls(docs, pa.string()),
            "text": pa.array(["$AAPL looks strong into earnings"] * docs),
            "url": pa.nulls(docs, pa.string()),
            "lang": pa.array(["en"] * docs),
            "engagement": rng.integers(0, 500, docs),
            "run_id": run,
        }
    )
    scores = np.clip(rng.normal(0, 0.4, docs), -1, 1)
    labels = np.select([scores > 0.15, scores < -0.15], ["bullish", "bearish"], "neutral")
    sentiment = pa.table(
        {"doc_id": doc_ids, "score": scores, "label": labels.astype(object),
         "model": pa.array(["lexicon-v1"] * docs), "run_id": run}
    )  # fmt: skip
    extra = rng.random(docs) < 0.3
    mention_docs = np.concatenate([doc_ids, doc_ids[extra]])
    assets = np.char.add("stock:S", rng.zipf(1.6, len(mention_docs)).clip(1, ASSETS).astype(str))
    mentions = pa.table(
        {
            "doc_id": mention_docs,
            "asset_id": assets.astype(object),
            "method": pa.array(["cashtag"] * len(mention_docs)),
            "relevance": np.full(len(mention_docs), 0.8),
            "run_id": pa.array([RUN] * len(mention_docs)),
        }
    )
    return WindowInputs(
        documents=documents,
        sentiment=sentiment,
        mentions=mentions,
        prices=_prices(rng),
        price_priority=price_priority_table(["prices"]),
    )


def _prices(rng: np.random.Generator) -> pa.Table:
    hours = [WINDOW.end - timedelta(hours=h) for h in range(1, 5 * 24)]
    asset_ids = [f"stock:S{i}" for i in range(1, ASSETS + 1)]
    n = len(hours) * ASSETS
    close = 100 + rng.normal(0, 1, n).cumsum() / 10
    return pa.table(
        {
            "asset_id": [a for a in asset_ids for _ in hours],
            "ts": pa.array([h for _ in asset_ids for h in hours], pa.timestamp("us", tz="UTC")),
            "interval": ["1h"] * n, "open": close, "high": close + 0.1, "low": close - 0.1,
            "close": close, "volume": rng.random(n) * 1e6, "source": ["prices"] * n,
            "run_id": [RUN] * n,
        }
    )  # fmt: skip


def _jvm_peak_mb() -> float:
    """High-water RSS of this process's child processes (Spark's JVM), from /proc."""
    peak = 0.0
    me = str(os.getpid())
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if fields.get("PPid", "").strip() == me and "VmHWM" in fields:
            peak += float(fields["VmHWM"].split()[0]) / 1024
    return peak


def measure(engine: str, docs: int) -> dict[str, float]:
    """Time one aggregate of ``docs`` documents (after a warm-up on a small window)."""
    aggregate = aggregator(engine)
    aggregate(synthetic_inputs(1_000), WINDOW)  # starts Spark's JVM / loads DuckDB
    inputs = synthetic_inputs(docs)
    started = time.perf_counter()
    result = aggregate(inputs, WINDOW)
    seconds = time.perf_counter() - started
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "docs": docs,
        "seconds": seconds,
        "peak_mb": own + (_jvm_peak_mb() if engine == "spark" else 0.0),
        "asset_rows": result.asset_window.num_rows,
    }


@dataclass(frozen=True)
class Point:
    """One measured (engine, size)."""

    engine: str
    docs: int
    seconds: float | None
    peak_mb: float | None
    note: str = ""


def run_point(engine: str, docs: int, timeout_s: int = 1200) -> Point:
    """Measure in a fresh interpreter; a timeout or a crash becomes a note, not a failure."""
    command = [sys.executable, "-m", "bench.scaling", "--engine", engine, "--docs", str(docs)]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout_s, check=False
        )
    except subprocess.TimeoutExpired:
        return Point(engine, docs, None, None, f"over {timeout_s // 60} min")
    if done.returncode != 0:
        return Point(
            engine, docs, None, None, (done.stderr.strip().splitlines() or ["failed"])[-1][:80]
        )
    data = json.loads(done.stdout.strip().splitlines()[-1])
    return Point(engine, docs, data["seconds"], data["peak_mb"])


def main() -> None:
    """Command-line entry: measure one point and print it as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engine", choices=["duckdb", "spark"], required=True)
    parser.add_argument("--docs", type=int, required=True)
    args = parser.parse_args()
    print(json.dumps(measure(args.engine, args.docs)), flush=True)


if __name__ == "__main__":
    main()


def scaling_svg(points: list[Point]) -> str:
    """A small log-log line chart (seconds vs documents, one line per engine) as SVG."""
    measured = [p for p in points if p.seconds]
    xs = [math.log10(p.docs) for p in measured]
    ys = [math.log10(p.seconds or 1) for p in measured]
    x0, x1 = math.floor(min(xs)), math.ceil(max(xs))
    y0, y1 = math.floor(min(ys)), math.ceil(max(ys))
    width, height, pad = 560, 320, 56

    def sx(v: float) -> float:
        return pad + (v - x0) / max(x1 - x0, 1) * (width - 2 * pad)

    def sy(v: float) -> float:
        return height - pad - (v - y0) / max(y1 - y0, 1) * (height - 2 * pad)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        'font-family="sans-serif" font-size="12">',
        '<rect width="100%" height="100%" fill="white"/>',
        f'<text x="{width / 2}" y="18" text-anchor="middle" font-size="14">'
        "Aggregate stage: seconds per window vs documents (log-log, 2 cores)</text>",
    ]
    for e in range(x0, x1 + 1):
        parts.append(f'<text x="{sx(e)}" y="{height - pad + 18}" text-anchor="middle">1e{e}</text>')
    for e in range(y0, y1 + 1):
        parts.append(f'<text x="{pad - 8}" y="{sy(e) + 4}" text-anchor="end">{10.0**e:g} s</text>')
        parts.append(
            f'<line x1="{pad}" x2="{width - pad}" y1="{sy(e)}" y2="{sy(e)}" stroke="#eee"/>'
        )
    colors = {"duckdb": "#1f77b4", "spark": "#d62728"}
    for engine, color in colors.items():
        line = [(sx(math.log10(p.docs)), sy(math.log10(p.seconds or 1)))
                for p in measured if p.engine == engine]  # fmt: skip
        if line:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in line)
            parts.append(
                f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>'
            )
            x, y = line[-1]
            parts.append(
                f'<text x="{x - 4}" y="{y - 8}" text-anchor="end" fill="{color}">{engine}</text>'
            )
    parts.append(
        f'<text x="{width / 2}" y="{height - 12}" text-anchor="middle">'
        "documents in the window</text>"
    )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
