"""The online direction model: features, prequential scoring, and honesty on planted data."""

import math
import random

import pytest

from tickerpulse.streaming.bars import Bar
from tickerpulse.streaming.online import (
    OnlineDirectionModel,
    Prequential,
    bar_features,
)

T0 = 1_772_461_800_000  # 2026-03-02 14:30 UTC
MIN = 60_000


def bar(symbol: str, minute: int, close: float, **kw: float) -> Bar:
    values = {"open": close, "high": close, "low": close, "volume": 100.0, "vwap": close} | kw
    return Bar(
        symbol, 60, T0 + minute * MIN, values["open"], values["high"], values["low"], close,
        values["volume"], values["vwap"], 10, final=True,
    )  # fmt: skip


def walk(symbol: str, n: int, *, momentum: float, seed: int) -> list[Bar]:
    """Bars whose returns follow r_t = momentum·r_{t-1} + noise (0: a random walk)."""
    rng = random.Random(seed)
    price, previous, bars = 100.0, 0.0, []
    for minute in range(n):
        r = momentum * previous + rng.gauss(0.0, 0.001)
        opened, price, previous = price, price * math.exp(r), r
        bars.append(
            bar(
                symbol, minute, price, open=opened, high=max(opened, price) * 1.0002,
                low=min(opened, price) * 0.9998, vwap=(opened + price) / 2,
                volume=float(rng.randint(50, 500)),
            )
        )  # fmt: skip
    return bars


def run(bars: list[Bar]) -> OnlineDirectionModel:
    model = OnlineDirectionModel()
    for b in sorted(bars, key=lambda b: (b.start_ms, b.symbol)):
        model.observe(b)
    return model


def test_features_are_returns_gaps_and_volume_of_the_newest_bar() -> None:
    history = [bar("A", i, c, volume=100.0) for i, c in enumerate([100, 101, 102, 103, 104])]
    history.append(bar("A", 5, 105.0, open=104.0, high=106.0, low=103.0, vwap=104.0, volume=200))
    f = bar_features(history)
    assert f["ret_1"] == pytest.approx(math.log(105 / 104))
    assert f["ret_3"] == pytest.approx(math.log(105 / 102))
    assert f["ret_5"] == pytest.approx(math.log(105 / 100))
    assert f["vwap_gap"] == pytest.approx(105 / 104 - 1)
    assert f["range"] == pytest.approx(3 / 105)
    assert f["body"] == pytest.approx(105 / 104 - 1)
    assert f["volume_ratio"] == pytest.approx(math.log(2))


def test_features_of_a_short_history_use_what_there_is() -> None:
    f = bar_features([bar("A", 0, 100.0, vwap=0.0, volume=0.0), bar("A", 1, 110.0, volume=0.0)])
    assert f["ret_5"] == f["ret_1"] == pytest.approx(math.log(1.1))
    assert f["volume_ratio"] == 0.0
    with pytest.raises(ValueError, match="at least 2 bars"):
        bar_features([bar("A", 0, 1.0)])


def test_prequential_scores_accuracy_and_log_loss() -> None:
    scores = Prequential()
    assert scores.accuracy is None and scores.log_loss is None
    assert scores.score(0.8, True) and not scores.score(0.8, False) and scores.score(0.5, True)
    assert scores.n == 3 and scores.accuracy == pytest.approx(2 / 3)
    expected = -(math.log(0.8) + math.log(0.2) + math.log(0.5)) / 3
    assert scores.log_loss == pytest.approx(expected)
    assert scores.snapshot().recent_accuracy == pytest.approx(2 / 3)
    sure = Prequential()
    sure.score(1.0, False)  # a certain miss stays finite
    assert math.isfinite(sure.log_loss or math.inf)


def test_each_prediction_is_scored_before_the_model_learns_from_it() -> None:
    learnt: list[tuple[dict[str, float], bool]] = []

    class Spy:
        def predict_proba_one(self, x: dict[str, float]) -> dict[bool, float]:
            assert all(x is not seen for seen, _ in learnt), "scored after learning"
            return {True: 0.7, False: 0.3}

        def learn_one(self, x: dict[str, float], y: bool) -> None:
            learnt.append((x, y))

    model = OnlineDirectionModel(model_factory=Spy)
    assert model.observe(bar("A", 0, 100.0)) is None  # no return yet
    first = model.observe(bar("A", 1, 101.0))
    assert first is not None and first.outcome is None and first.prob_up == 0.7
    second = model.observe(bar("A", 2, 100.5))  # went down: the 0.7 call was wrong
    assert second is not None and second.outcome is not None
    assert second.outcome.based_on_ms == T0 + MIN and second.outcome.up is False
    assert second.outcome.correct is False and learnt[-1][1] is False
    assert second.symbol_metrics.n == 1 and second.symbol_metrics.accuracy == 0.0
    flat = model.observe(bar("A", 3, 100.5))
    assert flat is not None and flat.outcome is not None and flat.outcome.up is None
    assert flat.symbol_metrics.n == 1 and flat.symbol_metrics.flat == 1 and len(learnt) == 1


def test_replayed_open_and_foreign_bars_are_ignored() -> None:
    model = OnlineDirectionModel()
    for minute, close in enumerate([100.0, 101.0, 100.0]):
        model.observe(bar("A", minute, close))
    before = model.metrics("A")
    assert model.observe(bar("A", 2, 100.0)) is None  # the same bar again, after a crash
    assert model.observe(bar("A", 1, 101.0)) is None
    provisional = Bar("A", 60, T0 + 3 * MIN, 1, 1, 1, 1, 1, 1, 1, final=False)
    five = Bar("A", 300, T0, 1, 1, 1, 1, 1, 1, 1, final=True)
    assert model.observe(provisional) is None and model.observe(five) is None
    assert model.metrics("A") == before and model.metrics("B") is None


def test_on_a_random_walk_prequential_accuracy_stays_near_a_coin_flip() -> None:
    bars = [b for i, s in enumerate("ABCD") for b in walk(s, 1_500, momentum=0.0, seed=i)]
    model = run(bars)
    overall = model.overall.snapshot()
    assert overall.n > 5_500
    assert overall.accuracy is not None and abs(overall.accuracy - 0.5) < 0.03
    assert overall.log_loss is not None and overall.log_loss > 0.68  # no better than ln 2


def test_with_planted_momentum_prequential_accuracy_clearly_beats_a_coin_flip() -> None:
    bars = [b for i, s in enumerate("ABCD") for b in walk(s, 1_500, momentum=0.5, seed=10 + i)]
    model = run(bars)
    overall = model.overall.snapshot()
    # the best possible here is 0.5 + asin(0.5)/π ≈ 0.667
    assert overall.accuracy is not None and overall.accuracy > 0.6
    assert overall.log_loss is not None and overall.log_loss < 0.67
    for symbol in "ABCD":
        metrics = model.metrics(symbol)
        assert metrics is not None and (metrics.accuracy or 0) > 0.57
