"""Asset mention tagging: which assets a text speaks of, how we know, how central it is.

One Aho-Corasick automaton (pyahocorasick) reads each text once, in C, as an ASCII
skeleton (letters lower-cased, every other character a space, offsets kept); nothing
loops over assets or over every word. Each hit is then checked in the text itself:

* company names, aliases, crypto names, currency names and FX pair spellings
  must be spelled so in the lower-cased text (punctuation included) and stand on
  word boundaries (possessive and plural endings allowed) and, for names written
  with capitals ("Apple"), keep that case;
* cashtags and bare tickers (a symbol between separators in the skeleton) must
  be what the token expression matches there, and are resolved by a dictionary
  lookup. Cashtags always count ($5 is an amount, not a ticker).
  A bare ticker that is also an English word (ON, IT, ALL, F, …) counts only
  next to market words ("ON shares", "bought F", "T +3%"). A ticker written in
  lower case ("nvda") counts in a text about markets (market words, a number,
  another mention); one that is a company's word name ("meta", "link") only next
  to market words or in a list with a mention that counts ("googl and meta"); one
  that is an English word ("all", "on", "now") only in such a list, since market
  words stand next to it in plain English ("sold all my", "buy now").

Names that are ordinary words — "Target", "Apple", "Amazon", "Ripple", "euro",
"avalanche" (:data:`CONTEXT_NAMES` and the universe's word names) — count only
in a market or business context: market and business words, a percentage,
another mention that counts, a company suffix ("Target Corp") or a possessive
("Target's"); "<Name> of <Place>" ("Oracle of Omaha") is a title, never the asset.

URLs and e-mail addresses are blanked first (with spaces, so offsets stay those
of the text given). Each asset counts once per text, at its first occurrence,
whose character span ``[start, end)`` is kept for per-mention sentiment;
relevance is higher for mentions in the title or first sentence and for
repeated mentions.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import ahocorasick

from tickerpulse.domain import AssetClass
from tickerpulse.universe import AssetInfo, Universe
from tickerpulse.universe.loader import word_names

if TYPE_CHECKING:
    import pyarrow as pa

METHODS = ("cashtag", "ticker", "name", "alias", "pair")
MAX_TEXT = 20_000  # characters read per text: bounds the time any one text can take

_URL_OR_EMAIL = re.compile(
    r"https?://\S+|www\.\S+|[\w.+-]+@[\w-]+\.[\w.]+"
    r"|\b[\w-]+\.(?:com|io|org|net)(?!,? (?:Inc|Corp)\b)\S*"  # not "Amazon.com Inc."
)
_URL_HINT = re.compile(r"://|www\.|@|\.(?:com|io|org|net)")
"""What every match of :data:`_URL_OR_EMAIL` contains: texts without it skip that scan."""
_WORD = re.compile(r"[a-z]+")
_TOKEN = re.compile(r"(?<![\w$.&])(\$?)([A-Za-z][A-Za-z0-9]{0,5}(?:\.[A-Za-z])?)(?![\w$&])")
_TOKEN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]{0,5}(?:\.[A-Za-z])?")
"""What :data:`_TOKEN`'s symbol group can be: the symbols the token pass looks for."""
_SKELETON = bytes.maketrans(
    bytes(range(256)),
    bytes(c if chr(c).isascii() and chr(c).isalnum() else 32 for c in range(256)).lower(),
)
"""ASCII letters in lower case and digits kept, every other byte a space."""
_PREVIOUS_WORD_REVERSED = re.compile(r"[\s,:(]*([\w$%+.-]+)")
r"""The word before a place, read backwards: the text before it reversed, this matched at 0.

Forwards it is ``([\w$%+.-]+)[\s,:(]*$``, whose search tries every start (microseconds
per call); the two character sets share no character, so both find the same word."""
_NEXT_WORD = re.compile(r"^[\s,:)]*([\w$%+.-]+)")
_HOLDING_OF = re.compile(r"(shares|stake|position|stock|calls|puts|options)\s+(of|in|on)\s+$")
_PRICE_MOVE = re.compile(r"^[+-]?\d+(\.\d+)?%$|^\$\d")
_LEAD_CHARS = 160
_QUOTES = "USDT|USDC|BUSD|FDUSD|USD|BTC|ETH"
_PAIR_QUOTE_AFTER = re.compile(rf"/(?:{_QUOTES})\b")
_CONCATENATED_PAIR = re.compile(r"(?<![\w$])([A-Z0-9]{2,8}?)(?:USDT|USDC|BUSD|FDUSD)(?![\w])")
_STABLE_QUOTES = frozenset(("USDT", "USDC", "BUSD", "FDUSD", "USD"))
_LIST_JOINER = re.compile(r"\s*(?:,\s*(?:and\s+|&\s*)?|\s(?:and|&)\s)\s*")
_LIST_RUN = 3  # this many all-caps tickers in a comma list are a ticker list

