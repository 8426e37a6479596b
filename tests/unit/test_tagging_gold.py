"""The tagger on the hand-labelled gold set: the precision and recall we promise traders.

Labelling conventions (how tests/data/tagging_gold.jsonl was written, independently of
the tagger): a text mentions an asset when it names it as a tradable asset or its
issuer — cashtag, ticker in financial context, company name or brand that is the
company, coin, currency pair in any spelling, index, ETF. Dollar amounts, tickers
used as English words, tickers inside URLs or e-mail addresses, products without
their company and the quote currency of a trading pair (the USDT of BTC/USDT) are
not mentions. Each text lists the ambiguous words it uses plainly in
``hard_negative_for``.
"""

from __future__ import annotations

import csv
from pathlib import Path

import orjson
import pytest

from tickerpulse.enrich.evaluation import score_tagging
from tickerpulse.enrich.tagger import Tagger
from tickerpulse.universe import load_universe
from tickerpulse.universe.loader import SHIPPED

GOLD = Path(__file__).parents[1] / "data" / "tagging_gold.jsonl"
AMBIGUOUS = SHIPPED.parent / "curated" / "ambiguous.txt"


def gold() -> list[dict]:
    return [orjson.loads(line) for line in GOLD.read_bytes().splitlines() if line.strip()]


def test_gold_set_is_large_and_covers_every_ambiguous_ticker() -> None:
    records = gold()
    assert len(records) >= 600
    assert len({r["id"] for r in records}) == len(records)
    universe = {(row["symbol"], row["asset_class"]) for row in csv.DictReader(SHIPPED.open())}
    labels = {(m["symbol"], m["class"]) for r in records for m in r["mentions"]}
    assert labels <= universe
    hard = {word for r in records for word in r["hard_negative_for"]}
    ambiguous = {
        line.strip() for line in AMBIGUOUS.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }  # fmt: skip
    single_letters = {s for s, _ in universe if len(s) == 1}
    symbols = {s for s, _ in universe}
    assert ambiguous <= hard  # every word-like ticker is met as a plain word
    assert (ambiguous & symbols) <= {s for s, _ in labels}  # ... and as the asset
    assert single_letters <= hard | {s for s, _ in labels}


@pytest.fixture(scope="module")
def scores():  # type: ignore[no-untyped-def]
    universe = load_universe()
    tagger = Tagger(universe)
    found, expected = [], []
    for record in gold():
        mentions = tagger.mentions_in(record["text"])
        found.append(
            {(universe.by_id[a].symbol, str(universe.by_id[a].asset_class)) for a in mentions}
        )
        expected.append({(m["symbol"], m["class"]) for m in record["mentions"]})
    return score_tagging(found, expected)


def test_precision_and_recall_on_the_gold_set_meet_the_targets(scores) -> None:  # type: ignore[no-untyped-def]
    assert scores.micro.precision >= 0.98, scores.false_positives
    assert scores.micro.recall >= 0.97, scores.false_negatives


def test_hard_negatives_are_not_tagged() -> None:
    universe = load_universe()
    tagger = Tagger(universe)
    negatives = [r for r in gold() if r["hard_negative_for"] and not r["mentions"]]
    wrongly = [
        (r["id"], r["text"])
        for r in negatives
        if {universe.by_id[a].symbol for a in tagger.mentions_in(r["text"])}
        & set(r["hard_negative_for"])
    ]
    assert len(negatives) >= 140
    assert len(wrongly) / len(negatives) <= 0.05, wrongly
