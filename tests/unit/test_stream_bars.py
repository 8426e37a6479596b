import math
from datetime import UTC, datetime

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tickerpulse.domain import Trade
from tickerpulse.streaming.bars import Bar, BarBuilder, bar_start_ms

T0 = int(datetime(2026, 3, 2, 14, 30, tzinfo=UTC).timestamp() * 1000)  # a 5-minute boundary
MIN = 60_000


def trade(ms: int, price: float, volume: float = 1.0, symbol: str = "AAPL") -> Trade:
    return Trade(symbol=symbol, price=price, ts_ms=T0 + ms, volume=volume)


def run(trades: list[Trade], **kwargs: int) -> list[Bar]:
    builder = BarBuilder(**kwargs)  # type: ignore[arg-type]
    closed = [bar for t in trades for bar in builder.add(t)]
    return closed + builder.flush()


def test_one_minute_bar_has_ohlcv_vwap_and_trade_count() -> None:
    builder = BarBuilder(intervals=(60,), allowed_lateness_ms=0)
    for t in [
        trade(1_000, 10.0, 2),
        trade(20_000, 12.5, 1),
        trade(30_000, 9.5, 3),
        trade(59_999, 11.0, 4),
    ]:
        assert builder.add(t) == []
    (bar,) = builder.add(trade(MIN, 11.5))
    assert bar == Bar(
        symbol="AAPL", interval_s=60, start_ms=T0, open=10.0, high=12.5, low=9.5, close=11.0,
        volume=10.0, vwap=(10.0 * 2 + 12.5 + 9.5 * 3 + 11.0 * 4) / 10, trades=4, final=True,
    )  # fmt: skip
    assert bar.start == datetime(2026, 3, 2, 14, 30, tzinfo=UTC)
    assert bar.end_ms == T0 + MIN


def test_five_minute_bar_summarises_its_five_one_minute_bars() -> None:
    trades = [trade(i * 7_000, 100 + (i * 37 % 11), 1 + i % 3) for i in range(43)]  # 0..294 s
    bars = run(trades, allowed_lateness_ms=0)
    ones = [b for b in bars if b.interval_s == 60]
    (five,) = [b for b in bars if b.interval_s == 300]
    assert [b.start_ms for b in ones] == [T0 + k * MIN for k in range(5)]
    assert five.start_ms == T0 and five.end_ms == T0 + 5 * MIN
    assert (five.open, five.close) == (ones[0].open, ones[-1].close)
    assert five.high == max(b.high for b in ones) and five.low == min(b.low for b in ones)
    assert five.trades == sum(b.trades for b in ones) == 43
    assert five.volume == pytest.approx(sum(b.volume for b in ones))
    assert five.vwap == pytest.approx(sum(t.price * t.volume for t in trades) / five.volume)


def test_bar_start_aligns_to_the_epoch() -> None:
    assert bar_start_ms(T0 + 61_234, 60) == T0 + MIN
    assert bar_start_ms(T0 + 299_999, 300) == T0
    assert bar_start_ms(T0 - 1, 300) == T0 - 5 * MIN


def test_a_bar_closes_only_when_the_watermark_passes_its_end() -> None:
    builder = BarBuilder(intervals=(60,), allowed_lateness_ms=5_000)
    builder.add(trade(10_000, 1.0))
    assert builder.add(trade(MIN + 4_999, 2.0)) == []  # watermark = end - 1 ms
    assert builder.watermark_ms == T0 + MIN - 1
    (closed,) = builder.add(trade(MIN + 5_000, 3.0))  # watermark = end
    assert (closed.start_ms, closed.close, closed.final) == (T0, 1.0, True)
    assert [b.start_ms for b in builder.open_bars()] == [T0 + MIN]


def test_a_late_trade_within_the_lateness_updates_its_open_bar() -> None:
    builder = BarBuilder(intervals=(60,), allowed_lateness_ms=5_000)
    builder.add(trade(30_000, 10.0))
    builder.add(trade(MIN + 2_000, 20.0))  # next minute; watermark = 57 s, first bar still open
    assert builder.add(trade(5_000, 7.0, volume=3)) == []  # late, and the earliest: the new open
    (first, second) = builder.flush()
    assert first.open == first.low == 7.0 and first.close == 10.0
    assert (first.trades, first.volume) == (2, 4.0)
    assert second.trades == 1
    assert builder.stats.out_of_order == 1
    assert builder.stats.late_dropped == {60: 0}


def test_a_trade_for_a_closed_bar_is_counted_as_late_dropped() -> None:
    builder = BarBuilder(intervals=(60, 300), allowed_lateness_ms=5_000)
    builder.add(trade(10_000, 10.0))
    closed = builder.add(trade(MIN + 6_000, 11.0))
    assert [b.interval_s for b in closed] == [60]
    assert builder.add(trade(59_000, 99.0)) == []  # its minute closed; its 5 minutes did not
    assert builder.stats.late_dropped == {60: 1, 300: 0}
    bars = builder.flush()
    (five,) = [b for b in bars if b.interval_s == 300]
    assert five.trades == 3 and five.high == 99.0
    (minute,) = [b for b in bars if b.interval_s == 60]
    assert minute.high == 11.0  # the dropped trade never reached the closed minute


