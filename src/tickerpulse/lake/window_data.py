"""The tables an engine takes in and gives back for one window."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa

AGGREGATE_NAMES = (
    "window_documents",
    "document_assets",
    "asset_window",
    "price_window",
    "price_gaps",
)


@dataclass(frozen=True)
class WindowInputs:
    """Curated rows that can concern one window, each with the ``run_id`` that produced it."""

    documents: pa.Table
    sentiment: pa.Table
    mentions: pa.Table
    prices: pa.Table
    price_priority: pa.Table
    """``source``, ``priority`` (0 = preferred): which price source wins for an asset."""


@dataclass(frozen=True)
class WindowAggregates:
    """What the aggregate stage produces and the publish stage writes to the marts."""

    window_documents: pa.Table
    document_assets: pa.Table
    asset_window: pa.Table
    price_window: pa.Table
    price_gaps: pa.Table

    def as_dict(self) -> dict[str, pa.Table]:
        """Name → table, in :data:`AGGREGATE_NAMES` order."""
        return {name: getattr(self, name) for name in AGGREGATE_NAMES}


def price_priority_table(sources: Sequence[str]) -> pa.Table:
    """The ``price_priority`` input from an ordered list of source names (first wins)."""
    return pa.table(
        {"source": list(sources), "priority": list(range(len(sources)))},
        schema=pa.schema([("source", pa.string()), ("priority", pa.int64())]),
    )
