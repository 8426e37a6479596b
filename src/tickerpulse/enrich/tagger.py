"""Asset mention tagging: which assets a text speaks of, how we know, how central it is.

Two passes over each text, neither of them a loop over assets:

* one Aho-Corasick automaton (pyahocorasick) over the lower-cased text finds
  every company name, alias, crypto name, currency name and FX pair spelling;
  a match must stand on word boundaries (possessive and plural endings
  allowed) and, for names written with capitals ("Apple"), keep that case;
* one regular-expression scan finds cashtags and bare tickers, resolved by a
  dictionary lookup. Cashtags always count ($5 is an amount, not a ticker).
  A bare ticker that is also an English word (ON, IT, ALL, F, …) counts only
  next to market words ("ON shares", "bought F", "T +3%").

URLs and e-mail addresses are blanked first. Each asset counts once per text;
relevance is higher for mentions in the title or first sentence and for
repeated mentions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import ahocorasick
import pyarrow as pa

from tickerpulse.domain import MENTION_SCHEMA, AssetClass
from tickerpulse.universe import AssetInfo, Universe

METHODS = ("cashtag", "ticker", "name", "alias", "pair")
MAX_TEXT = 20_000  # characters read per text: bounds the time any one text can take

_URL_OR_EMAIL = re.compile(
    r"https?://\S+|www\.\S+|[\w.+-]+@[\w-]+\.[\w.]+|\b[\w-]+\.(?:com|io|org|net)\S*"
)
_TOKEN = re.compile(r"(?<![\w$.&])(\$?)([A-Za-z][A-Za-z0-9]{0,5}(?:\.[A-Za-z])?)(?![\w$&])")
_PREVIOUS_WORD = re.compile(r"([\w$%+.-]+)[\s,:(]*$")
_NEXT_WORD = re.compile(r"^[\s,:)]*([\w$%+.-]+)")
_HOLDING_OF = re.compile(r"(shares|stake|position|stock|calls|puts|options)\s+(of|in|on)\s+$")
_PRICE_MOVE = re.compile(r"^[+-]?\d+(\.\d+)?%$|^\$\d")
_LEAD_CHARS = 160

MARKET_WORDS_AFTER = frozenset(
    "shares share stock stocks calls puts options price earnings eps revenue guidance dividend "
    "ticker chart pt target upgrade downgrade rally rallies dumps dumping pumps pumping "
    "jumped jumps fell falls drops dropped surges surged soars soared plunges plunged "
    "tanks tanked rips ripped moons mooning bagholders holders gap gaps breakout".split()
)
MARKET_WORDS_BEFORE = frozenset(
    "bought buy buying sold sell selling long short shorting holding hold added trimmed "
    "ticker nyse nasdaq nyse: nasdaq: loaded".split()
)
CRYPTO_CONTEXT = frozenset(
    "crypto coin coins token tokens blockchain defi altcoin altcoins binance coinbase btc eth "
    "bitcoin ethereum wallet staking airdrop memecoin memecoins chain".split()
)
_CLASS_PREFERENCE = {
    AssetClass.STOCK: 0, AssetClass.ETF: 1, AssetClass.INDEX: 2, AssetClass.CRYPTO: 3,
    AssetClass.FX: 4,
}  # fmt: skip


@dataclass(frozen=True)
class _Form:
    """One written form of an asset found by the automaton."""

    asset_id: str
    method: str
    text: str  # as written in the universe, for case-aware matching
    case_sensitive: bool


class Tagger:
    """Finds asset mentions in batches of texts against one universe."""

    version = "rules-v2"

    def __init__(self, universe: Universe) -> None:
        self._by_symbol: dict[str, list[AssetInfo]] = {}
        forms: dict[str, list[_Form]] = {}
        for asset in universe:
            self._by_symbol.setdefault(asset.symbol.upper(), []).append(asset)
            for form in _written_forms(asset):
                forms.setdefault(form.text.lower(), []).append(form)
        for candidates in self._by_symbol.values():
            candidates.sort(key=lambda a: _CLASS_PREFERENCE[a.asset_class])
        self._automaton = ahocorasick.Automaton()
        for key, entries in forms.items():
            self._automaton.add_word(key, (len(key), tuple(entries)))
        self._automaton.make_automaton()

    def mentions_in(self, text: str, channel: str | None = None) -> dict[str, tuple[str, float]]:
        """Mentions in one text: asset_id → (method, relevance in [0, 1]).

        ``channel`` (subreddit, Telegram channel, outlet…) is context: in a crypto
        channel a symbol shared by a stock and a coin means the coin.
        """
        text = _URL_OR_EMAIL.sub(lambda m: " " * len(m.group()), text[:MAX_TEXT])
        lowered = text.lower()
        crypto_context = _is_crypto_channel(channel) or any(
            w in CRYPTO_CONTEXT for w in re.findall(r"[a-z]+", lowered)
        )
        found: dict[str, tuple[str, int, int]] = {}  # asset → method, first offset, count

        def record(asset_id: str, method: str, offset: int) -> None:
            seen = found.get(asset_id)
            if seen is None:
                found[asset_id] = (method, offset, 1)
            else:  # the earliest occurrence names the method
                method = method if offset < seen[1] else seen[0]
                found[asset_id] = (method, min(seen[1], offset), seen[2] + 1)

        for start, form in self._named(text, lowered):
            record(form.asset_id, form.method, start)
        for match in _TOKEN.finditer(text):
            resolved = self._ticker(match, lowered, crypto_context)
            if resolved is not None:
                record(resolved[0], resolved[1], match.start())
        return {
            asset_id: (method, _relevance(first, count))
            for asset_id, (method, first, count) in found.items()
        }

    def _named(self, text: str, lowered: str) -> list[tuple[int, _Form]]:
        """Names, aliases and pairs on word boundaries; a longer overlapping match wins."""
        spans: list[tuple[int, int, tuple[_Form, ...]]] = []
        for end, (length, entries) in self._automaton.iter(lowered):
            start, stop = end - length + 1, end + 1
            if start > 0 and (lowered[start - 1].isalnum() or lowered[start - 1] in "$_"):
                continue
            if not _ends_word(lowered, stop):
                continue
            kept = tuple(f for f in entries if not f.case_sensitive or _same_case(text, start, f))
            if kept:
                spans.append((start, stop, kept))
        spans.sort(key=lambda s: (s[0] - s[1], s[0]))  # longest first
        taken: list[tuple[int, int]] = []
        out: list[tuple[int, _Form]] = []
        for start, stop, entries in spans:
            if any(start < t_stop and t_start < stop for t_start, t_stop in taken):
                continue
            taken.append((start, stop))
            out.extend((start, form) for form in entries)
        return out

    def _ticker(
        self, match: re.Match[str], lowered: str, crypto_context: bool
    ) -> tuple[str, str] | None:
        dollar, word = match.group(1), match.group(2)
        candidates = self._by_symbol.get(word.upper())
        if not candidates:
            return None
        asset = _choose(candidates, crypto_context)
        if dollar:
            return asset.asset_id, "cashtag"
        if word != word.upper():
            lower_crypto = (
                word == word.lower()
                and asset.asset_class is AssetClass.CRYPTO
                and not asset.ambiguous
                and len(word) >= 3
            )
            return (asset.asset_id, "ticker") if lower_crypto else None
        if asset.ambiguous and not _market_context(lowered, match.start(), match.end()):
            return None
        return asset.asset_id, "ticker"

    def tag(
        self,
        doc_ids: Sequence[str],
        texts: Sequence[str | None],
        channels: Sequence[str | None] | None = None,
    ) -> pa.Table:
        """Tag a batch; one row per (document, asset) in :data:`MENTION_SCHEMA`."""
        out_ids: list[str] = []
        out_assets: list[str] = []
        out_methods: list[str] = []
        out_relevance: list[float] = []
        for doc_id, text, channel in zip(
            doc_ids, texts, channels or [None] * len(texts), strict=True
        ):
            if not text:
                continue
            for asset_id, (method, relevance) in self.mentions_in(text, channel).items():
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


def _written_forms(asset: AssetInfo) -> list[_Form]:
    """Every way of writing the asset the automaton should look for."""
    forms: list[_Form] = []
    symbol = asset.symbol
    if asset.asset_class is AssetClass.FX and len(symbol) == 6:
        base, quote = symbol[:3], symbol[3:]
        for spelling in (f"{base}/{quote}", f"{base}-{quote}", f"{base}{quote}"):
            forms.append(_Form(asset.asset_id, "pair", spelling, case_sensitive=False))
    for alias in asset.aliases:
        if "/" in alias:
            forms.append(_Form(asset.asset_id, "pair", alias, case_sensitive=False))
            continue
        is_name = asset.name == alias or asset.name.startswith((f"{alias} ", f"{alias},"))
        method = "name" if is_name else "alias"
        # Crypto and currency names are written in any case ("bitcoin", "the euro");
        # company names keep their capitals, so "apple" (the fruit) is not Apple.
        any_case = asset.asset_class in (AssetClass.CRYPTO, AssetClass.FX) or alias.islower()
        forms.append(_Form(asset.asset_id, method, alias, case_sensitive=not any_case))
    return forms


def _same_case(text: str, start: int, form: _Form) -> bool:
    written = text[start : start + len(form.text)]
    return written in (form.text, form.text.upper())


def _ends_word(lowered: str, stop: int) -> bool:
    """The match ends a word, allowing a possessive or plural ending."""
    if stop >= len(lowered) or not (lowered[stop].isalnum() or lowered[stop] == "_"):
        return True
    rest = lowered[stop : stop + 3]
    for ending in ("'s", "’s", "s"):
        if rest.startswith(ending):
            after = stop + len(ending)
            return after >= len(lowered) or not lowered[after].isalnum()
    return False


def _market_context(lowered: str, start: int, stop: int) -> bool:
    """Whether a bare ambiguous ticker stands right next to market words."""
    before = lowered[max(0, start - 40) : start]
    after = lowered[stop : stop + 40]
    previous = _PREVIOUS_WORD.search(before)
    following = _NEXT_WORD.search(after)
    if previous and previous.group(1).rstrip(":") in MARKET_WORDS_BEFORE:
        return True
    if _HOLDING_OF.search(before):
        return True
    if following:
        word = following.group(1).rstrip(".")
        return word in MARKET_WORDS_AFTER or bool(_PRICE_MOVE.match(word))
    return False


_CRYPTO_CHANNEL = re.compile(r"crypto|bitcoin|btc|ethereum|solana|defi|altcoin|memecoin|binance")


def _is_crypto_channel(channel: str | None) -> bool:
    return channel is not None and _CRYPTO_CHANNEL.search(channel.lower()) is not None


def _choose(candidates: list[AssetInfo], crypto_context: bool) -> AssetInfo:
    """One asset for a symbol several classes share (Seagate STX or Stacks STX)."""
    if crypto_context:
        for asset in candidates:
            if asset.asset_class is AssetClass.CRYPTO:
                return asset
    return candidates[0]


def _relevance(first_offset: int, count: int) -> float:
    base = 0.8 if first_offset < _LEAD_CHARS else 0.5
    return round(min(1.0, base + 0.1 * (count - 1)), 3)
