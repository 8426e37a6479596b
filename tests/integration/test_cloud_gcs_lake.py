"""The lake on gs:// (gcsfs against fake-gcs-server): the same marts, crash safety and backfill."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import signal
import subprocess
import sys
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import fsspec
import gcsfs
import pytest
from sqlalchemy import Engine, create_engine, text
from typer.testing import CliRunner

from tickerpulse.cli import app
from tickerpulse.enrich.sentiment import load_model
from tickerpulse.jobs.cycle import run_cycle
from tickerpulse.lake import Lake

from ..cloud_emulators import fake_gcs_server
from .cycle_helpers import (
    START,
    make_context,
    one_day_marts_with_default_model,
    small_world,
    snapshot_marts,
)

pytestmark = pytest.mark.cloud

WORLD_ENV = {"SIM_SEED": "3", "SIM_DAYS": "1", "SIM_BETA": "0.6",
             "SIM_POSTS_PER_WINDOW": "200", "SIM_NEWS_PER_WINDOW": "30"}  # fmt: skip


@pytest.fixture(scope="module")
def gcs_endpoint() -> Iterator[str]:
    """fake-gcs-server, with gcsfs pointed at it (no credentials) for this process and children."""
    with fake_gcs_server() as endpoint, pytest.MonkeyPatch.context() as env:
        env.setenv("STORAGE_EMULATOR_HOST", endpoint)
        env.setenv("FSSPEC_GCS_TOKEN", "anon")  # read by fsspec in the CLI's subprocesses
        env.setitem(fsspec.config.conf, "gcs", {"token": "anon"})
        # gcsfs's default file system first asks the gRPC storage-control API for the
        # bucket's layout (zonal/hierarchical), which no emulator serves: a minute's
        # timeout per call. The JSON-API file system is what the emulator speaks.
        env.setenv("GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT", "false")  # for the subprocesses
        for protocol in ("gs", "gcs"):
            fsspec.register_implementation(protocol, gcsfs.core.GCSFileSystem, clobber=True)
        yield endpoint
        for protocol in ("gs", "gcs"):
            fsspec.register_implementation(protocol, gcsfs.GCSFileSystem, clobber=True)
        # fsspec caches file systems by arguments: drop the one bound to this server
        gcsfs.core.GCSFileSystem.clear_instance_cache()


@pytest.fixture
def bucket(gcs_endpoint: str) -> str:
    """A new empty bucket for one test."""
    name = f"tickerpulse-{uuid.uuid4().hex[:10]}"
    request = urllib.request.Request(
        f"{gcs_endpoint}/storage/v1/b?project=test",
        data=json.dumps({"name": name}).encode(),
        headers={"content-type": "application/json"},
        method="POST",
    )
    urllib.request.urlopen(request, timeout=10).close()
    return name


def test_lake_files_round_trip_on_gcs(bucket: str) -> None:
    lake = Lake(f"gs://{bucket}/lake")
    lake.write_bytes("raw/a/part-1.jsonl.gz", b"x")
    lake.write_jsonl_gz("raw/b/part-2.jsonl.gz", [b'{"a":1}', b'{"b":2}'])
    assert lake.glob("raw/*/part-*.jsonl.gz") == ["raw/a/part-1.jsonl.gz", "raw/b/part-2.jsonl.gz"]
    assert list(lake.read_jsonl_gz("raw/b/part-2.jsonl.gz")) == [b'{"a":1}', b'{"b":2}']
    assert lake.uri("raw/a/part-1.jsonl.gz") == f"gs://{bucket}/lake/raw/a/part-1.jsonl.gz"
    lake.write_bytes("raw/a/part-1.jsonl.gz", b"replaced")  # an overwrite is one new generation
    assert lake.read_bytes("raw/a/part-1.jsonl.gz") == b"replaced"


def test_an_upload_cut_off_midway_leaves_no_object_behind(bucket: str) -> None:
    """Object stores publish an object when its upload completes: no temporary name is needed.

    A write bigger than one block goes up as a resumable upload in chunks; until the
    last chunk is sent, readers see nothing at that name, not a truncated file.
    """
    lake = Lake(f"gs://{bucket}/lake")
    lake.write_bytes("curated/t/date=2026-03-02/run=1.parquet", b"the old, complete version")
    chunk = 256 * 1024  # GCS's resumable chunks are multiples of 256 KiB
    handle = lake.fs.open(lake.full("curated/t/date=2026-03-02/run=1.parquet"), "wb",
                          block_size=chunk)  # fmt: skip
    handle.write(b"n" * (3 * chunk))
    handle.flush()  # the first chunks are on the server now, the upload still open
    assert handle.offset and handle.offset >= chunk  # bytes really went up
    lake.fs.invalidate_cache()
    assert (
        lake.read_bytes("curated/t/date=2026-03-02/run=1.parquet") == b"the old, complete version"
    )
    handle.discard()  # the process dies here: the upload is never finalised
    lake.fs.invalidate_cache()
    assert (
        lake.read_bytes("curated/t/date=2026-03-02/run=1.parquet") == b"the old, complete version"
    )
    assert lake.fs.find(lake.root) == [lake.full("curated/t/date=2026-03-02/run=1.parquet")]


@pytest.fixture(scope="module")
def local_marts(pg_admin_uri: str, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The marts of the one-day world run on a local lake folder, with the default model."""
    lake = str(tmp_path_factory.mktemp("local-lake"))
    return one_day_marts_with_default_model(pg_admin_uri, lake)


