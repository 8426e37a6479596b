"""Ticker search over the universe: symbols, names and the aliases people write.

An :class:`AssetSearch` is built once from the universe (a few hundred assets)
and answers each query by scoring the assets whose words contain every word of
the query (a substring test rejects the rest), keeping the answers to the most
recent distinct queries: an exact symbol first, then an exact name or alias, a symbol
prefix, every word of the query starting a word of one name, and so on.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from tickerpulse.universe.loader import AssetInfo

MAX_QUERY = 64
"""Longer queries are cut: no name in the universe is longer."""
SUGGESTIONS = 8
RESULTS = 50
REMEMBERED_QUERIES = 4096
_NON_WORD = re.compile(r"[^0-9a-z]+")


@dataclass(frozen=True)
class SearchHit:
    """One asset that matches a query, and how well."""

    asset_id: str
    symbol: str
    name: str
    asset_class: str
    matched: str
    """What matched, in words: "symbol", "name" or an alias ("alias: euro")."""
    score: int


@dataclass(frozen=True)
class _Entry:
    asset: AssetInfo
    symbol: str
    names: tuple[tuple[str, str], ...]
    """(normalised name or alias, how the hit describes it)."""
    words: frozenset[str]
    split_names: tuple[tuple[str, ...], ...]
    haystack: str
    """Every word of the symbol, name and aliases: a query word not in it cannot match."""


def normalise(text: str) -> str:
    """Lower case, punctuation as spaces, single spaces ("Euro / US Dollar" → "euro us dollar")."""
    return _NON_WORD.sub(" ", text.casefold()).strip()


class AssetSearch:
    """Find assets by symbol, name or alias."""

    def __init__(self, assets: Iterable[AssetInfo]) -> None:
        self._entries = [_entry(a) for a in assets]
        self._ranked = lru_cache(maxsize=REMEMBERED_QUERIES)(self._rank)

    def search(self, query: str, limit: int = SUGGESTIONS) -> list[SearchHit]:
        """The best matches of ``query``, best first.

        Args:
            query: What the reader typed: a symbol (``nvda``, ``EUR/USD``), a name
                (``nvidia``) or words of one (``euro dollar``).
            limit: Most hits returned.

        Returns:
            Hits ordered by score, then shorter symbols, then symbol; empty for a blank query.
        """
        text = normalise(query[:MAX_QUERY])
        if not text:
            return []
        return list(self._ranked(text)[: max(limit, 0)])

    def _rank(self, text: str) -> tuple[SearchHit, ...]:
        """Every match of a normalised query, best first."""
        tokens = text.split()
        candidates = [e for e in self._entries if all(t in e.haystack for t in tokens)]
        hits = [hit for e in candidates if (hit := _score(e, text)) is not None]
        hits.sort(key=lambda h: (-h.score, len(h.symbol), h.symbol, h.asset_id))
        return tuple(hits[:RESULTS])


def _entry(asset: AssetInfo) -> _Entry:
    names = [(normalise(asset.name), "name")]
    names += [(normalise(alias), f"alias: {alias}") for alias in asset.aliases]
    names = [(n, how) for n, how in names if n]
    symbol = normalise(asset.symbol).replace(" ", "")
    words = {w for n, _ in names for w in n.split()} | {symbol}
    split_names = tuple(tuple(n.split()) for n, _ in names)
    haystack = " ".join(sorted(words) + [n for n, _ in names])
    return _Entry(asset, symbol, tuple(names), frozenset(words), split_names, haystack)


def _score(entry: _Entry, text: str) -> SearchHit | None:
    compact, tokens = text.replace(" ", ""), text.split()
    found: tuple[int, str] | None = None
    if compact == entry.symbol:
        found = (100, "symbol")
    elif exact := next((how for n, how in entry.names if n == text), None):
        found = (90, exact)
    elif entry.symbol.startswith(compact):
        found = (70, "symbol")
    elif whole := next(
        (how for (_, how), split in zip(entry.names, entry.split_names, strict=True)
         if _all_start(tokens, split)),
        None,
    ):  # fmt: skip
        found = (60, whole)
    elif _all_start(tokens, entry.words):
        found = (50, "name")
    elif len(text) >= 3 and (part := next((how for n, how in entry.names if text in n), None)):
        found = (30, part)
    if found is None:
        return None
    a = entry.asset
    return SearchHit(a.asset_id, a.symbol, a.name, a.asset_class, found[1], found[0])


def _all_start(tokens: list[str], words: Iterable[str]) -> bool:
    """Whether every token starts some word."""
    pool = list(words)
    return all(any(w.startswith(t) for w in pool) for t in tokens)
