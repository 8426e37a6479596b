"""Aggregation engines: DuckDB in-process (default) or Spark SQL, running the same SQL."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import cast

from tickerpulse.domain import Window
from tickerpulse.lake.window_data import WindowAggregates, WindowInputs

Aggregator = Callable[[WindowInputs, Window], WindowAggregates]
ENGINES = ("duckdb", "spark")


def aggregator(name: str) -> Aggregator:
    """The ``aggregate_window`` function of engine ``name`` (imported only when chosen)."""
    if name not in ENGINES:
        raise ValueError(f"unknown ENGINE {name!r}; choose one of {', '.join(ENGINES)}")
    module = importlib.import_module(f"tickerpulse.jobs.engines.{name}")
    return cast(Aggregator, module.aggregate_window)
