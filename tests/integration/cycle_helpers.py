"""Helpers shared by the cycle tests: a small simulated world and mart snapshots."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, create_engine, text

from tickerpulse.db.marts import sync_assets
from tickerpulse.enrich.sentiment import LexiconModel, SentimentModel, Span, load_model
from tickerpulse.enrich.tagger import Tagger
from tickerpulse.jobs.context import CycleContext
from tickerpulse.jobs.cycle import run_cycle
from tickerpulse.lake import Lake
from tickerpulse.runtime import simulated_sources
from tickerpulse.sources.base import Source
from tickerpulse.sources.simulator import SimulatedWorld, WorldConfig
from tickerpulse.universe import load_universe

from ..conftest import fresh_database

START = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday: stock hours and a weekday FX market

MART_QUERIES = {
    "mart_asset_window": "SELECT * FROM mart_asset_window ORDER BY 1, 2, 3, 4",
    "mart_price_window": "SELECT * FROM mart_price_window ORDER BY 1, 2",
    "mart_document": "SELECT * FROM mart_document ORDER BY doc_id",
    "mart_document_asset": "SELECT * FROM mart_document_asset ORDER BY 1, 2",
    "mart_price_gap": "SELECT * FROM mart_price_gap ORDER BY 1, 2",
    "mart_attention": "SELECT * FROM mart_attention ORDER BY 1, 2",
    "mart_author_call": "SELECT * FROM mart_author_call ORDER BY 1, 2, 3",
    "mart_author_record": "SELECT * FROM mart_author_record ORDER BY 1",
}


class FirstWordsModel:
    """A per-mention model: +0.5 when the mention starts the text, else -0.5; text score 0.2."""

    version = "first-words-test-v0"

    def score(self, texts: Sequence[str]) -> list[float]:
        return [0.2 for _ in texts]

    def score_mentions(
        self, texts: Sequence[str], spans: Sequence[Sequence[Span]]
    ) -> list[list[float]]:
        return [[0.5 if start < 12 else -0.5 for start, _ in found] for found in spans]


def small_world(*, days: int = 2, beta: float = 0.6, seed: int = 3) -> SimulatedWorld:
    config = WorldConfig(
        seed=seed, start=START, days=days, beta=beta, posts_per_window=200, news_per_window=30
    )
    return SimulatedWorld(config, load_universe())


def make_context(
    engine: Engine,
    lake_path: str,
    world: SimulatedWorld,
    sources: dict[str, Source] | None = None,
    sentiment: SentimentModel | None = None,
) -> CycleContext:
    universe = load_universe()
    sync_assets(engine, universe)
    return CycleContext(
        lake=Lake(lake_path),
        engine=engine,
        sources=sources if sources is not None else simulated_sources(world),
        universe=universe,
        tagger=Tagger(universe),
        sentiment=sentiment if sentiment is not None else LexiconModel(),
    )


def one_day_marts_with_default_model(pg_admin_uri: str, lake_path: str) -> dict[str, Any]:
    """The marts of an uninterrupted in-process run of the one-day world on a local lake.

    Scored with the default model, as the ``tickerpulse cycle`` processes are: the
    reference that crash-and-rerun runs, on any lake, are compared with.
    """
    world = small_world(days=1)
    with fresh_database(pg_admin_uri) as url:
        engine = create_engine(url)
        ctx = make_context(engine, lake_path, world, sentiment=load_model())
        for window in world.windows:
            run_cycle(ctx, window)
        marts = snapshot_marts(engine)
        engine.dispose()
    return marts


def snapshot_marts(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as conn:
        return {name: [tuple(r) for r in conn.execute(text(q))] for name, q in MART_QUERIES.items()}
