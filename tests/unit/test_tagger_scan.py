"""The tagger's fast scan finds exactly what the plain rules would.

The tagger looks for symbols and names with one automaton over an ASCII "skeleton" of
the text (letters lower-cased, every other character a space) and then checks each hit
in the text itself. These tests hold the shortcuts to the plain definitions: the token
expression run over every word, the backward search for the previous word, a form only
where it is written with its own punctuation.
"""

import random
import re
from pathlib import Path

import orjson
import pytest

from tickerpulse.enrich.tagger import _PREVIOUS_WORD_REVERSED, _TOKEN, Tagger, _skeleton
from tickerpulse.universe import load_universe

GOLD = Path(__file__).parents[1] / "data" / "tagging_gold.jsonl"
NEIGHBOURS = [" ", "", "$", "$$", ".", "&", "/", "_", "-", "'", "’", "(", ")", ",", ":", "é",
              "\u212a", "İ", "💎", "x", "A", "1", ".B", ".b", ".BC", "\n", "\u00a0"]  # fmt: skip


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return Tagger(load_universe())


def tricky_texts(count: int, seed: int = 7) -> list[str]:
    """Symbols in every case, glued to characters that do or do not end a token."""
    rng = random.Random(seed)
    symbols = sorted({a.symbol for a in load_universe()})
    texts = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(1, 5)):
            symbol = rng.choice(symbols)
            written = rng.choice([symbol, symbol.lower(), symbol.title()])
            parts.append(rng.choice(NEIGHBOURS) + written + rng.choice(NEIGHBOURS))
        texts.append(rng.choice(["", " ", "İ "]).join(parts))
    return texts


def test_symbol_tokens_are_the_token_expression_matches_that_spell_a_symbol(
    tagger: Tagger,
) -> None:
    known = tagger._by_symbol
    for text in tricky_texts(4000):
        hits = list(tagger._automaton.iter(_skeleton(text)))
        fast = [(m.span(), m.groups(), s) for m, s in Tagger._symbol_tokens(text, hits)]
        plain = [
            (m.span(), m.groups(), m.group(2).upper())
            for m in _TOKEN.finditer(text)
            if m.group(2).upper() in known
        ]
        assert fast == plain, text


def test_the_skeleton_keeps_every_offset() -> None:
    text = "İ\u212a $NVDA’s 💎 BRK.B/usdt é"
    skeleton = _skeleton(text)
    assert len(skeleton) == len(text) + 2 and skeleton[0] == skeleton[-1] == " "
    assert skeleton[1:-1].split() == ["nvda", "s", "brk", "b", "usdt"]


def test_the_previous_word_read_backwards_is_the_one_the_forward_search_finds() -> None:
    forward = re.compile(r"([\w$%+.-]+)[\s,:(]*$")
    rng = random.Random(3)
    alphabet = "ab1_$%+.-é \t\n,:(\u00a0)!x"
    for _ in range(20000):
        before = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        expected = forward.search(before)
        found = _PREVIOUS_WORD_REVERSED.match(before[::-1])
        assert (found.group(1)[::-1] if found else None) == (
            expected.group(1) if expected else None
        ), repr(before)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Coca-Cola up", {"stock:KO"}),
        ("Coca Cola up", set()),  # same skeleton, not the written form
        ("Brown–Forman shares", {"stock:BF.B"}),
        ("Brown-Forman shares", set()),
        ("EUR/USD weak", {"fx:EURUSD"}),
        ("EUR USD weak", set()),
    ],
)
def test_a_form_counts_only_with_its_own_punctuation(
    tagger: Tagger, text: str, expected: set[str]
) -> None:
    assert set(tagger.find(text)) == expected


def test_the_summary_is_what_find_says_without_the_spans(tagger: Tagger) -> None:
    gold = [orjson.loads(line)["text"] for line in GOLD.read_bytes().splitlines() if line.strip()]
    texts = [*gold, *tricky_texts(1000, seed=11)]
    for text in texts:
        found = tagger.find(text)
        expected = [(a, f.method, f.relevance) for a, f in sorted(found.items())]
        assert tagger.summary(text) == expected, text
