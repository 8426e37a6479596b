"""The demo's live replay continues the simulated world: its prices, volatility and calendars."""

import itertools
import math
import statistics
from datetime import UTC, datetime

from tickerpulse.domain import Trade
from tickerpulse.markets import minute_volatility, trades_at
from tickerpulse.sources._sim_text import ANNUAL_VOL
from tickerpulse.streaming.world import (
    LiveAnchor,
    candidate_asset_ids,
    feed_symbol_base,
    feed_symbol_class,
    market_closed,
    world_trades,
)


def ms(*args: int) -> int:
    return int(datetime(*args, tzinfo=UTC).timestamp() * 1000)


def anchor(symbol: str, cls: str, price: float) -> LiveAnchor:
    return LiveAnchor(symbol, cls, price, minute_volatility(cls, ANNUAL_VOL[cls]))


def take(anchors: list[LiveAnchor], start_ms: int, minutes: int, rate: float) -> list[Trade]:
    ticks = []
    feed = world_trades(anchors, start_ms=start_ms, rate=rate, seed=3)
    for tick in feed:
        if tick is not None:
            if tick.ts_ms >= start_ms + minutes * 60_000:
                break
            ticks.append(tick)
        elif len(ticks) > 10**6:  # pragma: no cover - a guard, never reached
            break
    return ticks


def test_feed_symbols_map_to_their_asset_and_calendar() -> None:
    assert (
        feed_symbol_class("BINANCE:BTCUSDT") == "crypto"
        and feed_symbol_base("BINANCE:BTCUSDT") == "BTC"
    )
    assert (
        feed_symbol_class("OANDA:EUR_USD") == "fx" and feed_symbol_base("OANDA:EUR_USD") == "EURUSD"
    )
    assert feed_symbol_class("SPY") == "stock"
    assert candidate_asset_ids("SPY") == ["stock:SPY", "etf:SPY", "index:SPY"]
    assert candidate_asset_ids("BINANCE:ETHUSDT") == ["crypto:ETH"]


def test_the_minute_volatility_is_the_daily_one_spread_over_the_trading_day() -> None:
    stock_day = 0.35 / math.sqrt(252)
    assert math.isclose(minute_volatility("stock", 0.35), stock_day / math.sqrt(390))
    assert math.isclose(minute_volatility("crypto", 0.70), 0.70 / math.sqrt(365) / math.sqrt(1440))


def test_no_stock_trades_on_a_sunday_night_while_bitcoin_goes_on_from_its_close() -> None:
    # Sunday 2026-12-06 01:40 UTC: US equities closed, crypto trading
    start = ms(2026, 12, 6, 1, 40)
    anchors = [anchor("MSFT", "stock", 455.0), anchor("BINANCE:BTCUSDT", "crypto", 51_461.0)]
    trades = take(anchors, start, minutes=65, rate=5)
    assert trades and {t.symbol for t in trades} == {"BINANCE:BTCUSDT"}
    prices = [t.price for t in trades]
    assert min(prices) > 51_461 * 0.95 and max(prices) < 51_461 * 1.05


def test_stocks_trade_only_in_the_new_york_session_and_move_plausibly() -> None:
    # Monday 2026-03-09 (EDT from the day before): session 13:30-20:00 UTC
    start = ms(2026, 3, 9, 12, 0)
    anchors = [anchor("MSFT", "stock", 420.0), anchor("SPY", "etf", 540.0)]
    trades = take(anchors, start, minutes=9 * 60, rate=4)
    stamps = [datetime.fromtimestamp(t.ts_ms / 1000, UTC) for t in trades]
    assert min(stamps) >= datetime(2026, 3, 9, 13, 30, tzinfo=UTC)
    assert max(stamps) < datetime(2026, 3, 9, 20, 0, tzinfo=UTC)
    assert all(trades_at("stock", s) for s in stamps)
    for symbol, start_price in (("MSFT", 420.0), ("SPY", 540.0)):
        mine = [t.price for t in trades if t.symbol == symbol]
        # one hour of the day's session may not move a stock by 10 %
        hourly = [mine[i : i + 7200] for i in range(0, len(mine), 7200)]  # 2 trades a second
        assert all(max(h) / min(h) < 1.05 for h in hourly if h)
        assert 0.9 < mine[-1] / start_price < 1.1


def test_one_minute_returns_have_the_anchor_volatility() -> None:
    start = ms(2026, 12, 7, 0, 0)
    btc = anchor("BINANCE:BTCUSDT", "crypto", 51_461.0)
    eth = anchor("BINANCE:ETHUSDT", "crypto", 2_950.0)
    trades = take([btc, eth], start, minutes=600, rate=6)
    last_of_minute: dict[int, float] = {}
    for t in trades:
        if t.symbol == btc.symbol:
            last_of_minute[t.ts_ms // 60_000] = t.price
    closes = [last_of_minute[m] for m in sorted(last_of_minute)]
    returns = [math.log(b / a) for a, b in itertools.pairwise(closes)]
    assert 0.8 < statistics.stdev(returns) / btc.sigma_minute < 1.2


def test_fx_closes_for_the_weekend_and_a_closed_market_keeps_event_time_pace() -> None:
    saturday = ms(2026, 12, 5, 12, 0)
    ticks = list(
        zip(
            range(600),
            world_trades([anchor("OANDA:EUR_USD", "fx", 1.08)], start_ms=saturday, rate=10),
            strict=False,
        )
    )
    assert all(tick is None for _, tick in ticks)
    assert market_closed("OANDA:EUR_USD", datetime(2026, 12, 5, 12, tzinfo=UTC))
    assert market_closed("AAPL", datetime(2026, 12, 6, 1, 40, tzinfo=UTC))
    assert not market_closed("BINANCE:BTCUSDT", datetime(2026, 12, 6, 1, 40, tzinfo=UTC))
