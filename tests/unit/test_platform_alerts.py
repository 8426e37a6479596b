"""The pure alert core: each kind at, above and below its threshold, edges, missing data, the form."""

import math
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tickerpulse.platform.alerts import (
    KINDS,
    AlertKind,
    AssetFigures,
    Rule,
    RuleError,
    describe,
    evaluate,
    evaluate_rules,
    mention_zscore,
    parse_rule,
    summary_email,
)

WINDOW = datetime(2026, 3, 3, 12, tzinfo=UTC)
# A week of windows with 8–12 mentions: a lively but ordinary history.
HISTORY = tuple(float(8 + i % 5) for i in range(28))


def rule(kind: AlertKind, threshold: float, asset_id: str = "crypto:BTC", rule_id: int = 1) -> Rule:
    return Rule(rule_id=rule_id, user_id=7, asset_id=asset_id, kind=kind, threshold=threshold)


def figures(**kw: object) -> AssetFigures:
    return AssetFigures(asset_id="crypto:BTC", symbol="BTC", **kw)  # type: ignore[arg-type]


def test_mention_zscore_matches_log_mentions_against_the_week_before() -> None:
    logs = [math.log1p(v) for v in HISTORY]
    mean = sum(logs) / len(logs)
    std = math.sqrt(sum((v - mean) ** 2 for v in logs) / (len(logs) - 1))
    assert mention_zscore(20, HISTORY) == pytest.approx((math.log1p(20) - mean) / std)


def test_mention_zscore_needs_five_known_windows_and_some_spread() -> None:
    assert mention_zscore(50, (10.0,) * 28) is None  # flat: nothing to compare with
    assert mention_zscore(50, (math.nan,) * 24 + (8.0, 9.0, 10.0, 11.0)) is None  # four known
    assert mention_zscore(50, (math.nan,) * 23 + (8.0, 9.0, 10.0, 11.0, 12.0)) is not None
    assert mention_zscore(5, ()) is None


def test_mention_zscore_only_looks_at_the_last_28_windows_and_is_capped() -> None:
    old_noise = (1000.0, 0.0) * 10
    assert mention_zscore(40, old_noise + HISTORY) == mention_zscore(40, HISTORY)
    assert mention_zscore(10**9, HISTORY) == 10.0


def test_mention_spike_fires_at_the_threshold_and_not_below() -> None:
    z = mention_zscore(40, HISTORY)
    assert z is not None
    at = evaluate(rule(AlertKind.MENTION_SPIKE, z), figures(mentions=40, mention_history=HISTORY))
    assert at is not None and at.value == pytest.approx(z)
    assert at.message == f"BTC: mentions spiked to 40 (z-score {z:.1f})"
    above = rule(AlertKind.MENTION_SPIKE, z + 0.01)
    assert evaluate(above, figures(mentions=40, mention_history=HISTORY)) is None


def test_mention_spike_ignores_a_quiet_window_and_a_missing_history() -> None:
    spike = rule(AlertKind.MENTION_SPIKE, 2.0)
    assert evaluate(spike, figures(mentions=0, mention_history=HISTORY)) is None
    assert evaluate(spike, figures(mentions=500)) is None


@pytest.mark.parametrize(
    ("before", "now", "threshold", "fires"),
    [
        (0.3, -0.2, 0.0, True),
        (-0.3, 0.2, 0.1, True),
        (-0.3, 0.2, 0.2, True),  # both sides exactly at the threshold
        (-0.3, 0.19, 0.2, False),  # the new side too close to zero
        (-0.05, 0.4, 0.1, False),  # the old side too close to zero
        (0.3, 0.1, 0.0, False),  # same sign
        (0.0, 0.4, 0.0, False),  # zero has no sign: not a flip
        (0.3, 0.0, 0.0, False),
        (None, 0.4, 0.0, False),  # no sentiment in the window before
        (0.4, None, 0.0, False),  # no mentions now
    ],
)
def test_sentiment_flip_needs_a_sign_change_with_both_sides_far_enough_from_zero(
    before: float | None, now: float | None, threshold: float, fires: bool
) -> None:
    found = evaluate(
        rule(AlertKind.SENTIMENT_FLIP, threshold),
        figures(sentiment=now, previous_sentiment=before),
    )
    assert (found is not None) is fires


def test_sentiment_flip_says_which_way_it_turned() -> None:
    found = evaluate(
        rule(AlertKind.SENTIMENT_FLIP, 0.1), figures(sentiment=-0.25, previous_sentiment=0.31)
    )
    assert found is not None and found.value == -0.25
    assert found.message == "BTC: sentiment turned bearish, from +0.31 to -0.25"


@pytest.mark.parametrize(
    ("ret", "threshold", "fires"),
    [(0.05, 5.0, True), (-0.05, 5.0, True), (-0.0499, 5.0, False), (0.2, 5.0, True),
     (None, 0.1, False), (0.0, 0.1, False)],
)  # fmt: skip
def test_price_move_fires_on_an_absolute_return_of_at_least_the_threshold_percent(
    ret: float | None, threshold: float, fires: bool
) -> None:
    found = evaluate(rule(AlertKind.PRICE_MOVE, threshold), figures(return_pct=ret))
    assert (found is not None) is fires


def test_price_move_message_gives_direction_and_size() -> None:
    found = evaluate(rule(AlertKind.PRICE_MOVE, 3.0), figures(return_pct=-0.0421))
    assert found is not None and found.message == "BTC: price fell 4.21 % in 6 hours"