MARKET_WORDS_AFTER = frozenset(
    "shares share stock stocks calls puts options price earnings eps revenue guidance dividend "
    "ticker chart pt target upgrade downgrade rally rallies dumps dumping pumps pumping "
    "jumped jumps fell falls drops dropped surges surged soars soared plunges plunged "
    "tanks tanked rips ripped moons mooning bagholders holders gap gaps breakout "
    "token tokens coin coins".split()
)
MARKET_WORDS_BEFORE = frozenset(
    "bought buy buying sold sell selling long short shorting holding hold added trimmed "
    "ticker nyse nasdaq nyse: nasdaq: loaded".split()
)
CRYPTO_CONTEXT = frozenset(
    "crypto coin coins token tokens blockchain defi altcoin altcoins binance coinbase btc eth "
    "bitcoin ethereum wallet staking airdrop memecoin memecoins chain".split()
)
CONTEXT_NAMES = frozenset(
    "facebook ford arm ripple avalanche chainlink ether euro yen sterling cable fiber".split()
)
"""Names written in any case that are also ordinary words or places: they need context."""
BUSINESS_WORDS = frozenset(
    "earnings revenue revenues sales profit profits estimates outlook guidance quarter "
    "quarterly premarket analysts analyst ceo cfo stores layoffs laid employees hire hiring "
    "workers company owner beat beats miss misses warned forecast forecasts acquisition "
    "buyback dividend investors shareholders report reports results stocks market markets "
    "traders trading dollar against rate rates ecb fed boj boe intervention forex fx pips "
    "rallies rallied rally rose rises rise jumps jump gains climbs slides falls fell drops "
    "weakens strengthens plunges surges valuation ipo hold long margin margins".split()
)
_NAME_CONTEXT = (MARKET_WORDS_AFTER | MARKET_WORDS_BEFORE | CRYPTO_CONTEXT | BUSINESS_WORDS) - {
    "chain",
    "buy",
    "buying",
    "sell",
    "selling",
    "sold",
    "bought",
    "added",
    "loaded",
}
_NUMBER_CONTEXT = re.compile(r"\d\s?%|[$€£¥]\s?\d|\b\d+(?:\.\d+)?k\b")
_COMPANY_SUFFIX = re.compile(r"^(?:\.com)?,? (?:Inc|Corp|Corporation|Co|plc|Ltd|Group)\b")
_TITLE_OF = re.compile(r"^ of (?:the )?[A-Z]")
_LOWER_MARKET = re.compile(
    r"\d|\b(?:dip|dipped|premarket|afterhours|ripping|breaking|breakout|ath|highs|lows|"
    r"green|red|bullish|bearish|moon|pump|dump|iv|price|target|calls|puts|shares|stock|"
    r"earnings|sold|bought|buy|sell|holding|long|short)\b"
)
_CLASS_PREFERENCE = {
    AssetClass.STOCK: 0, AssetClass.ETF: 1, AssetClass.INDEX: 2, AssetClass.CRYPTO: 3,
    AssetClass.FX: 4,
}  # fmt: skip


class Found(NamedTuple):
    """One asset a text mentions: how we know, how central, and where it first appears."""

    method: str
    relevance: float
    start: int
    """Offset of the first occurrence's first character in the text."""
    end: int
    """Offset just after the first occurrence, so ``text[start:end]`` is what was written."""


