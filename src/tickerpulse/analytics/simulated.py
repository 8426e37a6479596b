"""Panels from the simulated world, for honesty tests and the demo.

Two paths, both with returns measured from the world's raw price lines (the
Finnhub candle shape, through our price normalizer):

- :func:`panel_from_world` — the honest one: every raw post and article goes
  through our normalize → tagger → sentiment → the cycle's aggregation SQL
  (DuckDB), so the sentiment the analytics see carries all of our
  measurement error, exactly as in production.
- :func:`panel_from_truth` — fast: the world's latent sentiment plus noise
  stands in for the measured one (for unit tests; the measured path is the
  slow test).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from tickerpulse.analytics.panel import complete_grid, panel_from_frames
from tickerpulse.domain import SOCIAL_SOURCES
from tickerpulse.enrich.batch import enrich_documents
from tickerpulse.enrich.normalize import normalize_documents, normalize_prices
from tickerpulse.enrich.sentiment import LabelBands, SentimentModel, load_model
from tickerpulse.enrich.tagger import Tagger
from tickerpulse.jobs.engines.duckdb import aggregate_window
from tickerpulse.lake.window_data import WindowInputs, price_priority_table
from tickerpulse.sources.simulator import SimulatedWorld
from tickerpulse.universe import Universe


def world_prices(world: SimulatedWorld) -> pa.Table:
    """Every hourly bar of the world, through the real price normalizer."""
    lines = [line for w in world.windows for line in world.raw_lines("prices", w)]
    return normalize_prices("prices", lines).table


def price_windows(bars: pa.Table) -> pd.DataFrame:
    """Close and close-to-close return per asset and window (the ``price_window.sql`` rule)."""
    frame = bars.select(["asset_id", "ts", "close"]).to_pandas()
    frame = frame.sort_values(["asset_id", "ts"])
    frame["window_start"] = frame["ts"].dt.floor("6h")
    closes = frame.groupby(["asset_id", "window_start"], as_index=False)["close"].last()
    prev = closes.groupby("asset_id")["close"].shift(1)
    return closes.assign(return_pct=closes["close"] / prev - 1.0)


def panel_from_truth(
    world: SimulatedWorld, noise: float = 0.3, seed: int = 0, bars: pa.Table | None = None
) -> pd.DataFrame:
    """Latent sentiment + Gaussian noise as "measured" sentiment; returns from the raw prices."""
    rng = np.random.default_rng(seed)
    truth = world.truth_windows().to_pandas()
    n = len(truth)
    text = truth[["asset_id", "window_start"]].assign(
        mentions_social=rng.poisson(20, n).astype(float),
        sentiment_social=np.clip(truth["latent_sentiment"] + rng.normal(0, noise, n), -1, 1),
        mentions_news=rng.poisson(3, n).astype(float),
        sentiment_news=np.clip(truth["latent_sentiment"] + rng.normal(0, 2 * noise, n), -1, 1),
    )
    prices = price_windows(world_prices(world) if bars is None else bars)
    merged = text.merge(prices, on=["asset_id", "window_start"], how="left")
    return complete_grid(merged)


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
