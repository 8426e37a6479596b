"""ENGINE=spark: the same raw input gives the same marts as DuckDB (counts exact, floats 1e-9)."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine

from tickerpulse.jobs.cycle import run_cycle

from ..conftest import fresh_database
from .cycle_helpers import FirstWordsModel, make_context, small_world, snapshot_marts

pytestmark = pytest.mark.spark


def close(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return bool(a == b)


def test_spark_and_duckdb_publish_identical_marts(pg_admin_uri: str, tmp_path: Path) -> None:
    world = small_world(days=1)
    snapshots = {}
    for compute in ("duckdb", "spark"):
        with fresh_database(pg_admin_uri) as url:
            engine = create_engine(url)
            ctx = dataclasses.replace(
                make_context(engine, str(tmp_path / compute), world),
                compute=compute,
                sentiment=FirstWordsModel(),  # per-mention scores travel nested through Spark
            )
            for window in world.windows:
                run_cycle(ctx, window)
            snapshots[compute] = snapshot_marts(engine)
            engine.dispose()
    duck, spark = snapshots["duckdb"], snapshots["spark"]
    assert duck.keys() == spark.keys() and duck["mart_asset_window"]
    assert {row[-1] for row in duck["mart_document_asset"]} == {"bullish", "bearish"}
    for name in duck:
        assert len(duck[name]) == len(spark[name]), name
        for row_d, row_s in zip(duck[name], spark[name], strict=True):
            assert len(row_d) == len(row_s)
            diff = [(a, b) for a, b in zip(row_d, row_s, strict=True) if not close(a, b)]
            assert not diff, (name, row_d[:4], diff)
