"""What every source offers the land stage: incremental pages of raw records.

A source yields :class:`Page` objects; each carries untouched provider
records (as landed JSON lines) and the cursor that is true once that page is
stored. The land stage writes the page durably first and only then saves the
cursor, so a crash between the two re-fetches the page instead of losing it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import orjson

Cursor = dict[str, Any]


@dataclass(frozen=True)
class Page:
    """One batch of landed lines and the cursor that holds after it."""

    lines: list[bytes]
    cursor: Cursor


class Source(Protocol):
    """An incremental source of raw records."""

    name: str

    def fetch(self, since: Cursor, *, until: datetime) -> Iterator[Page]:
        """Pages of records newer than ``since`` and older than ``until``."""
        ...


def envelope(item: Mapping[str, Any], *, fetched_at: datetime, context: Mapping[str, Any]) -> bytes:
    """One landed line: the provider's item untouched, with what we knew when fetching it."""
    return orjson.dumps(
        {"fetched_at": fetched_at.isoformat(), "context": dict(context), "item": item}
    )
