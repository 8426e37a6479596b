import random
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pyarrow as pa
import pytest

from tickerpulse.domain import Window
from tickerpulse.lake import Lake, LakeLayout
from tickerpulse.lake.store import DamagedFile, DamagedLakeFile


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


def damaged_reads(lake: Lake, path: str) -> tuple[list[bytes], list[DamagedFile]]:
    damage: list[DamagedFile] = []
    return list(lake.read_jsonl_gz(path, on_damage=damage.append)), damage


def test_a_truncated_gzip_file_gives_its_complete_lines_and_reports_the_rest(
    lake_dir: Path,
) -> None:
    lake = Lake(str(lake_dir))
    lines = [orjson.dumps({"n": n, "pad": "x" * (n % 50)}) for n in range(2_000)]
    lake.write_jsonl_gz("raw/a/part.jsonl.gz", lines)
    whole = lake.read_bytes("raw/a/part.jsonl.gz")
    lake.write_bytes("raw/a/part.jsonl.gz", whole[: len(whole) * 2 // 3])
    kept, damage = damaged_reads(lake, "raw/a/part.jsonl.gz")
    assert 0 < len(kept) < len(lines) and kept == lines[: len(kept)]
    (report,) = damage
    assert report.path == "raw/a/part.jsonl.gz" and "truncated" in report.error
    assert report.lines_kept == len(kept)
    assert lines[len(kept)].startswith(report.tail)  # the half line that did not arrive whole


def test_garbage_in_the_middle_keeps_what_decoded_before_it(lake_dir: Path) -> None:
    lake = Lake(str(lake_dir))
    noise = random.Random(7)
    lines = [orjson.dumps({"n": n, "r": noise.randbytes(30).hex()}) for n in range(5_000)]
    lake.write_jsonl_gz("p.jsonl.gz", lines)
    whole = bytearray(lake.read_bytes("p.jsonl.gz"))
    middle = len(whole) // 2
    whole[middle : middle + 200] = b"\xff" * 200
    lake.write_bytes("p.jsonl.gz", bytes(whole))
    kept, (report,) = damaged_reads(lake, "p.jsonl.gz")
    intact = next(i for i, (a, b) in enumerate(zip(kept, lines, strict=False)) if a != b)
    assert intact > 2_000 and report.error.startswith("corrupt gzip data")
    # gzip's checksum shows the damage only at the end: what inflated after the bad bytes is
    # passed on as lines, and normalize quarantines them (none is even JSON here)
    for garbled in kept[intact:]:
        with pytest.raises(orjson.JSONDecodeError):
            orjson.loads(garbled)


def test_an_intact_file_reports_no_damage_and_a_strict_read_still_raises(lake_dir: Path) -> None:
    lake = Lake(str(lake_dir))
    lake.write_jsonl_gz("ok.jsonl.gz", [b"{}", b"[]"])
    assert damaged_reads(lake, "ok.jsonl.gz") == ([b"{}", b"[]"], [])
    lake.write_bytes("bad.jsonl.gz", lake.read_bytes("ok.jsonl.gz")[:-6])
    with pytest.raises(DamagedLakeFile, match="truncated"):
        list(lake.read_jsonl_gz("bad.jsonl.gz"))
