"""The platform's costs: one argon2 login, and signed-in pages and API routes under 200 clients.

Pages are fetched with a Premium session cookie (so the anonymous page cache
never answers) and the API with a Premium key; server time is the app's
``Server-Timing``. Login cost is hashing plus verifying with the configured
argon2 parameters, compared in the same run with a SHA-256 digest (the cost of
checking a session cookie) for scale.
"""

from __future__ import annotations

import asyncio
import hashlib
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from bench.serving import serving
from bench.web import _hammer, _p
from tickerpulse.config import Settings
from tickerpulse.runtime import cycle_context, open_runtime, simulated_sources, simulated_world
from tickerpulse.web import accounts, api_keys
from tickerpulse.web.app import create_app
from tickerpulse.web.billing import activate_subscription
from tickerpulse.web.crypto import password_hasher

CLIENTS = 200
REQUESTS = 1000
ROUTES = {
    "trending (Premium session)": ("/", "cookie"),
    "asset (Premium session)": ("/asset/crypto:BTC", "cookie"),
    "predictions (Premium session)": ("/predictions", "cookie"),
    "API trending": ("/api/v1/trending", "key"),
    "API asset windows": ("/api/v1/assets/crypto:BTC/windows", "key"),
    "API predictions": ("/api/v1/predictions", "key"),
}


@dataclass(frozen=True)
class RouteLatency:
    """Server and client latency of one route under CLIENTS concurrent clients (ms)."""

    route: str
    server_p50: float
    server_p99: float
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
    """Build a week of the world, serve it, and load every route with CLIENTS clients."""
    with tempfile.TemporaryDirectory(prefix="tp-platform-bench-") as home:
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None, home=Path(home), sim_days=days,
            api_requests_per_minute={"premium": 1_000_000},
        )  # fmt: skip
        cost = login_cost(settings)
        runtime = open_runtime(settings)
        world = simulated_world(runtime)
        ctx = cycle_context(runtime, simulated_sources(world))
        from tickerpulse.jobs.cycle import run_cycle

        for window in world.windows:
            run_cycle(ctx, window)
        now = datetime.now(UTC)
        with Session(runtime.engine) as session:
            user = accounts.create_user(
                session, password_hasher(settings), email="bench@example.com",
                password="a long enough password", now=now, verified=True,
            )  # fmt: skip
            activate_subscription(
                session, user.user_id, tier="premium", provider="sandbox", customer_id=None,
                subscription_id=None, now=now,
            )  # fmt: skip
            cookie = accounts.start_session(session, user, now=now)
            key = api_keys.create_key(session, user, name="bench", now=now)
            session.commit()
        headers = {"cookie": f"tp_session={cookie}", "authorization": f"Bearer {key}"}
        results = []
        try:
            with serving(create_app(settings, runtime.engine)) as base:
                for name, (path, _) in ROUTES.items():
                    asyncio.run(_hammer(base, path, 8, 80, headers))
                    srv, cli, rate = asyncio.run(_hammer(base, path, CLIENTS, REQUESTS, headers))
                    results.append(RouteLatency(name, _p(srv, 50), _p(srv, 99), _p(cli, 99), rate))
                    print(results[-1], flush=True)
        finally:
            runtime.engine.dispose()
    return cost, results
