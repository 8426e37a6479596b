"""One price source per asset and window, fallbacks in the configured order, gaps reported."""

from datetime import UTC, datetime, timedelta

import pyarrow as pa

from tickerpulse.domain import (
    DOCUMENT_SCHEMA,
    MENTION_SCHEMA,
    PRICE_BAR_SCHEMA,
    SENTIMENT_SCHEMA,
    Window,
)
from tickerpulse.jobs.engines.duckdb import aggregate_window
from tickerpulse.lake.window_data import WindowAggregates, WindowInputs, price_priority_table

WINDOW = Window.containing(datetime(2026, 1, 14, 12, tzinfo=UTC))  # Wednesday 12:00-18:00 UTC


def bar(asset_id: str, source: str, hour: datetime, close: float, run_id: str = "r1") -> dict:
    return {
        "asset_id": asset_id, "ts": hour, "interval": "1h", "open": close, "high": close,
        "low": close, "close": close, "volume": 1.0, "source": source, "run_id": run_id,
    }  # fmt: skip


def hours(start: datetime, count: int) -> list[datetime]:
    return [start + timedelta(hours=h) for h in range(count)]


def aggregate(bars: list[dict], priority: list[str]) -> WindowAggregates:
    def empty(schema: pa.Schema) -> pa.Table:
        return schema.append(pa.field("run_id", pa.string())).empty_table()

    schema = PRICE_BAR_SCHEMA.append(pa.field("run_id", pa.string()))
    inputs = WindowInputs(
        documents=empty(DOCUMENT_SCHEMA),
        sentiment=empty(SENTIMENT_SCHEMA),
        mentions=empty(MENTION_SCHEMA),
        prices=pa.Table.from_pylist(bars, schema=schema),
        price_priority=price_priority_table(priority),
    )
    return aggregate_window(inputs, WINDOW)


def rows(table: pa.Table) -> dict[str, dict]:
    return {row["asset_id"]: row for row in table.to_pylist()}


def test_the_preferred_source_wins_and_its_own_last_close_is_the_reference() -> None:
    yesterday = WINDOW.start - timedelta(hours=1)
    bars = [
        bar("crypto:BTC", "finnhub", yesterday, 100.0),
        bar("crypto:BTC", "alphavantage", yesterday, 90.0),
        *(bar("crypto:BTC", "finnhub", h, 110.0) for h in hours(WINDOW.start, 6)),
        *(bar("crypto:BTC", "alphavantage", h, 999.0) for h in hours(WINDOW.start, 6)),
    ]
    btc = rows(aggregate(bars, ["finnhub", "alphavantage"]).price_window)["crypto:BTC"]
    assert (btc["source"], btc["sources"], btc["close"]) == ("finnhub", 2, 110.0)
    assert btc["prev_close"] == 100.0 and abs(btc["return_pct"] - 0.10) < 1e-12
    flipped = rows(aggregate(bars, ["alphavantage", "finnhub"]).price_window)["crypto:BTC"]
    assert (flipped["source"], flipped["close"], flipped["prev_close"]) == (
        "alphavantage",
        999.0,
        90.0,
    )


def test_a_fallback_is_used_when_the_preferred_source_has_no_bars_in_the_window() -> None:
    before = WINDOW.start - timedelta(hours=1)
    bars = [
        bar("crypto:ETH", "ibkr", before, 50.0),
        *(bar("crypto:ETH", "finnhub", h, 55.0) for h in hours(WINDOW.start, 6)),
    ]
    eth = rows(aggregate(bars, ["ibkr", "finnhub"]).price_window)["crypto:ETH"]
    # finnhub has no earlier close of its own: the last close of any source (ibkr) is the reference
    assert (eth["source"], eth["prev_close"], eth["bars"]) == ("finnhub", 50.0, 6)


def test_unlisted_sources_rank_last_and_the_newest_run_wins_for_a_repeated_bar() -> None:
    start = WINDOW.start
    bars = [bar("stock:AAPL", "zzz", h, 1.0) for h in hours(start + timedelta(hours=2), 4)] + [
        bar("stock:AAPL", "finnhub", h, 2.0) for h in hours(start + timedelta(hours=2), 4)
    ]
    bars.append(bar("stock:AAPL", "finnhub", start + timedelta(hours=5), 3.0, run_id="r2"))
    aapl = rows(aggregate(bars, ["finnhub"]).price_window)["stock:AAPL"]
    assert (aapl["source"], aapl["close"], aapl["bars"]) == ("finnhub", 3.0, 4)


def test_missing_bars_while_the_market_traded_are_reported() -> None:
    earlier = WINDOW.start - timedelta(days=1)
    bars = [
        *(bar("crypto:BTC", "finnhub", h, 1.0) for h in hours(WINDOW.start, 4)),  # 2 of 6 missing
        *(bar("crypto:ETH", "finnhub", h, 1.0) for h in hours(WINDOW.start, 6)),  # complete
        bar("stock:MSFT", "finnhub", earlier, 1.0),  # priced yesterday, nothing today
        *(
            bar("stock:AAPL", "finnhub", h, 1.0)
            for h in hours(WINDOW.start + timedelta(hours=2), 4)
        ),
    ]
    gaps = rows(aggregate(bars, ["finnhub"]).price_gaps)
    assert gaps == {
        "crypto:BTC": {
            "asset_id": "crypto:BTC",
            "source": "finnhub",
            "expected_bars": 6,
            "bars": 4,
        },
        "stock:MSFT": {"asset_id": "stock:MSFT", "source": None, "expected_bars": 4, "bars": 0},
    }
