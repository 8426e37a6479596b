"""Unusual attention: z-scores and changes against an asset's own trailing windows."""

import math

import numpy as np
import pytest

from tickerpulse.analytics.attention import (
    attention,
    attention_arrays,
    changed_histories,
    panel_attention,
    share_of_voice,
)
from tickerpulse.analytics.signals import Z_LOOKBACK
from tickerpulse.platform.alerts import mention_zscore


def test_a_spike_against_a_noisy_history_has_a_high_mention_z_and_change() -> None:
    history = [10, 12, 9, 11, 10, 13, 8, 10]
    figures = attention(60, history, 0.1, [0.1] * 8)
    assert figures.mention_z is not None and figures.mention_z > 5
    assert figures.mention_change == pytest.approx(60 / np.mean(history) - 1)


def test_mention_z_is_the_alerts_and_signals_z_score() -> None:
    history = [3.0, 5, 4, 6, 2, 4, 5, 3, 4]
    assert attention(20, history, None, []).mention_z == pytest.approx(mention_zscore(20, history))


def test_too_short_a_history_gives_no_figures() -> None:
    figures = attention(50, [10, 11, 12, 9], 0.5, [0.1, -0.1, 0.2, 0.0])
    assert figures.mention_z is None
    assert figures.mention_change is None
    assert figures.sentiment_change is None
    assert figures.sentiment_z is None


def test_unpublished_windows_do_not_count_as_history() -> None:
    history = [math.nan] * 20 + [10.0, 12.0, 11.0, 9.0]
    assert attention(40, history, None, []).mention_change is None


def test_a_flat_history_has_a_change_but_no_z_score() -> None:
    figures = attention(30, [10] * 10, 0.5, [0.2] * 10)
    assert figures.mention_z is None
    assert figures.mention_change == pytest.approx(2.0)
    assert figures.sentiment_change == pytest.approx(0.3)
    assert figures.sentiment_z is None


def test_a_history_without_mentions_gives_no_percentage_change() -> None:
    assert attention(5, [0] * 10, None, []).mention_change is None


def test_sentiment_change_and_z_against_the_trailing_mean() -> None:
    tones = [0.1, -0.1, 0.0, 0.2, -0.2, 0.1, -0.1]
    figures = attention(10, [10] * 7, -0.6, tones)
    mean, std = np.mean(tones), np.std(tones, ddof=1)
    assert figures.sentiment_change == pytest.approx(-0.6 - mean)
    assert figures.sentiment_z == pytest.approx((-0.6 - mean) / std)


def test_windows_without_sentiment_are_skipped_and_no_sentiment_gives_none() -> None:
    tones = [None, 0.1, None, 0.3, 0.2, 0.0, 0.1, None, 0.2]
    assert attention(10, [10] * 9, 0.5, tones).sentiment_change == pytest.approx(0.5 - 0.15)
    assert attention(10, [10] * 9, None, tones).sentiment_change is None


def test_only_the_last_28_windows_count() -> None:
    old = [1000.0] * 30
    recent = [10.0, 11.0, 9.0, 10.0, 12.0, 8.0] * 4 + [10.0] * 4
    figures = attention(10, old + recent, None, [])
    assert figures.mention_change == pytest.approx(10 / np.mean(recent) - 1)


def test_arrays_give_each_row_its_own_figures() -> None:
    history = np.array([[10, 12, 9, 11, 10, 13], [5, 5, 5, 5, 5, 5]], dtype=float)
    out = attention_arrays(
        np.array([40.0, 5.0]), history, np.array([0.1, math.nan]), np.full((2, 6), 0.1)
    )
    assert out["mention_z"][0] > 3 and math.isnan(out["mention_z"][1])
    assert out["mention_change"][1] == pytest.approx(0.0)
    assert math.isnan(out["sentiment_change"][1])


def test_share_of_voice_is_within_the_class() -> None:
    shares = share_of_voice(
        {"crypto:BTC": 30, "crypto:ETH": 10, "stock:AAPL": 5},
        {"crypto:BTC": "crypto", "crypto:ETH": "crypto", "stock:AAPL": "stock"},
    )
    assert shares == {"crypto:BTC": 0.75, "crypto:ETH": 0.25, "stock:AAPL": 1.0}


def test_a_panel_cell_gets_the_figures_of_its_window_against_the_28_before_it() -> None:
    rng = np.random.default_rng(7)
    width = Z_LOOKBACK + 6
    mentions = rng.integers(0, 40, size=(3, width)).astype(float)
    mentions[:, 2] = math.nan  # a window never published
    sentiment = rng.uniform(-1, 1, size=(3, width))
    scored = np.zeros((3, width), dtype=bool)
    scored[0, Z_LOOKBACK] = scored[2, width - 1] = True
    out = panel_attention(mentions, sentiment, scored)
    for row, t in ((0, Z_LOOKBACK), (2, width - 1)):
        past = slice(t - Z_LOOKBACK, t)
        one = attention(mentions[row, t], list(mentions[row, past]), sentiment[row, t],
                        list(sentiment[row, past]))  # fmt: skip
        assert out["mention_z"][row, t] == pytest.approx(one.mention_z)
        assert out["mention_change"][row, t] == pytest.approx(one.mention_change)
        assert out["sentiment_z"][row, t] == pytest.approx(one.sentiment_z)
    assert np.isnan(out["mention_z"][1]).all()  # nothing scored in that row
    assert np.count_nonzero(np.isfinite(out["mention_change"])) == 2


def test_a_republished_window_changes_the_history_of_the_assets_whose_counts_moved() -> None:
    before = {"crypto:BTC": (10, 0.2), "stock:AAPL": (5, None), "fx:EURUSD": (3, 0.1)}
    after = {"crypto:BTC": (12, 0.2), "stock:AAPL": (5, None), "etf:SPY": (4, 0.0)}
    assert changed_histories(before, after) == {"crypto:BTC", "fx:EURUSD", "etf:SPY"}
    assert changed_histories(before, dict(before)) == set()
    assert changed_histories(before, {**before, "stock:AAPL": (5, 0.3)}) == {"stock:AAPL"}


def test_a_window_newly_known_or_emptied_changes_every_assets_history() -> None:
    assert changed_histories({}, {"crypto:BTC": (10, 0.2)}) is None
    assert changed_histories({"crypto:BTC": (10, 0.2)}, {}) is None
    assert changed_histories({}, {}) == set()