def test_evaluate_rules_keeps_rule_order_and_skips_assets_without_figures() -> None:
    rules = [
        rule(AlertKind.PRICE_MOVE, 1.0, rule_id=1),
        rule(AlertKind.PRICE_MOVE, 1.0, asset_id="stock:TSLA", rule_id=2),
        rule(AlertKind.PRICE_MOVE, 50.0, rule_id=3),
        rule(AlertKind.SENTIMENT_FLIP, 0.0, rule_id=4),
    ]
    data = {"crypto:BTC": figures(return_pct=0.02, sentiment=0.2, previous_sentiment=-0.2)}
    assert [t.rule.rule_id for t in evaluate_rules(rules, data)] == [1, 4]
    assert evaluate_rules(rules, {}) == []
    assert evaluate_rules([], data) == []


@pytest.mark.parametrize(
    ("kind", "typed", "expected"),
    [("mention_spike", "3", 3.0), ("mention_spike", " 2,5 ", 2.5), ("price_move", "5%", 5.0),
     ("sentiment_flip", "0", 0.0), ("price_move", "100", 100.0)],
)  # fmt: skip
def test_parse_rule_accepts_numbers_in_range(kind: str, typed: str, expected: float) -> None:
    assert parse_rule(kind, typed) == (AlertKind(kind), expected)


@pytest.mark.parametrize(
    ("kind", "typed", "says"),
    [("mention_spike", "0.5", "between 1 and 10"), ("mention_spike", "abc", "as a number"),
     ("sentiment_flip", "1.5", "between 0 and 0.9"), ("price_move", "0", "between 0.1 and 100"),
     ("price_move", "nan", "between 0.1 and 100"), ("price_move", "inf", "between 0.1 and 100"),
     ("price_move", "", "as a number"), ("moon", "3", "Choose what to watch for")],
)  # fmt: skip
def test_parse_rule_refuses_with_a_message_saying_what_to_enter(
    kind: str, typed: str, says: str
) -> None:
    with pytest.raises(RuleError, match=says):
        parse_rule(kind, typed)


@given(st.sampled_from(list(AlertKind)), st.text(max_size=12))
def test_parse_rule_either_accepts_a_value_in_range_or_raises_rule_error(
    kind: AlertKind, typed: str
) -> None:
    try:
        _, value = parse_rule(kind.value, typed)
    except RuleError:
        return
    assert KINDS[kind].minimum <= value <= KINDS[kind].maximum


def test_describe_and_the_summary_email_list_every_trigger_with_its_rule() -> None:
    assert describe(AlertKind.PRICE_MOVE, 5.0) == "price move of at least ±5 %"
    assert describe(AlertKind.SENTIMENT_FLIP, 0.0) == "sentiment changes sign"
    triggers = [
        t
        for t in (
            evaluate(rule(AlertKind.PRICE_MOVE, 1.0), figures(return_pct=0.03)),
            evaluate(
                rule(AlertKind.SENTIMENT_FLIP, 0.0, rule_id=2),
                figures(sentiment=0.2, previous_sentiment=-0.1),
            ),
        )
        if t is not None
    ]
    subject, body = summary_email(WINDOW, triggers, alerts_url="http://site/alerts")
    assert subject == "tickerpulse: 2 alerts in the window 2026-03-03 12:00–18:00 UTC"
    assert "- BTC: price rose 3.00 % in 6 hours (price move of at least ±1 %)" in body
    assert "sentiment turned bullish" in body and body.endswith("http://site/alerts\n")


TONES = (0.1, 0.2, 0.0, 0.1, 0.2, 0.0, 0.1)


def test_sentiment_shift_fires_on_a_move_from_the_7_day_mean_either_way() -> None:
    bearish = figures(mentions=10, sentiment=-0.4, sentiment_history=TONES)
    trigger = evaluate(rule(AlertKind.SENTIMENT_SHIFT, 0.3), bearish)
    assert trigger is not None and trigger.value == pytest.approx(-0.4 - 0.1)
    assert "0.50 down on its 7-day mean" in trigger.message
    bullish = figures(mentions=10, sentiment=0.45, sentiment_history=TONES)
    assert evaluate(rule(AlertKind.SENTIMENT_SHIFT, 0.3), bullish) is not None
    assert evaluate(rule(AlertKind.SENTIMENT_SHIFT, 0.36), bullish) is None


def test_sentiment_shift_needs_a_history_and_a_sentiment() -> None:
    short = figures(mentions=10, sentiment=-0.9, sentiment_history=TONES[:3])
    silent = figures(mentions=0, sentiment=None, sentiment_history=TONES)
    assert evaluate(rule(AlertKind.SENTIMENT_SHIFT, 0.05), short) is None
    assert evaluate(rule(AlertKind.SENTIMENT_SHIFT, 0.05), silent) is None


def test_sentiment_shift_threshold_is_checked_and_described() -> None:
    assert parse_rule("sentiment_shift", "0,3") == (AlertKind.SENTIMENT_SHIFT, 0.3)
    with pytest.raises(RuleError, match=r"between 0\.05 and 1\.5"):
        parse_rule("sentiment_shift", "2")
    assert describe(AlertKind.SENTIMENT_SHIFT, 0.3) == "sentiment moves ≥ ±0.3 from its 7-day mean"
