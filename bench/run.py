"""Run the benchmarks and write their sections of docs/benchmarks.md.

Usage: ``python -m bench.run [--only NAME]`` with NAME one of pipeline, tagging, scaling, web,
analytics, platform, streaming, live, sentiment, page_weight, cli.
"""

from __future__ import annotations

import argparse

from bench.analytics import analytics_section
from bench.figures import write_figures
from bench.pipeline import by_model, compare, quality, simulated_lines
from bench.report import DOC, machine_line, write_section
from bench.scaling import Point, run_point, scaling_svg
from bench.tagging import tagging_section
from bench.web import CONCURRENCY as WEB_CONCURRENCY
from bench.web import REQUESTS as WEB_REQUESTS
from bench.web import measure as measure_pages
from tickerpulse.enrich.sentiment import DEFAULT_MODEL
from tickerpulse.universe import load_universe

MODEL_POSTS = 10_000
CYCLE_MODELS = tuple(dict.fromkeys((DEFAULT_MODEL, "lexicon-v1", "routed-v1", "minilm-ft-v2")))
"""The models whose cycle cost is measured side by side (the default first)."""


def pipeline_section(sizes: list[int]) -> str:
    """The posts/s table and the quality table against the simulator's truth."""
    lines = [
        "## Cycle throughput: normalize → tag → sentiment → aggregate",
        "",
        machine_line(),
        "",
        "Simulated social posts (all five providers' raw shapes, with spam, duplicates,",
        "foreign-language and corrupt lines) over 20 windows; generation is not timed.",
        "The naive peer is written the way the original design did it: `json.loads` per",
        "line into pandas, `iterrows`, one regex per asset, VADER, pandas group-by",
        "(`bench/naive_peer.py`).",
        "",
        "Enrich is the cycle's own step: tagging, each text's sentiment and each",
        "mention's (`enrich/batch.py`).",
        "",
        "| posts | pipeline | normalize s | enrich (tag + sentiment) s | aggregate s | total s"
        " | posts/s | speed-up |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for size in sizes:
        ours, naive = compare(size)
        s = ours.seconds
        lines.append(
            f"| {ours.posts:,} | {ours.name} | {s['normalize']:.1f} | {s['enrich']:.1f} | "
            f"{s['aggregate']:.1f} | {ours.total:.1f} | "
            f"{ours.posts_per_second:,.0f} | {naive.total / ours.total:.1f}× |"
        )
        lines.append(
            f"| {naive.posts:,} | {naive.name} | | | | {naive.total:.1f} | "
            f"{naive.posts_per_second:,.0f} | 1.0× |"
        )
        print(lines[-2], lines[-1], sep="\n", flush=True)
    lines += [
        "",
        f"What `SENTIMENT_MODEL` costs the cycle: the same {MODEL_POSTS:,} posts with each model",
        "(stages as above; only enrich should move).",
        "",
        "| posts | sentiment model | enrich s | total s | posts/s |",
        "|---:|---|---:|---:|---:|",
    ]
    for run in by_model(MODEL_POSTS, list(CYCLE_MODELS)):
        s = run.seconds
        lines.append(
            f"| {run.posts:,} | {run.model} | {s['enrich']:.1f} | "
            f"{run.total:.1f} | {run.posts_per_second:,.0f} |"
        )
        print(lines[-1], flush=True)
    world, _ = simulated_lines(20_000, seed=5)
    lines += [
        "",
        "Quality on 20,000 simulated posts against the simulator's ground truth (micro",
        "precision/recall of asset mentions; polarity accuracy over bearish/neutral/bullish",
        "with the neutral band |score| ≤ 0.15). Read with care: the simulator writes its",
        "texts from a vocabulary our tagger and lexicon were built alongside, so this shows",
        "the design handles the planted hard cases (ambiguous words, negation, sarcasm,",
        "spam), not real-world accuracy — the hand-checked gold set (tagging) and public",
        "labelled data (sentiment) measure that. The default model was trained on real",
        "posts and headlines, not on this vocabulary, so its lower polarity figure here",
        "says nothing about real text either.",
        "",
        "| method | tagging precision | tagging recall | polarity accuracy |",
        "|---|---:|---:|---:|",
    ]
    for q in quality(world, load_universe()):
        lines.append(
            f"| {q.name} | {q.precision:.3f} | {q.recall:.3f} | {q.polarity_accuracy:.3f} |"
        )
    return "\n".join(lines)


# Spark local at 10M needs the synthetic input (~11 GB in the driver) plus a JVM heap
# of the same order: more than this 24 GB machine gives; it is not attempted.
SCALING_SIZES = {"duckdb": [10_000, 100_000, 1_000_000, 10_000_000],
                 "spark": [10_000, 100_000, 1_000_000]}  # fmt: skip


SCALING_VERDICT = (
    "Where each engine wins: on one machine DuckDB, at every size measured — Spark local"
    " pays a fixed cost per query (JVM, Arrow transfer, task scheduling) that the work"
    " never amortises on 2 cores. Spark earns its place on a cluster: when one window's"
    " data outgrows a machine's memory (DuckDB's 10M-document window already peaks near"
    " 11 GB here, most of it the input) and for backfills of many windows in parallel on"
    " Dataproc. Both run the same SQL, and a test holds them to identical marts."
)


def scaling_section() -> str:
    """DuckDB vs Spark local on the aggregate stage, 10k → 10M documents, with a chart."""
    points = [run_point(e, n) for e, sizes in SCALING_SIZES.items() for n in sizes]
    for p in points:
        print(p, flush=True)
    chart = DOC.parent / "scaling.svg"
    chart.write_text(scaling_svg(points), encoding="utf-8")
    lines = [
        "## Scaling: the aggregate stage on DuckDB and on Spark local",
        "",
        machine_line(),
        "",
        "One 6-hour window of synthetic curated input (`bench/scaling.py`): n documents,",
        "~1.3 mentions each over 500 assets, their sentiment, five days of hourly prices.",
        "Each point runs in a fresh process after a warm-up; peak memory is the process's",
        "high-water RSS (plus the JVM's for Spark). Normalize, tag and sentiment are the same",
        "Python for both engines — their rate is in the pipeline section. The peak includes",
        "the synthetic input itself (Python objects, most of the 10M DuckDB figure); Spark",
        "runs with a 4 GB driver and was not attempted at 10M (input plus heap exceed RAM).",
        "",
        "![seconds vs documents](scaling.svg)",
        "",
        "| documents | DuckDB s | DuckDB peak MB | Spark local s | Spark peak MB"
        " | Spark ÷ DuckDB |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    by = {(p.engine, p.docs): p for p in points}
    for n in sorted({p.docs for p in points}):
        d, s = by.get(("duckdb", n)), by.get(("spark", n))
        lines.append(
            f"| {n:,} | {_cell(d, 'seconds')} | {_cell(d, 'peak_mb')} | {_cell(s, 'seconds')} | "
            f"{_cell(s, 'peak_mb')} | {_ratio(s, d)} |"
        )
    lines += ["", SCALING_VERDICT]
    return "\n".join(lines)


def _cell(point: Point | None, field: str) -> str:
    if point is None:
        return "not run"
    value = getattr(point, field)
    if value is None:
        return point.note or "—"
    return f"{value:,.0f}" if field == "peak_mb" else f"{value:,.2f}"


def _ratio(spark: Point | None, duck: Point | None) -> str:
    if spark and duck and spark.seconds and duck.seconds:
        return f"{spark.seconds / duck.seconds:,.0f}×"
    return "—"


def web_section() -> str:
    """Server time per page at p50/p99 with one client and with many."""
    results = measure_pages()
    lines = [
        "## Pages under load: server time per page",
        "",
        machine_line(),
        "",
        "A week of the simulated world (all assets, 28 windows) in embedded Postgres; the",
        "site served by uvicorn (one process) on loopback; each page requested"
        f" {WEB_REQUESTS} times by 1 client, then by {WEB_CONCURRENCY} clients at once",
        "(`bench/loadgen.py`, in a process of its own) by anonymous readers with every",
        "feature open (`TIER_OVERRIDES`; gates and signed-in readers are the platform",
        "section's), first with the caches off, then on (anonymous pages and views kept",
        "30 s, `web/cache.py`, `web/viewcache.py`). Server",
        "time is the app's `Server-Timing` (app); client p99 adds loopback and waiting for a",
        "place and a core (the load generator shares the 2 cores), so client times and",
        "requests/s understate a real deployment; server time is the figure the target is",
        "about. Target: server p99 < 50 ms.",
        "",
        "| page | cache | clients | server p50 ms | server p99 ms | client p99 ms | requests/s |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.page} | {'on' if r.cached else 'off'} | {r.clients} | {r.server_p50:.1f} |"
            f" {r.server_p99:.1f} | {r.client_p99:.1f} | {r.per_second:,.0f} |"
        )
    served = max(r.server_p99 for r in results if r.cached)
    raw = max(r.server_p99 for r in results if not r.cached)
    verdict = "met" if served < 50 else "**not met**"
    lines += [
        "",
        f"As served (caches on): worst server p99 {served:.1f} ms — target {verdict}. With the",
        f"caches off (what a rebuild costs, once per page and tier every 30 s): {raw:.1f} ms.",
    ]
    return "\n".join(lines)


def platform_section() -> str:
    """Login cost and signed-in pages / API routes under 200 concurrent clients."""
    from bench.platform import CLIENTS, REQUESTS
    from bench.platform import measure as measure_platform

    (argon_ms, digest_ms), results = measure_platform()
    lines = [
        "## Platform: login cost and signed-in routes under 200 clients",
        "",
        machine_line(),
        "",
        f"Login (argon2id hash + verify, default parameters t=2, 19 MiB): {argon_ms:.0f} ms"
        f" median; a session-cookie check (SHA-256 digest) in the same run:"
        f" {digest_ms * 1000:.1f} µs"
        f" ({argon_ms / max(digest_ms, 1e-9):,.0f}× cheaper). Target: ~50 ms per login.",
        "",
        f"A week of the simulated world; each route requested {REQUESTS} times by {CLIENTS}"
        " clients at once (`bench/platform.py`), pages with a Premium session cookie (the",
        "anonymous page cache never answers them) and the API with a Premium key. The load",
        "generator (`bench/loadgen.py`, keep-alive HTTP/1.1) runs in its own process and the",
        "server (uvicorn) in one or two processes of its own, all on the same 2 cores, so",
        "client latency is mostly waiting for a core. Each process works on",
        "`WEB_MAX_IN_FLIGHT` (2) requests at once; the others wait their turn (queue).",
        "Server time (`Server-Timing` app: from the app starting on a request to its answer)",
        "is what the target is about: server p99 < 50 ms. Views come from the tier-keyed",
        "view cache, readers from the 5-second reader memory.",
        "",
        "| route | processes | server p50 ms | server p99 ms | queue p99 ms | client p50 ms"
        " | client p99 ms | requests/s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.route} | {r.workers} | {r.server_p50:.1f} | {r.server_p99:.1f} |"
            f" {r.queue_p99:.0f} | {r.client_p50:.0f} | {r.client_p99:.0f} |"
            f" {r.per_second:,.0f} |"
        )
    worst = max(r.server_p99 for r in results)
    verdict = "met" if worst < 50 else "**not met**"
    lines += ["", f"Worst server p99: {worst:.1f} ms — target {verdict}."]
    return "\n".join(lines)


def main() -> None:
    """Parse arguments, run, write."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="100000,1000000", help="comma-separated post counts")
    parser.add_argument(
        "--only",
        choices=[
            "pipeline",
            "tagging",
            "scaling",
            "web",
            "analytics",
            "platform",
            "streaming",
            "live",
            "sentiment",
            "page_weight",
            "cli",
            "insights",
        ],
        help="run one benchmark instead of all",
    )
    args = parser.parse_args()
    if args.only in (None, "tagging"):
        write_section("tagging", tagging_section())
    if args.only in (None, "sentiment"):
        from bench.sentiment_eval import sentiment_section

        write_section("sentiment", sentiment_section())
    if args.only in (None, "tagging", "sentiment"):
        write_figures()  # the methodology page's figures follow the sections just written
    if args.only in (None, "web"):
        write_section("web", web_section())
    if args.only in (None, "platform"):
        write_section("platform", platform_section())
    if args.only in (None, "scaling"):
        write_section("scaling", scaling_section())
    if args.only in (None, "pipeline"):
        sizes = [int(s) for s in args.sizes.split(",")]
        write_section("pipeline", pipeline_section(sizes))
    if args.only in (None, "analytics"):
        write_section("analytics", analytics_section())
    if args.only in (None, "streaming"):
        from bench.streaming import streaming_section

        write_section("streaming", streaming_section())
    if args.only in (None, "live"):
        from bench.live_latency import live_section
        from bench.live_latency import measure as measure_live

        write_section("live", live_section(measure_live()))
    if args.only in (None, "insights"):
        from bench.insights import insights_section
        from bench.insights import measure as measure_insights

        write_section("insights", insights_section(*measure_insights()))
    if args.only in (None, "page_weight"):
        from bench.page_weight import measure as measure_weight
        from bench.page_weight import page_weight_section

        write_section("page_weight", page_weight_section(measure_weight()))
    if args.only in (None, "cli"):
        from bench.cli import cli_section

        write_section("cli", cli_section())


if __name__ == "__main__":
    main()
