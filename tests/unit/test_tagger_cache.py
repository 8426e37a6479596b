"""The tagger kept on disk by universe hash: used when sound, rebuilt when stale or damaged."""

import pickle
from pathlib import Path

import pytest

from tickerpulse.domain import AssetClass
from tickerpulse.enrich.tagger import Tagger
from tickerpulse.enrich.tagger_cache import FORMAT, cached_tagger, universe_key
from tickerpulse.universe import AssetInfo, Universe, load_universe

TEXT = "Loading up on $NVDA and Zorblax Corp before earnings"
ZORBLAX = AssetInfo("stock:ZBX", "ZBX", AssetClass.STOCK, "Zorblax Corp", ("Zorblax",))


@pytest.fixture(scope="module")
def universe() -> Universe:
    return load_universe()


def symbols(tagger: Tagger, universe: Universe, text: str = TEXT) -> set[str]:
    return {universe.by_id[a].symbol for a in tagger.mentions_in(text)}


def only_file(folder: Path) -> Path:
    files = list(folder.glob("tagger-*.bin"))
    assert len(files) == 1, files
    return files[0]


def test_the_first_run_builds_and_writes_and_the_next_reads_the_same_tagger(
    tmp_path: Path, universe: Universe
) -> None:
    built = cached_tagger(universe, tmp_path / "cache")
    path = only_file(tmp_path / "cache")
    assert path.read_bytes().startswith(FORMAT + universe_key(universe).encode())
    written = path.stat().st_mtime_ns
    read = cached_tagger(universe, tmp_path / "cache")
    assert read is not built and path.stat().st_mtime_ns == written  # read, not rewritten
    assert symbols(read, universe) == symbols(built, universe) == {"NVDA"}


def test_a_changed_universe_is_a_stale_cache_the_new_tagger_replaces(
    tmp_path: Path, universe: Universe
) -> None:
    cached_tagger(universe, tmp_path)
    old = only_file(tmp_path)
    extended = Universe((*universe.assets, ZORBLAX))
    assert universe_key(extended) != universe_key(universe)
    tagger = cached_tagger(extended, tmp_path)
    assert symbols(tagger, extended) == {"NVDA", "ZBX"}
    assert only_file(tmp_path) != old  # the stale file is gone


def test_a_file_under_the_right_name_holding_another_universe_is_not_trusted(
    tmp_path: Path, universe: Universe
) -> None:
    cached_tagger(Universe((*universe.assets, ZORBLAX)), tmp_path / "other")
    other = only_file(tmp_path / "other").read_bytes()
    cached_tagger(universe, tmp_path)
    path = only_file(tmp_path)
    path.write_bytes(other)  # a sound file, but of another universe
    tagger = cached_tagger(universe, tmp_path)
    assert symbols(tagger, universe) == {"NVDA"}  # not the Zorblax-aware tagger
    assert path.read_bytes().startswith(FORMAT + universe_key(universe).encode())


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda data: data[: len(data) // 2], id="truncated"),
        pytest.param(lambda data: data[:-10] + bytes(10), id="body-overwritten"),
        pytest.param(lambda data: b"", id="empty"),
        pytest.param(lambda data: b"\x80\x05garbage" + data, id="garbage-header"),
    ],
)
def test_a_damaged_file_is_rebuilt_and_replaced(tmp_path: Path, universe: Universe, damage) -> None:
    cached_tagger(universe, tmp_path)
    path = only_file(tmp_path)
    good = path.read_bytes()
    path.write_bytes(damage(good))
    tagger = cached_tagger(universe, tmp_path)
    assert symbols(tagger, universe) == {"NVDA"}
    assert len(path.read_bytes()) == len(good)  # rewritten whole
    assert cached_tagger(universe, tmp_path) is not None


def test_a_sound_digest_over_something_else_than_a_tagger_is_rebuilt(
    tmp_path: Path, universe: Universe
) -> None:
    import hashlib

    cached_tagger(universe, tmp_path)
    path = only_file(tmp_path)
    body = pickle.dumps({"not": "a tagger"})
    header = FORMAT + universe_key(universe).encode() + b"\n"
    path.write_bytes(header + hashlib.sha256(body).digest() + body)
    assert symbols(cached_tagger(universe, tmp_path), universe) == {"NVDA"}


def test_a_folder_that_cannot_be_written_costs_only_the_build(
    tmp_path: Path, universe: Universe
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would be")
    tagger = cached_tagger(universe, blocked / "cache")
    assert symbols(tagger, universe) == {"NVDA"}
