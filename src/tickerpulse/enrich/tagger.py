"""Asset mention tagging: which assets a text speaks of, how we know, how central it is.

First version (issue 10 makes it thorough): cashtags, FX pairs in their
written forms, company names and aliases (case-aware, with possessives and
plurals), and bare tickers only when they are not common English words.
One combined regular expression scans each text once; there is no loop over
assets. URLs and e-mail addresses are blanked before matching.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa

from tickerpulse.domain import MENTION_SCHEMA, AssetClass
from tickerpulse.universe import Universe

METHODS = ("cashtag", "ticker", "name", "alias", "pair")

_URL_OR_EMAIL = re.compile(r"https?://\S+|www\.\S+|\S+@\S+\.\w+")
_LEAD_CHARS = 160  # the title or first sentence, roughly: mentions there weigh more


@dataclass(frozen=True)
class _Target:
    asset_id: str
    method: str


class Tagger:
    """Finds asset mentions in batches of texts against one universe."""

    version = "rules-v1"

    def __init__(self, universe: Universe) -> None:
        self._cashtags: dict[str, str] = {}
        self._tickers: dict[str, str] = {}
        self._pairs: dict[str, str] = {}
        self._phrases: dict[str, _Target] = {}
        for asset in universe:
            symbol = asset.symbol.upper()
            self._cashtags[symbol] = asset.asset_id
            if asset.asset_class is AssetClass.FX:
                self._pairs[symbol] = asset.asset_id
                self._pairs[f"{symbol[:3]}/{symbol[3:]}"] = asset.asset_id
            elif not asset.ambiguous and len(symbol) >= 2:
                self._tickers[symbol] = asset.asset_id
            for alias in asset.aliases:
                if "/" in alias:
                    continue  # FX pair spellings are handled above
                forms = {alias, alias[:1].upper() + alias[1:]}
                if asset.asset_class in (AssetClass.CRYPTO, AssetClass.FX):
                    forms.add(alias.lower())  # "bitcoin", "ether", "euro" are written lower-case
                for form in forms:
                    self._phrases[form] = _Target(asset.asset_id, "alias")
            short_name = _short_name(asset.name)
            if short_name and not asset.ambiguous:
                self._phrases.setdefault(short_name, _Target(asset.asset_id, "name"))
        self._pattern = self._compile()

    def _compile(self) -> re.Pattern[str]:
        phrases = sorted(self._phrases, key=len, reverse=True)
        pairs = sorted(self._pairs, key=len, reverse=True)
        return re.compile(
            r"(?<![\w$])\$(?P<cashtag>[A-Za-z]{1,6}(?:\.[A-Za-z])?)(?![\w.])"
            rf"|(?<![\w/])(?P<pair>{'|'.join(map(re.escape, pairs))})(?![\w/])"
            rf"|(?<![\w$])(?P<phrase>{'|'.join(map(re.escape, phrases))})(?:'s|s)?(?!\w)"
            r"|(?<![\w$])(?P<ticker>[A-Z]{2,5})(?!\w)"
        )

    def mentions_in(self, text: str) -> dict[str, tuple[str, float]]:
        """Mentions in one text: asset_id → (method, relevance in [0, 1])."""
        text = _URL_OR_EMAIL.sub(" ", text)
        found: dict[str, tuple[str, int, int]] = {}  # asset → method, first offset, count
        for match in self._pattern.finditer(text):
            target = self._resolve(match)
            if target is None:
                continue
            seen = found.get(target.asset_id)
            if seen is None:
                found[target.asset_id] = (target.method, match.start(), 1)
            else:
                found[target.asset_id] = (seen[0], seen[1], seen[2] + 1)
        return {
            asset_id: (method, _relevance(first, count))
            for asset_id, (method, first, count) in found.items()
        }

    def _resolve(self, match: re.Match[str]) -> _Target | None:
        kind = match.lastgroup
        value = match.group(kind) if kind else None
        if value is None:
            return None
        if kind == "cashtag":
            asset_id = self._cashtags.get(value.upper())
            return _Target(asset_id, "cashtag") if asset_id else None
        if kind == "pair":
            return _Target(self._pairs[value], "pair")
        if kind == "phrase":
            return self._phrases[value]
        asset_id = self._tickers.get(value)
        return _Target(asset_id, "ticker") if asset_id else None

    def tag(self, doc_ids: Sequence[str], texts: Sequence[str | None]) -> pa.Table:
        """Tag a batch; one row per (document, asset) in :data:`MENTION_SCHEMA`."""
        out_ids: list[str] = []
        out_assets: list[str] = []
        out_methods: list[str] = []
        out_relevance: list[float] = []
        for doc_id, text in zip(doc_ids, texts, strict=True):
            if not text:
                continue
            for asset_id, (method, relevance) in self.mentions_in(text).items():
                out_ids.append(doc_id)
                out_assets.append(asset_id)
                out_methods.append(method)
                out_relevance.append(relevance)
        return pa.Table.from_pydict(
            {
                "doc_id": out_ids,
                "asset_id": out_assets,
                "method": out_methods,
                "relevance": out_relevance,
            },
            schema=MENTION_SCHEMA,
        )


def document_texts(documents: pa.Table) -> list[str]:
    """Title and body of each document joined, the text the enrich stage reads."""
    titles = documents.column("title").to_pylist()
    bodies = documents.column("text").to_pylist()
    return [f"{t}\n{b}" if t else (b or "") for t, b in zip(titles, bodies, strict=True)]


def _relevance(first_offset: int, count: int) -> float:
    base = 0.8 if first_offset < _LEAD_CHARS else 0.5
    return round(min(1.0, base + 0.1 * (count - 1)), 3)


_LEGAL_SUFFIX = re.compile(
    r",?\s+(Inc\.?|Corporation|Corp\.?|Co\.|Company|& Co\.|Global|Holdings|Group|plc|Ltd\.?)$"
)


def _short_name(name: str) -> str:
    """'Apple Inc.' → 'Apple'; 'The Walt Disney Company' → 'Walt Disney'."""
    short = name.removeprefix("The ")
    previous = None
    while previous != short:
        previous = short
        short = _LEGAL_SUFFIX.sub("", short).strip()
    return short if len(short) >= 3 else ""
