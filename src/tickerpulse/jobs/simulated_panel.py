"""The panel the cycle's own pipeline measures from a simulated world, for honesty tests.

Every raw post and article goes through our normalize → tagger → sentiment →
the cycle's aggregation SQL (DuckDB), so the sentiment the analytics see
carries all of our measurement error, exactly as in production; returns come
from the world's raw price lines as in :mod:`tickerpulse.analytics.simulated`.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from tickerpulse.analytics.panel import panel_from_frames
from tickerpulse.analytics.simulated import world_prices
from tickerpulse.domain import SOCIAL_SOURCES
from tickerpulse.enrich.batch import enrich_documents
from tickerpulse.enrich.normalize import normalize_documents
from tickerpulse.enrich.sentiment import LabelBands, SentimentModel, load_model
from tickerpulse.enrich.tagger import Tagger
from tickerpulse.jobs.engines.duckdb import aggregate_window
from tickerpulse.lake.window_data import WindowInputs, price_priority_table
from tickerpulse.sources.simulator import SimulatedWorld
from tickerpulse.universe import Universe


def panel_from_world(
    world: SimulatedWorld, universe: Universe, model: SentimentModel | None = None
) -> pd.DataFrame:
    """The panel our own pipeline measures from the world's raw lines, window by window.

    ``model`` defaults to the default sentiment model, the one the cycle uses.
    """
    tagger, bands = Tagger(universe), LabelBands()
    model = model if model is not None else load_model()
    bars = world_prices(world)
    bars = bars.append_column("run_id", pa.array(["sim"] * bars.num_rows))
    asset_frames, price_frames = [], []
    for window in world.windows:
        docs = pa.concat_tables(
            normalize_documents(source, world.raw_lines(source, window)).table
            for source in (*SOCIAL_SOURCES, "news")
        )
        enriched = enrich_documents(tagger, model, bands, docs)
        inputs = WindowInputs(
            documents=_with_run(docs),
            sentiment=_with_run(enriched.sentiment),
            mentions=_with_run(enriched.mentions),
            prices=bars,
            price_priority=price_priority_table(["prices"]),
        )
        aggregates = aggregate_window(inputs, window)
        asset_frames.append(aggregates.asset_window.to_pandas().assign(window_start=window.start))
        price_frames.append(aggregates.price_window.to_pandas().assign(window_start=window.start))
    asset_window = pd.concat(asset_frames, ignore_index=True)
    price_window = pd.concat(price_frames, ignore_index=True)
    for frame in (asset_window, price_window):
        frame["window_start"] = pd.to_datetime(frame["window_start"], utc=True)
    return panel_from_frames(asset_window, price_window)


def _with_run(table: pa.Table) -> pa.Table:
    return table.append_column("run_id", pa.array(["sim"] * table.num_rows))