@dataclass(frozen=True)
class _Form:
    """One written form of an asset found by the automaton."""

    asset_id: str
    method: str
    text: str  # as written in the universe, for case-aware matching
    case_sensitive: bool
    exact: bool = False  # a name that is also a word: only exactly as written, not in capitals
    needs_context: bool = False  # counts only in a market or business context


_Key = tuple[str | None, tuple[tuple[int, str, tuple[_Form, ...]], ...]]
"""A key of the tagger's automaton: its symbol or None; its forms (length, lower case, entries)."""


class Tagger:
    """Finds asset mentions in batches of texts against one universe."""

    version = "rules-v5"

    def __init__(self, universe: Universe) -> None:
        words = {name.lower() for name in word_names()}
        self._words = words
        self._by_symbol: dict[str, list[AssetInfo]] = {}
        forms: dict[str, list[_Form]] = {}
        for asset in universe:
            self._by_symbol.setdefault(asset.symbol.upper(), []).append(asset)
            for form in _written_forms(asset, words):
                forms.setdefault(form.text.lower(), []).append(form)
        for candidates in self._by_symbol.values():
            candidates.sort(key=lambda a: _CLASS_PREFERENCE[a.asset_class])
        # One automaton over the texts' _skeleton: each written form (lower-cased) under its
        # skeleton, and each symbol under its skeleton between separators. A key's value is
        # (the symbol or None, the forms: (length, lower-cased form, entries), ...).
        keys: dict[str, tuple[str | None, list[tuple[int, str, tuple[_Form, ...]]]]] = {}
        for key, entries in forms.items():
            found = keys.setdefault(_skeleton(key)[1:-1], (None, []))
            found[1].append((len(key), key, tuple(entries)))
        for symbol in self._by_symbol:
            if _TOKEN_WORD.fullmatch(symbol):  # others never match :data:`_TOKEN`
                spelled = _skeleton(symbol)
                keys[spelled] = (symbol, keys.get(spelled, (None, []))[1])
        self._automaton = ahocorasick.Automaton()
        for key, (written, named) in keys.items():
            self._automaton.add_word(key, (written, tuple(named)))
        self._automaton.make_automaton()

    def mentions_in(self, text: str, channel: str | None = None) -> dict[str, tuple[str, float]]:
        """Mentions in one text: asset_id → (method, relevance in [0, 1]).

        ``channel`` (subreddit, Telegram channel, outlet…) is context: in a crypto
        channel a symbol shared by a stock and a coin means the coin.
        """
        return {a: (f.method, f.relevance) for a, f in self.find(text, channel).items()}

    def find(self, text: str, channel: str | None = None) -> dict[str, Found]:
        """Mentions in one text with the span of each one's first occurrence.

        Same rules as :meth:`mentions_in`; spans are offsets in ``text`` itself.
        """
        found = self._scan(text, channel)
        if not found:
            return {}
        ordered = sorted(found.items(), key=_first_span) if len(found) > 1 else found.items()
        return {  # in the order the assets first appear
            asset_id: Found(method, _relevance(start, count), start, end)
            for asset_id, (method, start, end, count) in ordered
        }

    def summary(self, text: str, channel: str | None = None) -> list[tuple[str, str, float]]:
        """(asset_id, method, relevance) of each mention in ``text``, sorted by asset id.

        What :meth:`find` says without the spans, for callers that need no more
        (``tickerpulse tag``): it skips building them.
        """
        return [
            (asset_id, method, _relevance(start, count))
            for asset_id, (method, start, _, count) in sorted(self._scan(text, channel).items())
        ]

    def _scan(self, text: str, channel: str | None) -> dict[str, tuple[str, int, int, int]]:
        """Every asset mentioned → (method, first start, first end, occurrences), unordered."""
        text = text[:MAX_TEXT]
        if _URL_HINT.search(text) is not None:  # most texts have none: skip the costly scan
            text = _URL_OR_EMAIL.sub(lambda m: " " * len(m.group()), text)
        lowered = text.lower()
        words: set[str] | None = None  # the lower-case words, split only when needed
        crypto_context: bool | None = None  # decided only for a symbol several classes share
        found: dict[str, tuple[str, int, int, int]] = {}  # asset → method, first span, count

        def record(asset_id: str, method: str, start: int, end: int) -> None:
            seen = found.get(asset_id)
            if seen is None:
                found[asset_id] = (method, start, end, 1)
            elif start < seen[1]:  # the earliest occurrence names the method and span
                found[asset_id] = (method, start, end, seen[3] + 1)
            else:
                found[asset_id] = (seen[0], seen[1], seen[2], seen[3] + 1)

        # Names are matched in the skeleton of the lower-cased text, tokens in the text's:
        # the same unless lower-casing changed the length (a dotted capital I). (Where the
        # Kelvin sign became a "k" no token can stand: the sign is a word character.)
        hits = list(self._automaton.iter(_skeleton(lowered)))
        if len(lowered) == len(text):
            token_hits = hits
        else:
            token_hits = list(self._automaton.iter(_skeleton(text)))
        named = self._named(text, lowered, hits)
        contextual: list[tuple[int, _Form]] = []
        for start, form in named:
            if form.needs_context:
                contextual.append((start, form))
            else:
                record(form.asset_id, form.method, start, start + len(form.text))
        if "USD" in text:  # every quote of a concatenated pair has it
            for match in _CONCATENATED_PAIR.finditer(text):  # ETHUSDT: the base coin
                coin = _crypto(self._by_symbol.get(match.group(1), []))
                if coin is not None:
                    record(coin.asset_id, "pair", match.start(), match.end())
        pending: list[tuple[re.Match[str], AssetInfo]] = []
        accepted: list[re.Match[str]] = []
        by_symbol = self._by_symbol
        for token, symbol in self._symbol_tokens(text, token_hits):
            candidates = by_symbol[symbol]
            if crypto_context is None and len(candidates) > 1:
                words = set(_WORD.findall(lowered))
                crypto_context = _is_crypto_channel(channel) or not words.isdisjoint(CRYPTO_CONTEXT)
            resolved = self._ticker(token, candidates, text, lowered, bool(crypto_context))
            if resolved is None:
                continue
            if isinstance(resolved, AssetInfo):
                pending.append((token, resolved))
            else:
                record(resolved[0], resolved[1], token.start(), token.end())
                accepted.append(token)
        if pending:
            spans = [(m.start(), m.end()) for m in accepted]
            spans += [(start, start + len(form.text)) for start, form in named]
            for match, asset in _listed(text, pending, spans):
                record(asset.asset_id, "ticker", match.start(), match.end())
        if contextual:
            self._contextual(text, lowered, words, contextual, found, record)
        return found

    @staticmethod
    def _symbol_tokens(text: str, hits: list[tuple[int, _Key]]) -> list[tuple[re.Match[str], str]]:
        """The matches of ``_TOKEN.finditer(text)`` that spell a symbol, with the symbol.

        Running the expression over every word cost more than all the rest of the tagging,
        and few words are symbols. So ``hits`` are those of the automaton over the text's
        :func:`_skeleton`, where each symbol is a key between separators: a token spelling
        a symbol is always such a hit, as its neighbours are no ASCII letter or digit.
        :data:`_TOKEN` itself then checks each hit where it stands; a match ending where
        the hit ends is that token, since matches of :data:`_TOKEN` start only where the
        expression matches and never inside one another.
        """
        tokens = []
        for end, (symbol, _) in hits:
            if symbol is None:
                continue
            start = end - len(symbol) - 1  # the skeleton has one separator before the text
            if start and text[start - 1] == "$":  # a cashtag: the match starts at the "$"
                token = _TOKEN.match(text, start - 1)
            else:
                token = _TOKEN.match(text, start)
            if token is not None and token.end() == end - 1:
                tokens.append((token, symbol))
        return tokens

    @staticmethod
    def _contextual(
        text: str,
        lowered: str,
        words: set[str] | None,
        contextual: list[tuple[int, _Form]],
        found: dict[str, tuple[str, int, int, int]],
        record: Callable[[str, str, int, int], None],
    ) -> None:
        """Record the names that are also words where their context makes them the asset."""
        if words is None:
            words = set(_WORD.findall(lowered))
        hints = words & _NAME_CONTEXT
        numbers = _NUMBER_CONTEXT.search(text) is not None
        firm = set(found)
        for start, form in contextual:
            context = numbers or bool(hints - {form.text.lower()} or firm - {form.asset_id})
            if _name_counts(text, start, start + len(form.text), context):
                record(form.asset_id, form.method, start, start + len(form.text))

    @staticmethod
    def _named(text: str, lowered: str, hits: list[tuple[int, _Key]]) -> list[tuple[int, _Form]]:
        """Names, aliases and pairs on word boundaries; a longer overlapping match wins.

        ``hits`` are the automaton's over the skeleton of ``lowered``: each form whose
        skeleton is there counts where ``lowered`` spells the form itself.
        """
        spans: list[tuple[int, int, list[_Form]]] = []
        size = len(lowered)
        for stop, (_, forms) in hits:  # the skeleton's offset of the last character is stop
            for length, key, entries in forms:
                start = stop - length
                if start < 0 or not lowered.startswith(key, start):  # only the same skeleton
                    continue
                if start > 0 and (lowered[start - 1].isalnum() or lowered[start - 1] in "$_"):
                    continue
                if (
                    stop < size
                    and (lowered[stop].isalnum() or lowered[stop] == "_")
                    and not _ends_word(lowered, stop)
                ):  # the first test of _ends_word, inline: most names are followed by a space
                    continue
                kept = [
                    f
                    for f in entries
                    if not f.case_sensitive
                    or text.startswith(f.text, start)  # as written: _same_case's first test
                    or _same_case(text, start, f)
                ]
                if kept:
                    spans.append((start, stop, kept))
        if len(spans) < 2:  # most texts: nothing to choose between
            return [(spans[0][0], form) for form in spans[0][2]] if spans else []
        spans.sort(key=lambda s: (s[0] - s[1], s[0]))  # longest first
        taken: list[tuple[int, int]] = []
        out: list[tuple[int, _Form]] = []
        for start, stop, kept in spans:
            if any(start < t_stop and t_start < stop for t_start, t_stop in taken):
                continue
            taken.append((start, stop))
            out.extend((start, form) for form in kept)
        return out

    def _ticker(
        self,
        match: re.Match[str],
        candidates: list[AssetInfo],
        text: str,
        lowered: str,
        crypto_context: bool,
    ) -> tuple[str, str] | AssetInfo | None:
        """(asset, method) for a ticker that counts; the asset alone when it needs a list.

        ``candidates`` are the assets of the matched symbol, most preferred class first.
        """
        dollar, word = match.groups()
        start, stop = match.span()
        if not dollar and text[start - 1 : start] == "/" and word.upper() in _STABLE_QUOTES:
            return None  # the quote side of BTC/USDT is not what the post is about
        # APE/USDT: the base of a crypto pair
        if text[stop : stop + 1] == "/" and _PAIR_QUOTE_AFTER.match(text, stop):
            coin = _crypto(candidates)
            if coin is not None:
                return coin.asset_id, "pair"
        asset = candidates[0] if len(candidates) == 1 else _choose(candidates, crypto_context)
        if dollar:
            return asset.asset_id, "cashtag"
        if word != word.upper():
            if word != word.lower() or len(word) < 3:
                return None
            if asset.ambiguous:  # "all", "on", "now": plain English next to any word
                return asset  # ("sold all my"), so only in a list with a mention that counts
            if word in self._words:  # "meta", "link": next to market words, or in a list
                adjacent = _market_context(lowered, start, stop, price_moves=False)
                return (asset.asset_id, "ticker") if adjacent else asset
            lower_crypto = asset.asset_class is AssetClass.CRYPTO
            if (
                lower_crypto
                or _LOWER_MARKET.search(lowered)
                or _market_context(lowered, start, stop)
            ):
                return asset.asset_id, "ticker"
            return None
        in_parentheses = text[start - 1 : start] == "(" and text[stop : stop + 1] == ")"
        if asset.ambiguous and not (in_parentheses or _market_context(lowered, start, stop)):
            return asset
        return asset.asset_id, "ticker"

    def find_all(
        self, texts: Sequence[str | None], channels: Sequence[str | None] | None = None
    ) -> list[dict[str, Found]]:
        """:meth:`find` over a batch, one dict per text (empty for a missing text)."""
        return [
            self.find(text, channel) if text else {}
            for text, channel in zip(texts, channels or [None] * len(texts), strict=True)
        ]

    def tag(
        self,
        doc_ids: Sequence[str],
        texts: Sequence[str | None],
        channels: Sequence[str | None] | None = None,
    ) -> pa.Table:
        """Tag a batch; one row per (document, asset) in :data:`MENTION_SCHEMA`.

        The rows carry each mention's span; ``score`` and ``label`` stay null
        here (the enrich stage fills them with the mention's own sentiment).
        """
        return mention_table(doc_ids, self.find_all(texts, channels))