def test_flush_closes_everything_and_later_trades_for_those_bars_are_late() -> None:
    builder = BarBuilder(intervals=(60,), allowed_lateness_ms=5_000)
    builder.add(trade(1_000, 1.0))
    assert [b.final for b in builder.flush()] == [True]
    assert builder.open_bars() == []
    assert builder.add(trade(2_000, 1.0)) == []
    assert builder.stats.late_dropped == {60: 1}
    assert builder.flush() == []


def test_updated_reports_each_changed_open_bar_once() -> None:
    builder = BarBuilder(intervals=(60,), allowed_lateness_ms=0)
    builder.add(trade(1_000, 1.0))
    builder.add(trade(2_000, 2.0))
    builder.add(trade(3_000, 5.0, symbol="MSFT"))
    assert [(b.symbol, b.close, b.final) for b in builder.updated()] == [
        ("AAPL", 2.0, False),
        ("MSFT", 5.0, False),
    ]
    assert builder.updated() == []
    builder.add(trade(MIN, 3.0))  # closes the first minute: closed bars are not "updated"
    assert [(b.symbol, b.start_ms) for b in builder.updated()] == [("AAPL", T0 + MIN)]


def test_invalid_prices_and_volumes_are_rejected_and_counted() -> None:
    builder = BarBuilder(intervals=(60,))
    for bad in [
        trade(0, 0.0),
        trade(0, -1.0),
        trade(0, math.nan),
        trade(0, 1.0, volume=-2),
        trade(0, 1.0, volume=math.inf),
    ]:
        assert builder.add(bad) == []
    assert builder.stats.rejected == 5 and builder.stats.trades == 0
    assert builder.flush() == []


def test_zero_volume_trades_make_a_bar_without_vwap() -> None:
    (bar,) = run([trade(0, 5.0, volume=0.0)], intervals=(60,))
    assert bar.vwap is None and bar.trades == 1 and bar.volume == 0.0


def test_bad_configuration_is_refused() -> None:
    with pytest.raises(ValueError, match="intervals"):
        BarBuilder(intervals=(60, 60))
    with pytest.raises(ValueError, match="intervals"):
        BarBuilder(intervals=(0,))
    with pytest.raises(ValueError, match="lateness"):
        BarBuilder(allowed_lateness_ms=-1)


# --- properties ------------------------------------------------------------------------------

streams = st.lists(
    st.builds(
        Trade,
        symbol=st.sampled_from(["AAPL", "BTC", "EURUSD"]),
        price=st.floats(min_value=0.01, max_value=1e5, allow_nan=False),
        ts_ms=st.integers(min_value=T0, max_value=T0 + 12 * MIN),
        volume=st.floats(min_value=0, max_value=1e4, allow_nan=False),
    ),
    max_size=120,
)


@given(streams)
def test_the_same_trades_in_the_same_order_give_identical_bars(trades: list[Trade]) -> None:
    assert run(trades) == run(list(trades))


@given(streams, st.randoms(use_true_random=False))
def test_arrival_order_within_the_lateness_does_not_change_bars(trades: list[Trade], rnd) -> None:  # type: ignore[no-untyped-def]
    timestamps = [t.ts_ms for t in trades]
    assume(len(set(timestamps)) == len(timestamps))  # equal times would tie-break by arrival
    shuffled = list(trades)
    rnd.shuffle(shuffled)
    builder = BarBuilder(allowed_lateness_ms=10 * MIN)
    shuffled_bars = [b for t in shuffled for b in builder.add(t)] + builder.flush()
    assume(sum(builder.stats.late_dropped.values()) == 0)
    ordered = run(sorted(trades, key=lambda t: t.ts_ms), allowed_lateness_ms=10 * MIN)

    def shape(bars: list[Bar]) -> list[tuple[object, ...]]:
        return [(b.key, b.open, b.high, b.low, b.close, b.trades) for b in bars]

    assert shape(shuffled_bars) == shape(ordered)


@settings(max_examples=200)
@given(streams, st.integers(min_value=0, max_value=120), st.integers(min_value=0, max_value=20_000))
def test_resuming_from_watermark_and_low_water_seq_rebuilds_identical_bars(
    trades: list[Trade], cut: int, lateness: int
) -> None:
    """What a restarted processor does: seed the watermark, replay from the low-water seq."""
    cut = min(cut, len(trades))
    whole = BarBuilder(allowed_lateness_ms=lateness)
    expected = [b for seq, t in enumerate(trades) for b in whole.add(t, seq)] + whole.flush()

    first = BarBuilder(allowed_lateness_ms=lateness)
    before = [b for seq, t in enumerate(trades[:cut]) for b in first.add(t, seq)]
    resume = first.low_water_seq()
    resume = cut if resume is None else resume
    second = BarBuilder(allowed_lateness_ms=lateness, watermark_ms=first.watermark_ms)
    replayed = [b for seq in range(resume, cut) for b in second.add(trades[seq], seq)]
    assert replayed == []  # replaying never re-closes a bar
    after = [b for seq in range(cut, len(trades)) for b in second.add(trades[seq], seq)]
    assert before + after + second.flush() == expected
