"""Page latency under load: server time per page at p50/p99, one client vs many, cache off/on.

Builds a week of the simulated world into a throw-away home (embedded Postgres,
local lake), serves the site with uvicorn in a thread, and sends each page
``REQUESTS`` times with 1 and then ``CONCURRENCY`` clients at once
(:mod:`bench.loadgen`, in its own process). Server time is what the app reports
in ``Server-Timing``; client time adds the loopback and the wait for a place.
"""

from __future__ import annotations

import statistics
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from bench.loadgen import load
from bench.serving import serving
from tickerpulse.config import Settings
from tickerpulse.platform.tiers import Feature
from tickerpulse.runtime import cycle_context, open_runtime, simulated_sources, simulated_world
from tickerpulse.web.app import create_app

PAGES = {
    "trending": "/",
    "trending 7 d": "/?period=7d",
    "asset": "/asset/crypto:BTC",
    "news 24 h": "/news?period=24h",
    "compare": "/compare?assets=BTC,ETH,AAPL,NVDA",
    "trending sorted": "/?period=24h&sort=return_pct&dir=desc",
    "asset 90 d": "/asset/crypto:BTC?range=90d",
    "compare all": "/compare?assets=BTC,ETH,AAPL,NVDA&range=all",
    "search": "/search?q=euro+dollar",
    "search suggest": "/search/suggest?q=nvid",
    "trending CSV": "/export/trending.csv?period=7d&sort=mentions&dir=asc",
    "asset CSV": "/export/asset/crypto:BTC/windows.csv?range=all",
    "methodology": "/methodology",
}
REQUESTS = 300
CONCURRENCY = 50


@dataclass(frozen=True)
class PageLatency:
    """Latencies of one page at one concurrency, in milliseconds."""

    page: str
    cached: bool
    clients: int
    server_p50: float
    server_p99: float
    client_p99: float
    per_second: float


def _p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def _serve_and_measure(settings: Settings, engine: Engine, cached: bool) -> list[PageLatency]:
    results = []
    with serving(create_app(settings, engine)) as base:
        for name, path in PAGES.items():
            load(base, path, clients=4, requests=40)  # warm pools (and the cache, when on)
            for clients in (1, CONCURRENCY):
                run = load(base, path, clients=clients, requests=REQUESTS)
                if run.failures:
                    raise RuntimeError(f"{path}: {run.failures} of {REQUESTS} requests failed")
                srv, cli = run.server_ms, run.client_ms
                results.append(
                    PageLatency(
                        name, cached, clients, _p(srv, 50), _p(srv, 99), _p(cli, 99),
                        run.per_second,
                    )
                )  # fmt: skip
                print(results[-1], flush=True)
    return results


def measure(days: int = 7) -> list[PageLatency]:
    """Build the data, serve it, and measure every page at 1 and CONCURRENCY clients."""
    with tempfile.TemporaryDirectory(prefix="tp-web-bench-") as home:
        # Every page open to anonymous readers: this measures pages, not gates (see platform).
        everything_free = {feature.value: "free" for feature in Feature}
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            home=Path(home),
            sim_days=days,
            tier_overrides=everything_free,
            secret_key="web-bench",
        )
        runtime = open_runtime(settings)
        world = simulated_world(runtime)
        ctx = cycle_context(runtime, simulated_sources(world))
        from tickerpulse.jobs.cycle import run_cycle

        for window in world.windows:
            run_cycle(ctx, window)
        results = []
        try:
            for cache_seconds in (0.0, 30.0):
                app_settings = settings.model_copy(update={"page_cache_seconds": cache_seconds})
                results += _serve_and_measure(app_settings, runtime.engine, cache_seconds > 0)
        finally:
            runtime.engine.dispose()
    return results