def mention_table(
    doc_ids: Sequence[str],
    found: Sequence[dict[str, Found]],
    scores: Sequence[Sequence[float]] | None = None,
    labels: Sequence[Sequence[str]] | None = None,
) -> pa.Table:
    """:data:`MENTION_SCHEMA` rows of a batch; ``scores``/``labels`` follow each text's mentions."""
    import pyarrow as pa

    from tickerpulse.domain import MENTION_SCHEMA

    columns: dict[str, list[object]] = {name: [] for name in MENTION_SCHEMA.names}
    for i, (doc_id, mentions) in enumerate(zip(doc_ids, found, strict=True)):
        for j, (asset_id, mention) in enumerate(mentions.items()):
            columns["doc_id"].append(doc_id)
            columns["asset_id"].append(asset_id)
            columns["method"].append(mention.method)
            columns["relevance"].append(mention.relevance)
            columns["span_start"].append(mention.start)
            columns["span_end"].append(mention.end)
            columns["score"].append(scores[i][j] if scores is not None else None)
            columns["label"].append(labels[i][j] if labels is not None else None)
    return pa.Table.from_pydict(columns, schema=MENTION_SCHEMA)


def document_texts(documents: pa.Table) -> list[str]:
    """Title and body of each document joined, the text the enrich stage reads."""
    titles = documents.column("title").to_pylist()
    bodies = documents.column("text").to_pylist()
    return [f"{t}\n{b}" if t else (b or "") for t, b in zip(titles, bodies, strict=True)]


