"""CSV tables streamed in chunks, units in the header row, safe to open in a spreadsheet.

Text cells that a spreadsheet would run as a formula (starting with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return) get a leading apostrophe, as
OWASP advises; numbers are written as numbers (a negative return stays ``-1.2``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CHUNK_ROWS = 500


@dataclass(frozen=True)
class CsvColumn:
    """A column: its header (with the unit, e.g. ``return_pct (%)``) and how to read a row."""

    header: str
    value: Callable[[Any], object]


def neutralise(text: str) -> str:
    """Text a spreadsheet will show as text: a formula-like start gets a leading apostrophe."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def cell(value: object) -> str:
    """One cell: empty for None, ISO 8601 for times, plain numbers, neutralised text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(round(value, 10)) if isinstance(value, float) else str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return neutralise(str(value))


def csv_chunks(
    columns: Sequence[CsvColumn], rows: Iterable[Any], chunk_rows: int = CHUNK_ROWS
) -> Iterator[str]:
    r"""The CSV text in pieces of ``chunk_rows`` rows, the header row first.

    Args:
        columns: The table's columns.
        rows: The rows (read lazily).
        chunk_rows: Rows per piece.

    Yields:
        Pieces of CSV text (RFC 4180 quoting, ``\r\n`` line ends).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([neutralise(c.header) for c in columns])
    for count, row in enumerate(rows, start=1):
        writer.writerow([cell(c.value(row)) for c in columns])
        if count % chunk_rows == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def percent(value: float | None) -> float | None:
    """A fraction as a percentage (0.0134 → 1.34), for ``(%)`` columns."""
    return None if value is None else value * 100
