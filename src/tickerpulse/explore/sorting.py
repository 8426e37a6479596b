"""Sorting a table by any of its columns, as asked in a page's query string.

A :class:`TableSpec` names a table's sortable columns and how to read each
from a row; :func:`choose` turns the ``sort`` and ``dir`` parameters into a
:class:`SortChoice` (an unknown column is ignored with a message, never an
error, so a shared link with a stale column still opens), and
:func:`sort_rows` orders rows with missing values last either way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlencode

R = TypeVar("R")
MAX_PARAM = 32


@dataclass(frozen=True)
class Column:
    """A sortable column: its query-string name, its heading and how to read it from a row."""

    key: str
    label: str
    value: Callable[[Any], Any]
    numeric: bool = True
    """Numbers sort largest first on a first click; text A to Z."""


@dataclass(frozen=True)
class TableSpec:
    """A table's sortable columns; with no ``sort`` asked the rows keep the page's own order."""

    name: str
    columns: tuple[Column, ...]

    def column(self, key: str) -> Column | None:
        """The column called ``key``, or None."""
        return next((c for c in self.columns if c.key == key), None)

    @property
    def keys(self) -> list[str]:
        """Every sortable column's name, for messages and API documentation."""
        return [c.key for c in self.columns]


@dataclass(frozen=True)
class SortChoice:
    """How a table is sorted: a known column and direction, or its own order."""

    column: str | None = None
    descending: bool = True
    message: str | None = None
    """Why the asked sort was not applied, for the page to say; None when it was (or none asked)."""

    @property
    def direction(self) -> str:
        """``asc`` or ``desc``."""
        return "desc" if self.descending else "asc"


def choose(spec: TableSpec, sort: str | None, direction: str | None) -> SortChoice:
    """The sort a reader asked for, checked against the table's columns.

    Args:
        spec: The table.
        sort: The ``sort`` parameter (a column name), or None.
        direction: The ``dir`` parameter: ``asc`` or ``desc``; anything else takes the
            column's natural direction (numbers largest first, text A to Z).

    Returns:
        The choice; an unknown column keeps the table's order and says why.
    """
    if not sort:
        return SortChoice()
    column = spec.column(sort)
    if column is None:
        shown = sort[:MAX_PARAM]
        known = ", ".join(spec.keys)
        return SortChoice(message=f"There is no column “{shown}” to sort by (try {known}).")
    if direction in ("asc", "desc"):
        return SortChoice(column.key, direction == "desc")
    return SortChoice(column.key, column.numeric)


def sort_rows(spec: TableSpec, rows: Sequence[R], choice: SortChoice) -> list[R]:
    """The rows in the chosen order; rows without a value in the column come last.

    Ties keep the table's own order (the sort is stable).
    """
    column = spec.column(choice.column) if choice.column else None
    if column is None:
        return list(rows)
    known = [r for r in rows if column.value(r) is not None]
    missing = [r for r in rows if column.value(r) is None]
    key = column.value if column.numeric else (lambda r: str(column.value(r)).casefold())
    return sorted(known, key=key, reverse=choice.descending) + missing


@dataclass(frozen=True)
class SortLinks:
    """What a table's headings need: the current sort and links that sort by each column."""

    spec: TableSpec
    choice: SortChoice
    params: tuple[tuple[str, str], ...] = field(default=())
    """The page's other (already validated) parameters, kept in every link."""
    path: str = ""
    names: tuple[str, str] = ("sort", "dir")
    """The query parameters of this table's column and direction (a page with two sortable
    tables gives the second its own, e.g. ``gsort`` and ``gdir``)."""

    def href(self, key: str) -> str:
        """The link that sorts by ``key``: the other direction when it is already sorted by it."""
        column = self.spec.column(key)
        numeric = column.numeric if column else True
        descending = not self.choice.descending if self.choice.column == key else numeric
        sort_name, dir_name = self.names
        query = [*self.params, (sort_name, key), (dir_name, "desc" if descending else "asc")]
        return f"{self.path}?{urlencode(query)}"

    def query(self) -> str:
        """The current view's query string (its parameters and sort), for an export link."""
        pairs = list(self.params)
        if self.choice.column:
            pairs += [(self.names[0], self.choice.column), (self.names[1], self.choice.direction)]
        return urlencode(pairs)

    def aria(self, key: str) -> str | None:
        """``aria-sort`` of the heading: ascending or descending when sorted by it, else None."""
        if self.choice.column != key:
            return None
        return "descending" if self.choice.descending else "ascending"


def kept_params(pairs: Mapping[str, str | None]) -> tuple[tuple[str, str], ...]:
    """The non-empty parameters, in order, for :class:`SortLinks`."""
    return tuple((k, v) for k, v in pairs.items() if v)