def test_a_cycle_on_gcs_publishes_the_same_marts_as_on_a_local_lake(
    bucket: str, engine: Engine, local_marts: Any
) -> None:
    world = small_world(days=1)
    ctx = make_context(engine, f"gs://{bucket}/lake", world, sentiment=load_model())
    for window in world.windows:
        run_cycle(ctx, window)
    assert snapshot_marts(engine) == local_marts and local_marts["mart_document"]
    lake = Lake(f"gs://{bucket}/lake")
    assert lake.glob("raw/source=*/date=*/run=*/part-*.jsonl.gz")
    assert lake.glob("results/date=*/hour=*/asset=*.csv")


def cli(home: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tickerpulse", "cycle", *args],
        env={**os.environ, **WORLD_ENV, **env, "TICKERPULSE_HOME": str(home)},
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


@pytest.mark.parametrize("stage", ["land", "enrich", "publish"])
def test_killed_after_a_stage_on_gcs_then_rerun_loses_and_duplicates_nothing(
    stage: str, bucket: str, database_url: str, tmp_path: Path, local_marts: Any
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "world.json").write_text(json.dumps({"start": START.isoformat()}))
    env = {"DATABASE_URL": database_url, "LAKE_URL": f"gs://{bucket}/lake"}
    first_window = START.strftime("%Y%m%dT%H")

    killed = cli(home, env, "run", "--window", first_window, "--kill-after", stage)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    resumed = cli(home, env, "run")
    assert resumed.returncode == 0, resumed.stderr

    engine = create_engine(database_url)
    assert snapshot_marts(engine) == local_marts
    engine.dispose()
    lake = Lake(f"gs://{bucket}/lake")
    assert not [p for p in lake.fs.find(lake.root) if ".tmp-" in p]  # no temporary names on GCS


def test_backfill_reads_the_raw_lake_from_gcs(
    bucket: str, engine: Engine, database_url: str, tmp_path: Path, local_marts: Any
) -> None:
    world = small_world(days=1)
    ctx = make_context(engine, f"gs://{bucket}/lake", world, sentiment=load_model())
    for window in world.windows:
        run_cycle(ctx, window)
    with engine.begin() as conn:  # the marts are lost; the raw lake on GCS is all there is
        conn.execute(text("TRUNCATE mart_document, mart_document_asset, mart_asset_window"))
    env = {"DATABASE_URL": database_url, "LAKE_URL": f"gs://{bucket}/lake",
           "TICKERPULSE_HOME": str(tmp_path / "home")}  # fmt: skip
    day = START.date().isoformat()
    next_day = (START + timedelta(days=1)).date().isoformat()
    result = CliRunner().invoke(
        app, ["cycle", "backfill", "--from", day, "--to", next_day], env=env
    )
    assert result.exit_code == 0, result.output
    assert "Backfilled" in result.output
    assert snapshot_marts(engine) == local_marts


@pytest.mark.spark
@pytest.mark.timeout(900)  # Spark's start-up on a busy machine
def test_the_spark_engine_on_a_gcs_lake_publishes_the_local_duckdb_marts(
    bucket: str, engine: Engine, local_marts: Any
) -> None:
    """ENGINE=spark takes its inputs from the lake and gives results back through it (Arrow on
    the driver), so the GCS connector jar is not needed for the batch engine."""
    world = small_world(days=1)
    ctx = dataclasses.replace(
        make_context(engine, f"gs://{bucket}/lake", world, sentiment=load_model()), compute="spark"
    )
    for window in world.windows:
        run_cycle(ctx, window)
    spark = snapshot_marts(engine)
    for name, rows in local_marts.items():
        assert len(spark[name]) == len(rows), name
        for local_row, spark_row in zip(rows, spark[name], strict=True):
            assert all(
                math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
                if isinstance(a, float) and isinstance(b, float)
                else a == b
                for a, b in zip(local_row, spark_row, strict=True)
            ), (name, local_row[:4])
