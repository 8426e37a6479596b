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


class UniverseFileError(ValueError):
    """An extra universe file that cannot be read; the message names the file and line."""


REQUIRED_COLUMNS = ("asset_id", "symbol", "asset_class", "name")


def load_universe(extra: Path | None = None) -> Universe:
    """The shipped universe; rows of ``extra`` (same CSV columns) add or replace by asset_id.

    Raises:
        UniverseFileError: ``extra`` is missing, not UTF-8 CSV, or has a bad row.
    """
    assets = {a.asset_id: a for a in _read(SHIPPED)}
    if extra is not None:
        assets.update((a.asset_id, a) for a in _read_checked(extra))
    return Universe(tuple(assets.values()))


def _read_checked(path: Path) -> list[AssetInfo]:
    """Every row of a user's file, or an error saying where and what is wrong."""
    rows: list[AssetInfo] = []
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            header = reader.fieldnames or ()
            for column in REQUIRED_COLUMNS:
                if column not in header:
                    raise UniverseFileError(f"{path}: line 1: missing column {column}")
            for row in reader:
                line = reader.line_num
                for column in REQUIRED_COLUMNS:
                    if not row.get(column):
                        raise UniverseFileError(f"{path}: line {line}: empty {column}")
                try:
                    rows.append(_asset(row))
                except ValueError:
                    classes = ", ".join(c.value for c in AssetClass)
                    raise UniverseFileError(
                        f"{path}: line {line}: unknown asset_class {row['asset_class']!r}"
                        f" (one of {classes})"
                    ) from None
    except OSError as exc:
        raise UniverseFileError(f"{path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise UniverseFileError(f"{path}: not UTF-8 text") from None
    except csv.Error as exc:
        raise UniverseFileError(f"{path}: not CSV: {exc}") from None
    return rows


def word_names() -> frozenset[str]:
    """Asset names that are also ordinary words ("Target", "Flow"): they need their capitals."""
    lines = WORD_NAMES.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def _read(path: Path) -> Iterable[AssetInfo]:
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            yield _asset(row)


def _asset(row: dict[str, str]) -> AssetInfo:
    return AssetInfo(
        asset_id=row["asset_id"],
        symbol=row["symbol"],
        asset_class=AssetClass(row["asset_class"]),
        name=row["name"],
        aliases=tuple(a for a in (row.get("aliases") or "").split("|") if a),
        ambiguous=(row.get("ambiguous") or "false").strip().lower() == "true",
        demo=(row.get("demo") or "false").strip().lower() == "true",
    )
