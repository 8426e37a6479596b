"""Start-up wiring: from Settings to a database, a lake and the cycle's context.

This is the only place that turns configuration into live objects; commands
in cli.py call it and pass the results on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property

from sqlalchemy import Engine

from tickerpulse.config import Settings
from tickerpulse.db.engine import make_engine, migrate, resolve_database_url
from tickerpulse.db.marts import sync_assets, sync_outlets
from tickerpulse.db.state import window_outcomes
from tickerpulse.domain import Window
from tickerpulse.enrich.sentiment import SentimentModel, load_model
from tickerpulse.enrich.sentiment.registry import resolve_name
from tickerpulse.enrich.tagger import Tagger
from tickerpulse.extras import installed, instruction
from tickerpulse.jobs.context import CycleContext
from tickerpulse.jobs.schedule import due_windows
from tickerpulse.lake import Lake
from tickerpulse.lake.store import OBJECT_STORE_SCHEMES
from tickerpulse.platform.alert_delivery import AlertDelivery
from tickerpulse.sources.base import Source
from tickerpulse.sources.outlets import load_outlets
from tickerpulse.sources.registry import SIMULATED, Skipped, real_sources
from tickerpulse.sources.simulated import SimulatedSource
from tickerpulse.sources.simulator import SOURCES as SIMULATED_SOURCES
from tickerpulse.sources.simulator import SimulatedWorld, WorldConfig
from tickerpulse.universe import Universe, load_universe


@dataclass(frozen=True)
class Runtime:
    """Live resources of one process."""

    settings: Settings
    engine: Engine
    lake: Lake
    universe: Universe

    @cached_property
    def sentiment(self) -> SentimentModel:
        """The sentiment model ``SENTIMENT_MODEL`` names, loaded on first use."""
        return load_model(self.settings.sentiment_model)


def check_settings(settings: Settings) -> None:
    """Refuse settings that would only fail later, before anything starts.

    Raises:
        ValueError: a one-line message naming the setting and what it accepts.
    """
    try:
        model = resolve_name(settings.sentiment_model)
    except ValueError as exc:
        raise ValueError(f"SENTIMENT_MODEL: {exc}") from None
    wanted = {  # the setting that asks for an extra, and whether it does
        "spark": ("ENGINE", settings.engine == "spark"),
        "kafka": ("KAFKA_BOOTSTRAP", settings.kafka_bootstrap is not None),
        "cloud": ("LAKE_URL", settings.lake_root.startswith(OBJECT_STORE_SCHEMES)),
        "ibkr": ("SOURCES", "ibkr" in settings.sources),
        "accurate": ("SENTIMENT_MODEL", model == "minilm-v1"),
    }
    for extra, (setting, needed) in wanted.items():
        if needed and not installed(extra):
            raise ValueError(f"{setting}: {instruction(extra)}")


def open_runtime(settings: Settings) -> Runtime:
    """Check the settings, start the database, migrate it, sync the universe, open the lake.

    Raises:
        ValueError: a setting is wrong (see :func:`check_settings`).
    """
    check_settings(settings)
    universe = load_universe(settings.universe_extra)  # a bad file fails before Postgres starts
    settings.home_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(resolve_database_url(settings))
    migrate(engine)
    sync_assets(engine, universe)
    sync_outlets(engine, load_outlets(settings.news_catalog))
    return Runtime(
        settings=settings, engine=engine, lake=Lake(settings.lake_root), universe=universe
    )


def simulated_world(runtime: Runtime, *, now: datetime | None = None) -> SimulatedWorld:
    """The demo world; its start is fixed on first use (stored in ``<home>/world.json``).

    Anchoring it once keeps a re-run of the demo on another day identical to the first,
    so finished windows are skipped rather than recomputed.
    """
    settings = runtime.settings
    anchor_file = settings.home_dir / "world.json"
    if anchor_file.exists():
        start = datetime.fromisoformat(json.loads(anchor_file.read_text())["start"])
    else:
        end = Window.last_closed(now or datetime.now(UTC)).end
        start = end - timedelta(days=settings.sim_days)
        anchor_file.write_text(json.dumps({"start": start.isoformat()}))
    config = WorldConfig(
        seed=settings.sim_seed,
        start=start,
        days=settings.sim_days,
        beta=settings.sim_beta,
        posts_per_window=settings.sim_posts_per_window,
        news_per_window=settings.sim_news_per_window,
    )
    return SimulatedWorld(config, runtime.universe)


def simulated_sources(world: SimulatedWorld) -> dict[str, Source]:
    """Every text and price source of the simulated world."""
    return {name: SimulatedSource(world, name) for name in SIMULATED_SOURCES}


@dataclass(frozen=True)
class CyclePlan:
    """What ``cycle run`` lands and for which windows, from the ``SOURCES`` setting."""

    sources: dict[str, Source]
    windows: list[Window]
    skipped: list[Skipped]


def cycle_plan(runtime: Runtime, *, now: datetime | None = None) -> CyclePlan:
    """The simulated world's pending windows, or the real sources for the due windows.

    Due windows are the last closed one plus any missed or failed within
    ``CATCHUP_HOURS`` (see :func:`~tickerpulse.jobs.schedule.due_windows`).
    """
    if runtime.settings.sources == [SIMULATED]:
        world = simulated_world(runtime, now=now)
        return CyclePlan(simulated_sources(world), world.windows, [])
    sources, skipped = real_sources(runtime.settings)
    now = now or datetime.now(UTC)
    horizon = timedelta(hours=runtime.settings.catchup_hours)
    outcomes = window_outcomes(runtime.engine, since=now - horizon - timedelta(hours=6))
    return CyclePlan(sources, due_windows(now, outcomes, horizon=horizon), skipped)


def cycle_context(runtime: Runtime, sources: dict[str, Source]) -> CycleContext:
    """The context the cycle runs in: the tagger and the ``SENTIMENT_MODEL`` sentiment model."""
    return CycleContext(
        lake=runtime.lake,
        engine=runtime.engine,
        sources=sources,
        universe=runtime.universe,
        tagger=Tagger(runtime.universe),
        sentiment=runtime.sentiment,
        compute=runtime.settings.engine,
        price_sources=tuple(runtime.settings.price_sources),
        alerts=AlertDelivery.from_settings(runtime.settings),
        max_text_chars=runtime.settings.max_text_chars,
    )
