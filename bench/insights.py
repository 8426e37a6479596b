"""Movers, overview and authors at full scale: 500 assets × 2 years of windows, under 200 clients.

The insight marts are filled straight in Postgres with ``generate_series`` at the
scale the issue sets (500 assets × 2,920 six-hour windows of attention and
asset-window rows, :data:`CALLS_PER_ASSET_WINDOW` author calls per asset and
window, :data:`AUTHORS` authors with records), since running that many cycles
would take hours; the pages read these marts only, so what they cost is what is
measured. Two figures per route: the view built once without any cache (the
indexed reads themselves), and server time under :data:`CLIENTS` concurrent
clients with a Premium session or key, the app as served (its 30-second view
cache on), in its own uvicorn process as :mod:`bench.platform` runs it.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from bench.loadgen import load
from bench.platform import RouteLatency, _latency
from bench.readers import premium_reader
from bench.report import machine_line
from bench.serving import serving_process
from tickerpulse.config import Settings
from tickerpulse.runtime import open_runtime
from tickerpulse.web import insight_views

ASSETS = 500
YEARS = 2
WINDOWS = YEARS * 365 * 4
CALLS_PER_ASSET_WINDOW = 2
AUTHORS = 20_000
CLIENTS = 200
REQUESTS = 1000
START_TIMEOUT_S = 180.0
"""Importing the app takes long on a busy shared machine."""
ROUTES = {
    "trending, for reference (Premium session)": ("/", "cookie"),
    "movers (Premium session)": ("/movers", "cookie"),
    "movers by sentiment change, crypto": ("/movers?sort=sentiment_change&class=crypto", "cookie"),
    "overview (Premium session)": ("/overview", "cookie"),
    "authors (Premium session)": ("/authors", "cookie"),
    "asset authors (Premium session)": ("/asset/crypto:BTC/authors", "cookie"),
    "API movers": ("/api/v1/movers", "authorization"),
    "API authors": ("/api/v1/authors", "authorization"),
    "API asset authors": ("/api/v1/assets/crypto:BTC/authors", "authorization"),
}

_SEED = [
    """CREATE TEMP TABLE bench_asset AS
       SELECT asset_id, asset_class, row_number() OVER (ORDER BY asset_id = 'crypto:BTC' DESC,
              asset_id) AS n FROM asset ORDER BY n LIMIT :assets""",
    """CREATE TEMP TABLE bench_window AS
       SELECT g AS i, timestamptz '2024-12-01 00:00+00' + g * interval '6 hours' AS w
       FROM generate_series(0, :windows - 1) AS g""",
    """INSERT INTO mart_asset_window (window_start, asset_id, source_class, source, mentions,
           unique_authors, sentiment_mean, bull_share, bear_share, dispersion, spam_mentions)
       SELECT w, asset_id, 'all', 'all', 5 + (n * 7 + i) % 40, 3, ((n + i) % 21 - 10) / 20.0,
              0.4, 0.2, 0.3, 0
       FROM bench_asset, bench_window""",
    """INSERT INTO mart_attention (window_start, asset_id, asset_class, mentions, mention_z,
           mention_change, sentiment, sentiment_change, sentiment_z, share_of_voice)
       SELECT w, asset_id, asset_class, 5 + (n * 7 + i) % 40, ((n * 13 + i) % 41 - 20) / 5.0,
              ((n * 3 + i) % 31 - 10) / 10.0, ((n + i) % 21 - 10) / 20.0,
              ((n * 5 + i) % 17 - 8) / 20.0, ((n * 5 + i) % 17 - 8) / 4.0, 1.0 / :assets
       FROM bench_asset, bench_window""",
    """INSERT INTO mart_price_window (window_start, asset_id, open, high, low, close, volume,
           bars, prev_close, return_pct)
       SELECT w, asset_id, 100, 101, 99, 100.5, 1, 6, 100, 0.005
       FROM bench_asset, bench_window WHERE i >= :windows - 8""",
    "DROP INDEX ix_mart_author_call_asset",  # built once after the bulk insert, faster
    "DROP INDEX ix_mart_author_call_author",
    """INSERT INTO mart_author_call (window_start, author_hash, asset_id, source, posts, reach,
           sentiment, stance, flagged_posts, hit)
       SELECT w, substr(md5(((n * 7919 + i * 31 + k * 104729) % :authors)::text), 1, 16),
              asset_id, 'reddit', 1 + k, 10 * (k + 1), 0.3 - 0.6 * ((i + k) % 2),
              1 - 2 * ((i + k) % 2), 0, ((n + i + k) % 3 > 0)
       FROM bench_asset, bench_window, generate_series(0, :calls - 1) AS k
       ON CONFLICT DO NOTHING""",
    "CREATE INDEX ix_mart_author_call_asset ON mart_author_call (asset_id, window_start)",
    "CREATE INDEX ix_mart_author_call_author ON mart_author_call (author_hash, window_start)",
    """INSERT INTO mart_author_record (author_hash, source, posts, reach, flagged_posts, calls,
           hits, hit_rate, ci_low, ci_high, last_window)
       SELECT substr(md5(a::text), 1, 16), 'reddit', 200, 5000, (a % 50 = 0)::int,
              20 + a % 300, (20 + a % 300) / 2 + a % 7, 0.5 + (a % 7) / 40.0,
              0.4 + (a % 13) / 100.0, 0.6 + (a % 13) / 100.0,
              (SELECT max(w) FROM bench_window)
       FROM generate_series(0, :authors - 1) AS a""",
    """INSERT INTO cycle_run (window_start, stage, status, attempts, counts, started_at,
           finished_at)
       SELECT max(w), 'publish', 'ok', 1, '{}', now(), now() FROM bench_window""",
    "ANALYZE",
]


@dataclass(frozen=True)
class SeedReport:
    """How big the seeded marts are and how long filling them took."""

    rows: dict[str, int]
    seconds: float


def seed(engine: Engine) -> SeedReport:
    """Fill the marts at full scale (see the module docstring)."""
    started = time.perf_counter()
    params = {"assets": ASSETS, "windows": WINDOWS, "authors": AUTHORS,
              "calls": CALLS_PER_ASSET_WINDOW}  # fmt: skip
    with engine.begin() as conn:
        for statement in _SEED:
            conn.execute(text(statement), params if ":" in statement else {})
    return SeedReport(_counts(engine), time.perf_counter() - started)


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            table: int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
            for table in ("mart_attention", "mart_author_call", "mart_author_record")
        }


def cold_views(engine: Engine) -> dict[str, float]:
    """Milliseconds to build each view once without a cache (median of 5)."""
    builds: dict[str, Callable[[Session], Any]] = {
        "movers": lambda s: insight_views.movers_view(s),
        "movers by sentiment change, crypto": lambda s: insight_views.movers_view(
            s, sort="sentiment_change", asset_class="crypto"
        ),
        "overview": lambda s: insight_views.overview_view(s),
        "authors": insight_views.authors_view,
        "asset authors": lambda s: insight_views.asset_authors_view(s, asset_id="crypto:BTC"),
    }
    out = {}
    for name, build in builds.items():
        times = []
        for _ in range(5):
            with Session(engine) as session:
                started = time.perf_counter()
                build(session)
                times.append((time.perf_counter() - started) * 1000)
        out[name] = sorted(times)[2]
    return out


def measure(home: Path | None = None) -> tuple[SeedReport, dict[str, float], list[RouteLatency]]:
    """Seed, time the cold views, then load every route with CLIENTS clients.

    Args:
        home: Keep the database there and reuse it when already seeded (for re-runs);
            None: a throw-away one.
    """
    if home is None:
        with tempfile.TemporaryDirectory(prefix="tp-insights-bench-") as temporary:
            return _measure(Path(temporary))
    return _measure(home)


def _measure(home: Path) -> tuple[SeedReport, dict[str, float], list[RouteLatency]]:
    settings = Settings(_env_file=None, home=home)  # type: ignore[call-arg]
    runtime = open_runtime(settings)
    with runtime.engine.connect() as conn:
        seeded = conn.execute(text("SELECT count(*) FROM mart_author_record")).scalar_one()
    report = seed(runtime.engine) if not seeded else SeedReport(_counts(runtime.engine), 0.0)
    print(report, flush=True)
    cold = cold_views(runtime.engine)
    print(cold, flush=True)
    email = f"bench-{time.time_ns()}@example.com"
    headers = premium_reader(runtime.engine, settings, email)
    env = {
        "DATABASE_URL": runtime.engine.url.render_as_string(hide_password=False),
        "TICKERPULSE_HOME": str(home),
        "SECRET_KEY": "insights-bench",
        "API_REQUESTS_PER_MINUTE": json.dumps({"premium": 1_000_000}),
    }
    results = []
    try:
        with serving_process(env, workers=1, start_timeout_s=START_TIMEOUT_S) as base:
            for name, (path, credential) in ROUTES.items():
                sent = {credential: headers[credential]}
                load(base, path, clients=8, requests=200, headers=sent)  # warm up
                run = load(base, path, clients=CLIENTS, requests=REQUESTS, headers=sent)
                results.append(_latency(name, 1, run))
                print(results[-1], flush=True)
    finally:
        runtime.engine.dispose()
    return report, cold, results


def insights_section(
    report: SeedReport, cold: dict[str, float], results: list[RouteLatency], load_note: str = ""
) -> str:
    """The docs/benchmarks.md section of a :func:`measure` run."""
    rows = ", ".join(f"{table} {count:,}" for table, count in report.rows.items())
    lines = [
        "## Movers, overview and authors at full scale",
        "",
        machine_line(),
        "",
        f"{ASSETS} assets × {WINDOWS:,} six-hour windows ({YEARS} years) of attention and",
        f"asset-window marts, {CALLS_PER_ASSET_WINDOW} author calls per asset and window, and",
        f"{AUTHORS:,} author records, filled with SQL (`bench/insights.py`; rows: {rows}).",
        "Each view built once without a cache (median of 5, ms) — the indexed reads and the",
        "view's own work: " + ", ".join(f"{name} {ms:.1f}" for name, ms in cold.items()) + ".",
        "",
        f"Then each route {REQUESTS} times by {CLIENTS} clients at once, pages with a Premium",
        "session and the API with a Premium key, against one uvicorn process (view cache on,",
        "as served), measured as `bench/platform.py` does; trending is the reference.",
        *([load_note] if load_note else []),
        "",
        "| route | server p50 ms | server p99 ms | queue p99 ms | client p50 ms"
        " | client p99 ms | requests/s |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.route} | {r.server_p50:.1f} | {r.server_p99:.1f} | {r.queue_p99:.0f} |"
            f" {r.client_p50:.0f} | {r.client_p99:.0f} | {r.per_second:,.0f} |"
        )
    if results:
        worst = max(r.server_p99 for r in results)
        verdict = "met" if worst < 50 else "**not met**"
        lines += ["", f"Worst server p99: {worst:.1f} ms — target (< 50 ms) {verdict}."]
    return "\n".join(lines)


if __name__ == "__main__":
    import sys

    from bench.report import write_section

    write_section(
        "insights", insights_section(*measure(Path(sys.argv[1]) if len(sys.argv) > 1 else None))
    )
