"""The order of the aggregation queries, shared by every engine.

An engine supplies two things, how to expose an Arrow table under a name and
how to run one of the shared SQL files; this module runs the same plan on both.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

import pyarrow as pa

from tickerpulse.domain import Window
from tickerpulse.jobs.price_gaps import price_gaps
from tickerpulse.lake.window_data import WindowAggregates, WindowInputs

Register = Callable[[str, pa.Table], object]
Query = Callable[[str, Mapping[str, datetime]], pa.Table]


def run_plan(
    register: Register, query: Query, inputs: WindowInputs, window: Window
) -> WindowAggregates:
    """Register the inputs, run the shared SQL in order, and gather the window's aggregates."""
    for name in ("documents", "sentiment", "mentions", "prices", "price_priority"):
        register(name, getattr(inputs, name))
    bounds = {"window_start": window.start, "window_end": window.end}
    window_documents = query("window_documents", bounds)
    register("window_documents", window_documents)
    document_assets = query("document_assets", {})
    register("document_assets", document_assets)
    price_window = query("price_window", bounds)
    priced = query("priced_assets", {}).column("asset_id").to_pylist()
    return WindowAggregates(
        window_documents=window_documents,
        document_assets=document_assets,
        asset_window=query("asset_window", {}),
        price_window=price_window,
        price_gaps=price_gaps(window, price_window, priced),
    )
