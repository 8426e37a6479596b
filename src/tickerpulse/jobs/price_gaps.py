"""Gap report: assets whose chosen price source has fewer hourly bars than the market had hours.

Pure and engine-independent: both engines hand over the window's price
aggregate and the assets that were priced recently, and get the same report.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyarrow as pa

from tickerpulse.domain import Window
from tickerpulse.markets import asset_class_of, expected_hourly_bars

PRICE_GAP_SCHEMA = pa.schema(
    [
        ("asset_id", pa.string()),
        ("source", pa.string()),
        ("expected_bars", pa.int64()),
        ("bars", pa.int64()),
    ]
)


def price_gaps(window: Window, price_window: pa.Table, priced_assets: Iterable[str]) -> pa.Table:
    """One row per recently priced asset with missing bars in ``window``.

    Args:
        window: The window being aggregated.
        price_window: The window's price aggregate (``asset_id``, ``source``, ``bars``).
        priced_assets: Assets that any source priced in the days before.

    Returns:
        Rows of :data:`PRICE_GAP_SCHEMA`; ``source`` is null when no source had a bar.
    """
    have = {
        row["asset_id"]: row
        for row in price_window.select(["asset_id", "source", "bars"]).to_pylist()
    }
    rows = []
    for asset_id in sorted(set(priced_assets) | set(have)):
        expected = expected_hourly_bars(asset_class_of(asset_id), window)
        found = have.get(asset_id, {})
        bars = int(found.get("bars") or 0)
        if bars < expected:
            rows.append(
                {
                    "asset_id": asset_id,
                    "source": found.get("source"),
                    "expected_bars": expected,
                    "bars": bars,
                }
            )
    return pa.Table.from_pylist(rows, schema=PRICE_GAP_SCHEMA)
