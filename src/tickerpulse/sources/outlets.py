"""The news outlet catalog: each outlet's feed, language, region and coverage.

Shipped as ``sources/data/outlets.csv``; ``NEWS_CATALOG`` names a CSV with the
same columns that replaces it. The catalog feeds the RSS source and the
``news_outlet`` table that news analytics group by.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from importlib import resources
from pathlib import Path


@dataclass(frozen=True)
class Outlet:
    """One catalogued news outlet and its feed."""

    outlet: str
    name: str
    feed_url: str
    language: str
    region: str
    coverage: tuple[str, ...]
    enabled: bool


def load_outlets(path: Path | None = None) -> list[Outlet]:
    """The outlet catalog: the shipped one, or the CSV at ``path`` with the same columns."""
    if path is None:
        text = resources.files("tickerpulse.sources").joinpath("data/outlets.csv").read_text()
    else:
        text = path.read_text()
    outlets = [
        Outlet(
            outlet=row["outlet"],
            name=row["name"],
            feed_url=row["feed_url"],
            language=row["language"],
            region=row["region"],
            coverage=tuple(row["coverage"].split("|")),
            enabled=row["enabled"].strip().lower() == "true",
        )
        for row in csv.DictReader(text.splitlines())
    ]
    ids = [o.outlet for o in outlets]
    if len(ids) != len(set(ids)):
        raise ValueError("outlet catalog has duplicate outlet ids")
    return outlets
