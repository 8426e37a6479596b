"""Features of one asset mention's local context, for per-mention sentiment. Pure.

"Tata Steel gains, JSW slips" says two things: the words that matter for a
mention are those of its own clause. A text is cut into clauses at punctuation
and at contrast words ("but", "while", "vs" …); the mention is replaced by
``_T`` and every other mention by ``_O``, so the weights learn "_T gains" and
"_O slips" rather than company names. Features of a mention:

- its clause's words and bigrams (``c:``), the two words on each side (``l:``/``r:``);
- the words of the other clauses (``x:``): "X up, Y down" tells Y's story too;
- whether another mention shares its clause, whether it comes first, how many
  mentions the text has.

The per-mention model adds these to its text's logits (see :mod:`.fast`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import pairwise

from tickerpulse.enrich.sentiment.base import Span

_CLAUSE_WORDS = frozenset(
    ["but", "while", "whereas", "vs", "versus", "despite", "although", "though", "however",
     "yet", "unlike", "against", "amid", "over"]
)  # fmt: skip
_TOKEN = re.compile(r"_[TO]\b|[a-z][a-z'’]*[a-z]|[a-z]|[+\-−]?\d[\d,.]*%?|[,;:!?.]|\s[-–—]\s")
_PUNCT = frozenset(",;:!?.")
_SIDE = 2


def _masked(text: str, spans: Sequence[Span], target: int) -> str:
    """The text with the target mention as ``_T`` and the others as ``_O`` (lower case)."""
    pieces: list[str] = []
    last = 0
    for index, (start, end) in sorted(enumerate(spans), key=lambda item: item[1]):
        if start < last:  # overlapping spans: keep the first
            continue
        pieces += [text[last:start].lower(), " _T " if index == target else " _O "]
        last = end
    pieces.append(text[last:].lower())
    return "".join(pieces)


def _number(token: str) -> str:
    if token[0] in "+-−":
        return "_num_down" if token[0] != "+" else "_num_up"
    return "_num"


def clauses(tokens: list[str]) -> list[list[str]]:
    """Tokens cut into clauses at punctuation and contrast words (both dropped)."""
    out: list[list[str]] = [[]]
    for token in tokens:
        if token.strip() in _PUNCT or token.strip() in "-–—" or token in _CLAUSE_WORDS:
            if out[-1]:
                out.append([])
            continue
        out[-1].append(token)
    return [c for c in out if c]


def mention_features(text: str, spans: Sequence[Span], target: int) -> list[str]:
    """Feature strings of mention ``target`` (an index into ``spans``) of ``text``."""
    tokens = [
        _number(t) if t[0].isdigit() or (len(t) > 1 and t[0] in "+-−" and t[1].isdigit()) else t
        for t in _TOKEN.findall(_masked(text, spans, target))
    ]
    out = [f"_mentions{min(len(spans), 4)}"]
    found = False
    for clause in clauses(tokens):
        if "_T" not in clause or found:
            out += [f"x:{t}" for t in clause if t != "_T"]
            continue
        found = True
        out += [f"c:{t}" for t in clause if t != "_T"]
        out += [f"c:{a} {b}" for a, b in pairwise(clause)]
        if "_O" in clause:
            out.append("_other_in_clause")
        at = clause.index("_T")
        out += [f"l{at - i}:{clause[i]}" for i in range(max(0, at - _SIDE), at)]
        out += [f"r{i - at}:{clause[i]}" for i in range(at + 1, min(len(clause), at + 1 + _SIDE))]
    first = min(range(len(spans)), key=lambda i: spans[i][0]) if spans else target
    if len(spans) > 1:
        out.append("_first" if first == target else "_not_first")
    return out


def find_spans(text: str, names: Sequence[str]) -> list[Span]:
    """Each name's first occurrence in ``text`` (case-insensitive); (-1, -1) when absent."""
    lowered = text.lower()
    spans: list[Span] = []
    for name in names:
        start = lowered.find(name.lower())
        spans.append((start, start + len(name)) if start >= 0 else (-1, -1))
    return spans
