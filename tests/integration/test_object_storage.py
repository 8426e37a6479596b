"""The cycle on an S3 lake (a local moto server speaking the S3 API) gives the local lake's marts."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
import s3fs
from moto.server import ThreadedMotoServer
from sqlalchemy import Engine, create_engine, text

from tickerpulse.jobs.cycle import CycleFailed, run_cycle
from tickerpulse.lake import Lake

from ..conftest import fresh_database
from .cycle_helpers import make_context, small_world, snapshot_marts

BUCKET = "tickerpulse-test"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """A moto S3 server on loopback, with credentials and endpoint in the environment."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    with pytest.MonkeyPatch.context() as env:
        for name, value in {
            "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": endpoint,
        }.items():  # fmt: skip
            env.setenv(name, value)
        boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=BUCKET)
        yield endpoint
    # fsspec caches file systems by arguments: drop the one bound to this server
    s3fs.S3FileSystem.clear_instance_cache()
    server.stop()


def test_lake_files_round_trip_on_s3(s3_endpoint: str) -> None:
    lake = Lake(f"s3://{BUCKET}/lake")
    lake.write_bytes("raw/a/part-1.jsonl.gz", b"x")
    lake.write_jsonl_gz("raw/b/part-2.jsonl.gz", [b'{"a":1}', b'{"b":2}'])
    assert lake.glob("raw/*/part-*.jsonl.gz") == ["raw/a/part-1.jsonl.gz", "raw/b/part-2.jsonl.gz"]
    assert list(lake.read_jsonl_gz("raw/b/part-2.jsonl.gz")) == [b'{"a":1}', b'{"b":2}']
    assert lake.uri("raw/a/part-1.jsonl.gz") == f"s3://{BUCKET}/lake/raw/a/part-1.jsonl.gz"


def test_a_cycle_on_s3_publishes_the_same_marts_as_on_a_local_lake(
    s3_endpoint: str, pg_admin_uri: str, tmp_path: Path
) -> None:
    world = small_world(days=1)
    snapshots = []
    for lake_url in (str(tmp_path / "lake"), f"s3://{BUCKET}/lake"):
        with fresh_database(pg_admin_uri) as url:
            engine = create_engine(url)
            ctx = make_context(engine, lake_url, world)
            for window in world.windows:
                run_cycle(ctx, window)
            snapshots.append(snapshot_marts(engine))
            engine.dispose()
    local, s3 = snapshots
    assert s3 == local and local["mart_document"]
    assert Lake(f"s3://{BUCKET}/lake").glob("results/date=*/hour=*/asset=*.csv")


def test_a_lake_that_cannot_be_written_fails_the_land_stage_not_the_source(
    s3_endpoint: str, engine: Engine
) -> None:
    world = small_world(days=1)
    ctx = make_context(engine, "s3://no-such-bucket/lake", world)
    with pytest.raises(CycleFailed) as failure:
        run_cycle(ctx, world.windows[0])
    assert failure.value.stage == "land"
    with engine.connect() as conn:
        cursors = conn.execute(text("SELECT count(*) FROM source_cursor")).scalar_one()
    assert cursors == 0  # nothing was landed, so no cursor moved: a retry fetches it all again