def _written_forms(asset: AssetInfo, words: set[str]) -> list[_Form]:
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
        # Names that are ordinary words ("Flow", "Maker") keep their capitals in every class,
        # and all-caps DASH or FLOW is a ticker, decided by the ticker rules.
        word = alias.lower() in words
        any_case = (
            asset.asset_class in (AssetClass.CRYPTO, AssetClass.FX) and not word
        ) or alias.islower()
        forms.append(
            _Form(
                asset.asset_id, method, alias, case_sensitive=not any_case, exact=word,
                needs_context=word or alias.lower() in CONTEXT_NAMES,
            )
        )  # fmt: skip
    return forms


def _skeleton(text: str) -> str:
    """``text`` with ASCII letters lower-cased and digits kept, every other character a space.

    Between two spaces: offset ``i`` of ``text`` is offset ``i + 1`` here. Each character
    is one byte of the ASCII encoding (``?`` for the others), so offsets never shift.
    """
    return " " + text.encode("ascii", "replace").translate(_SKELETON).decode("ascii") + " "


def _same_case(text: str, start: int, form: _Form) -> bool:
    """As written, or capitalised to start a sentence ("The Dow"), or in capitals."""
    written = text[start : start + len(form.text)]
    if written == form.text:
        return True
    if form.exact:
        return False
    return written in (form.text.upper(), form.text[:1].upper() + form.text[1:])


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


