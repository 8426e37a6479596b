"""The platform's costs: one argon2 login, and signed-in pages and API routes under 200 clients.

Pages are fetched with a Premium session cookie (so the anonymous page cache
never answers) and the API with a Premium key, by :mod:`bench.loadgen` in a
process of its own against uvicorn in one and in two processes of its own;
server time is the app's ``Server-Timing``. Login cost is hashing plus verifying with the configured
argon2 parameters, compared in the same run with a SHA-256 digest (the cost of
checking a session cookie) for scale.
"""

from __future__ import annotations

import hashlib
import json
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.loadgen import LoadResult, load
from bench.readers import premium_reader
from bench.serving import serving_process
from bench.web import _p
from tickerpulse.config import Settings
from tickerpulse.platform.crypto import password_hasher
from tickerpulse.runtime import cycle_context, open_runtime, simulated_sources, simulated_world

CLIENTS = 200
REQUESTS = 1000
WORKERS = (1, 2)
ROUTES = {
    "trending (Premium session)": ("/", "cookie"),
    "asset (Premium session)": ("/asset/crypto:BTC", "cookie"),
    "predictions (Premium session)": ("/predictions", "cookie"),
    "API trending": ("/api/v1/trending", "authorization"),
    "API asset windows": ("/api/v1/assets/crypto:BTC/windows", "authorization"),
    "API predictions": ("/api/v1/predictions", "authorization"),
}


@dataclass(frozen=True)
class RouteLatency:
    """Server and client latency of one route under CLIENTS concurrent clients (ms)."""

    route: str
    workers: int
    server_p50: float
    server_p99: float
    queue_p99: float
    client_p50: float
    client_p99: float
    per_second: float


def login_cost(settings: Settings, rounds: int = 10) -> tuple[float, float]:
    """Median ms of argon2 hash+verify, and of a SHA-256 session digest (same run)."""
    hasher = password_hasher(settings)
    argon = []
    for _ in range(rounds):
        started = time.perf_counter()
        hasher.verify(hasher.hash("a long enough password"), "a long enough password")
        argon.append((time.perf_counter() - started) * 1000)
    started = time.perf_counter()
    for _ in range(10_000):
        hashlib.sha256(b"session-token").hexdigest()
    digest_ms = (time.perf_counter() - started) * 1000 / 10_000
    return statistics.median(argon), digest_ms


def measure(days: int = 7) -> tuple[tuple[float, float], list[RouteLatency]]:
    """Build a week of the world, serve it (1 and 2 processes), load every route with CLIENTS."""
    with tempfile.TemporaryDirectory(prefix="tp-platform-bench-") as home:
        settings = Settings(_env_file=None, home=Path(home), sim_days=days)  # type: ignore[call-arg]
        cost = login_cost(settings)
        runtime = open_runtime(settings)
        world = simulated_world(runtime)
        ctx = cycle_context(runtime, simulated_sources(world))
        from tickerpulse.jobs.cycle import run_cycle

        for window in world.windows:
            run_cycle(ctx, window)
        headers = premium_reader(runtime.engine, settings, "bench@example.com")
        env = {
            "DATABASE_URL": runtime.engine.url.render_as_string(hide_password=False),
            "TICKERPULSE_HOME": home,
            "SECRET_KEY": "platform-bench",
            "API_REQUESTS_PER_MINUTE": json.dumps({"premium": 1_000_000}),
        }
        results = []
        try:
            for workers in WORKERS:
                with serving_process(env, workers=workers) as base:
                    for name, (path, credential) in ROUTES.items():
                        sent = {credential: headers[credential]}
                        load(base, path, clients=8, requests=200, headers=sent)  # warm up
                        run = load(base, path, clients=CLIENTS, requests=REQUESTS, headers=sent)
                        results.append(_latency(name, workers, run))
                        print(results[-1], flush=True)
        finally:
            runtime.engine.dispose()
    return cost, results


def _latency(route: str, workers: int, run: LoadResult) -> RouteLatency:
    if run.failures or not run.server_ms:
        raise RuntimeError(f"{route}: {run.failures} of {REQUESTS} requests failed")
    return RouteLatency(
        route, workers, _p(run.server_ms, 50), _p(run.server_ms, 99), _p(run.queue_ms, 99),
        _p(run.client_ms, 50), _p(run.client_ms, 99), run.per_second,
    )  # fmt: skip
