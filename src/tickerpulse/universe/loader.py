"""Load the shipped asset list, optionally overridden or extended by a user file."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tickerpulse.domain import AssetClass

SHIPPED = Path(__file__).parent / "data" / "assets.csv"
WORD_NAMES = Path(__file__).parent / "data" / "curated" / "ambiguous_names.txt"


@dataclass(frozen=True)
class AssetInfo:
    """One asset: stable id, canonical symbol, class, name and the aliases people write."""

    asset_id: str
    symbol: str
    asset_class: AssetClass
    name: str
    aliases: tuple[str, ...] = ()
    ambiguous: bool = False
    demo: bool = False


@dataclass(frozen=True)
class Universe:
    """The tracked assets, indexed by id and by symbol."""

    assets: tuple[AssetInfo, ...]
    by_id: dict[str, AssetInfo] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_id", {a.asset_id: a for a in self.assets})

    def __iter__(self) -> Iterator[AssetInfo]:
        return iter(self.assets)

    def __len__(self) -> int:
        return len(self.assets)

    def demo_assets(self) -> tuple[AssetInfo, ...]:
        """The assets the simulated demo world covers (all of them if none is flagged)."""
        return tuple(a for a in self.assets if a.demo) or self.assets

    def get(self, asset_id: str) -> AssetInfo:
        """The asset with ``asset_id``; ``KeyError`` names it when unknown."""
        try:
            return self.by_id[asset_id]
        except KeyError:
            raise KeyError(f"unknown asset {asset_id!r}") from None


def load_universe(extra: Path | None = None) -> Universe:
    """The shipped universe; rows of ``extra`` (same CSV columns) add or replace by asset_id."""
    assets = {a.asset_id: a for a in _read(SHIPPED)}
    if extra is not None:
        assets.update((a.asset_id, a) for a in _read(extra))
    return Universe(tuple(assets.values()))


def word_names() -> frozenset[str]:
    """Asset names that are also ordinary words ("Target", "Flow"): they need their capitals."""
    lines = WORD_NAMES.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def _read(path: Path) -> Iterable[AssetInfo]:
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            yield AssetInfo(
                asset_id=row["asset_id"],
                symbol=row["symbol"],
                asset_class=AssetClass(row["asset_class"]),
                name=row["name"],
                aliases=tuple(a for a in row.get("aliases", "").split("|") if a),
                ambiguous=row.get("ambiguous", "false").strip().lower() == "true",
                demo=(row.get("demo") or "false").strip().lower() == "true",
            )