def _name_counts(text: str, start: int, stop: int, context: bool) -> bool:
    """Whether a name that is also a word names the asset here (see the module docstring)."""
    after = text[stop : stop + 40]
    if _TITLE_OF.match(after):
        return False
    return context or _COMPANY_SUFFIX.match(after) is not None


def _market_context(lowered: str, start: int, stop: int, *, price_moves: bool = True) -> bool:
    """Whether a bare ambiguous ticker stands right next to market words (or a price move)."""
    before = lowered[max(0, start - 40) : start]
    after = lowered[stop : stop + 40]
    previous = _PREVIOUS_WORD_REVERSED.match(before[::-1])
    if previous and previous.group(1)[::-1].rstrip(":") in MARKET_WORDS_BEFORE:
        return True
    # _HOLDING_OF ends in "of", "in" or "on" and white space: a cheap test first
    if before.rstrip().endswith(("of", "in", "on")) and _HOLDING_OF.search(before):
        return True
    following = _NEXT_WORD.search(after)
    if following:
        word = following.group(1).rstrip(".")
        return word in MARKET_WORDS_AFTER or (price_moves and bool(_PRICE_MOVE.match(word)))
    return False


_CRYPTO_CHANNEL = re.compile(r"crypto|bitcoin|btc|ethereum|solana|defi|altcoin|memecoin|binance")


