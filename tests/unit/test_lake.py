from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

from tickerpulse.domain import Window
from tickerpulse.lake import Lake, LakeLayout


def test_jsonl_gz_round_trip_and_no_temporary_files_left(lake_dir: Path) -> None:
    lake = Lake(str(lake_dir))
    count = lake.write_jsonl_gz("raw/a/part.jsonl.gz", [b'{"x": 1}', b'{"x": 2}'])
    assert count == 2
    assert list(lake.read_jsonl_gz("raw/a/part.jsonl.gz")) == [b'{"x": 1}', b'{"x": 2}']
    assert [p.name for p in (lake_dir / "raw" / "a").iterdir()] == ["part.jsonl.gz"]


def test_gzip_output_is_deterministic(lake_dir: Path) -> None:
    lake = Lake(str(lake_dir))
    lake.write_jsonl_gz("one.jsonl.gz", [b"{}"])
    lake.write_jsonl_gz("two.jsonl.gz", [b"{}"])
    assert lake.read_bytes("one.jsonl.gz") == lake.read_bytes("two.jsonl.gz")


def test_parquet_round_trip_and_glob(lake_dir: Path) -> None:
    lake = Lake(str(lake_dir))
    table = pa.table({"a": [1, 2]})
    lake.write_parquet("curated/t/date=2026-01-01/run=x.parquet", table)
    assert lake.glob("curated/t/date=*/run=*.parquet") == [
        "curated/t/date=2026-01-01/run=x.parquet"
    ]
    assert lake.read_parquet("curated/t/date=2026-01-01/run=x.parquet").equals(table)


def test_layout_matches_the_architecture() -> None:
    layout = LakeLayout()
    window = Window(datetime(2026, 2, 3, 18, tzinfo=UTC))
    assert layout.raw_part("reddit", window.date, window.key, 0) == (
        "raw/source=reddit/date=2026-02-03/run=20260203T18/part-0000.jsonl.gz"
    )
    assert layout.result_csv(window, "BRK.B") == "results/date=2026-02-03/hour=18/asset=BRK.B.csv"
