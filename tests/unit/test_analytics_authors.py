"""Authors' calls: stance, judging against the next window only, Wilson record."""

import pytest

from tickerpulse.analytics.authors import (
    ALL_ASSETS,
    MIN_CALLS,
    author_calls,
    judge,
    record,
    stance,
)


def test_stance_needs_a_clear_lean() -> None:
    assert stance(0.4) == 1
    assert stance(-0.1) == -1
    assert stance(0.05) == 0
    assert stance(None) == 0


def test_a_call_is_judged_by_the_sign_of_the_return_and_a_flat_or_missing_one_judges_nothing() -> (
    None
):
    assert judge(1, 0.02) is True
    assert judge(-1, 0.02) is False
    assert judge(-1, -0.001) is True
    assert judge(1, 0.0) is None
    assert judge(1, None) is None
    assert judge(0, 0.05) is None


def test_record_has_a_wilson_interval_and_needs_the_minimum_sample() -> None:
    small = record(10, 7)
    assert small.hit_rate == pytest.approx(0.7)
    assert small.ci_low is not None and small.ci_high is not None
    assert small.ci_low < 0.7 < small.ci_high
    assert not small.enough
    big = record(MIN_CALLS * 10, MIN_CALLS * 5)
    assert big.enough
    assert big.ci_high - big.ci_low < small.ci_high - small.ci_low  # type: ignore[operator]
    assert record(0, 0).hit_rate is None


def test_author_calls_leave_out_news_anonymous_and_spam_but_count_flagged_posts() -> None:
    documents = [
        {
            "doc_id": "r:1",
            "kind": "post",
            "source": "reddit",
            "author_hash": "a",
            "engagement": 5,
            "sentiment_flags": None,
        },
        {
            "doc_id": "r:2",
            "kind": "post",
            "source": "reddit",
            "author_hash": "a",
            "engagement": 3,
            "sentiment_flags": None,
        },
        {
            "doc_id": "r:3",
            "kind": "post",
            "source": "reddit",
            "author_hash": "b",
            "engagement": 1,
            "sentiment_flags": "spam",
        },
        {
            "doc_id": "n:1",
            "kind": "news",
            "source": "news",
            "author_hash": "c",
            "engagement": 0,
            "sentiment_flags": None,
        },
        {
            "doc_id": "x:1",
            "kind": "post",
            "source": "x",
            "author_hash": None,
            "engagement": 9,
            "sentiment_flags": None,
        },
    ]
    mentions = [
        {"doc_id": "r:1", "asset_id": "crypto:BTC", "sentiment_score": 0.6},
        {"doc_id": "r:2", "asset_id": "crypto:BTC", "sentiment_score": 0.2},
        {"doc_id": "r:2", "asset_id": "stock:AAPL", "sentiment_score": -0.5},
        {"doc_id": "r:3", "asset_id": "crypto:BTC", "sentiment_score": 0.9},
        {"doc_id": "n:1", "asset_id": "crypto:BTC", "sentiment_score": 0.9},
        {"doc_id": "x:1", "asset_id": "crypto:BTC", "sentiment_score": 0.9},
    ]
    rows = {(r["author_hash"], r["asset_id"]): r for r in author_calls(documents, mentions)}
    assert set(rows) == {("a", ALL_ASSETS), ("b", ALL_ASSETS), ("a", "crypto:BTC"),
                         ("a", "stock:AAPL")}  # fmt: skip
    btc = rows[("a", "crypto:BTC")]
    assert (btc["posts"], btc["reach"], btc["stance"]) == (2, 8, 1)
    assert btc["sentiment"] == pytest.approx(0.4)
    assert rows[("a", "stock:AAPL")]["stance"] == -1
    assert rows[("a", ALL_ASSETS)]["posts"] == 2
    assert rows[("b", ALL_ASSETS)]["flagged_posts"] == 1


def test_a_perfect_or_empty_record_keeps_its_interval_inside_0_and_1() -> None:
    for hits in (0, 39):
        judged = record(39, hits)
        assert judged.ci_low is not None and judged.ci_high is not None
        assert 0.0 <= judged.ci_low <= judged.ci_high <= 1.0