def _is_crypto_channel(channel: str | None) -> bool:
    return channel is not None and _CRYPTO_CHANNEL.search(channel.lower()) is not None


def _listed(
    text: str, pending: list[tuple[re.Match[str], AssetInfo]], anchors: list[tuple[int, int]]
) -> list[tuple[re.Match[str], AssetInfo]]:
    """Ambiguous tickers that stand in a list: "HD, LOW, TGT" or "Ford and GM".

    A run of :data:`_LIST_RUN` or more all-caps tickers joined by commas or "and"
    is a ticker list; a shorter run counts when it is joined to a mention that
    already counts (a cashtag, a ticker in context, a company name).
    """
    out: list[tuple[re.Match[str], AssetInfo]] = []
    run: list[tuple[re.Match[str], AssetInfo]] = []

    def joined(left: int, right: int) -> bool:
        return _LIST_JOINER.fullmatch(text, left, right) is not None

    def close() -> None:
        if not run:
            return
        first, last = run[0][0].start(), run[-1][0].end()
        anchored = any(joined(stop, first) or joined(last, start) for start, stop in anchors)
        if len(run) >= _LIST_RUN or anchored:
            out.extend(run)
        run.clear()

    for match, asset in pending:
        if run and not joined(run[-1][0].end(), match.start()):
            close()
        run.append((match, asset))
    close()
    return out


def _crypto(candidates: list[AssetInfo]) -> AssetInfo | None:
    return next((a for a in candidates if a.asset_class is AssetClass.CRYPTO), None)


def _choose(candidates: list[AssetInfo], crypto_context: bool) -> AssetInfo:
    """One asset for a symbol several classes share (Seagate STX or Stacks STX)."""
    if crypto_context:
        for asset in candidates:
            if asset.asset_class is AssetClass.CRYPTO:
                return asset
    return candidates[0]


def _relevance(first_offset: int, count: int) -> float:
    if count <= _RELEVANCE_COUNTS:
        return _RELEVANCE[first_offset < _LEAD_CHARS][count]
    return _relevance_of(first_offset < _LEAD_CHARS, count)


def _relevance_of(lead: bool, count: int) -> float:
    base = 0.8 if lead else 0.5
    return round(min(1.0, base + 0.1 * (count - 1)), 3)


_RELEVANCE_COUNTS = 8
_RELEVANCE = tuple(
    tuple(_relevance_of(lead, count) if count else 0.0 for count in range(_RELEVANCE_COUNTS + 1))
    for lead in (False, True)
)
"""Relevance by (in the lead, occurrences) for the common counts, computed once."""


def _first_span(item: tuple[str, tuple[str, int, int, int]]) -> tuple[int, int]:
    return item[1][1], item[1][2]
