"""Spam and bot posts are recognised on hand-written examples and on the simulator's truth."""

from datetime import UTC, datetime

import pytest

from tickerpulse.domain import SOCIAL_SOURCES
from tickerpulse.enrich.normalize import normalize_documents
from tickerpulse.enrich.spam import detect_spam, repeated_texts, spam_signs
from tickerpulse.enrich.tagger import document_texts
from tickerpulse.sources.simulator import SimulatedWorld, WorldConfig
from tickerpulse.universe import load_universe

SPAM = [
    ("Join my VIP channel for 100x signals! $BTC $AAPL $NVDA", ("stuffing", "bait")),
    ("Join our VIP room, 20x gains every week, link in bio", ("bait",)),
    ("$DOGE $SHIB $PEPE $FLOKI $BONK $WIF next 50x gems, don't miss out", ("stuffing", "bait")),
    ("$TSLA $NVDA $AMD $PLTR $SMCI $COIN all mooning today", ("stuffing",)),
    ("$SOL $AVAX $SUI", ("stuffing",)),
    ("FREE crypto pump group, dm me now!!! 💰💰", ("bait",)),
    ("Guaranteed profits every week, join our private group t.me/+AbCdEf", ("bait",)),
    ("Claim your airdrop before it ends: https://bit.ly/xyz $ETH", ("bait",)),
]
HAM = [
    "Bought more $NVDA on the dip, earnings next week",
    "$AAPL vs $MSFT: which one holds up better if rates stay high?",
    "Rotating out of $XOM into $CVX and $OXY ahead of the OPEC meeting, thoughts?",
    "The Fed is sending mixed signals again, bonds don't like it",
    "Tesla's 10x claim on robotaxis is a stretch, I'm staying out",
    "My DM is open if anyone wants the spreadsheet of my $SPY hedges",
    "Join me on the earnings call at 5pm, $META reports after the bell",
    "",
]


@pytest.mark.parametrize(("text", "signs"), SPAM)
def test_stuffing_and_bait_are_recognised(text: str, signs: tuple[str, ...]) -> None:
    assert spam_signs(text) == signs


@pytest.mark.parametrize("text", HAM)
def test_ordinary_posts_with_cashtags_are_not_spam(text: str) -> None:
    assert spam_signs(text) == ()


def test_the_same_text_from_many_accounts_is_a_campaign_but_not_from_one() -> None:
    campaign = "$XRP is about to explode, get in before the news breaks https://x.co/r"
    texts = [
        f"{campaign} 1",
        f"{campaign} 2",
        campaign.upper(),
        campaign,
        "Bought more BTC today, long term hold",
        campaign.replace("$XRP", "$ADA"),
    ]
    authors = ["a", "b", "c", "d", "e", "f"]
    assert repeated_texts(texts, authors) == {0, 1, 2, 3}
    assert repeated_texts(texts[:4], ["a", "a", None, "b"]) == set()  # two authors repeating
    short = "Watching $NVDA closely this week"  # a common phrase, too short to tell
    assert repeated_texts([short] * 6, list("abcdef")) == set()
    assert detect_spam(texts, authors) == [True, True, True, True, False, False]


def test_precision_and_recall_against_the_simulators_truth() -> None:
    world = SimulatedWorld(
        WorldConfig(start=datetime(2026, 3, 2, tzinfo=UTC), days=4, posts_per_window=400),
        load_universe(),
    )
    tp = fp = fn = 0
    for window in world.windows:
        truth = {r["doc_id"]: r["spam"] for r in world.truth_documents(window).to_pylist()}
        for source in SOCIAL_SOURCES:
            docs = normalize_documents(source, world.raw_lines(source, window)).table
            flagged = detect_spam(document_texts(docs), docs.column("author_hash").to_pylist())
            for doc_id, spam in zip(docs.column("doc_id").to_pylist(), flagged, strict=True):
                actual = truth[doc_id]
                tp += spam and actual
                fp += spam and not actual
                fn += actual and not spam
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    print(f"spam detector on the simulator: P={precision:.3f} R={recall:.3f} (tp={tp})")
    assert tp > 50 and precision >= 0.95 and recall >= 0.95
