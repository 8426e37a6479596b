"""Panels from the simulated world, for honesty tests and the demo.

Returns are measured from the world's raw price lines (the Finnhub candle
shape, through our price normalizer). :func:`panel_from_truth` is the fast
path: the world's latent sentiment plus noise stands in for the measured one
(for unit tests). The honest path, where every raw post goes through the
cycle's own pipeline, is :func:`tickerpulse.jobs.simulated_panel.panel_from_world`
(it runs the jobs' aggregation engine, which analytics does not import).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from tickerpulse.analytics.panel import complete_grid
from tickerpulse.enrich.normalize import normalize_prices
from tickerpulse.sources.simulator import SimulatedWorld


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
