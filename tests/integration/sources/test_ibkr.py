"""IBKR: contract resolution, BarData conversion and the source over a stand-in IB Gateway.

The stand-in answers like ib_async's IB object (real ``BarData`` instances, the same
method names and keywords); no tickerpulse code is replaced.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson
import pytest
from ib_async import BarData

from tickerpulse.config import Settings
from tickerpulse.enrich.normalize import normalize_prices
from tickerpulse.sources.base import Page
from tickerpulse.sources.http import SourceError
from tickerpulse.sources.ibkr import (
    ContractSpec,
    IbkrSource,
    bar_item,
    contract_spec,
    duration_for,
    missing_credentials,
)
from tickerpulse.universe import load_universe

UNIVERSE = load_universe()
UNTIL = datetime(2026, 3, 2, 12, tzinfo=UTC)


class StandInGateway:
    """Serves hourly bars from 2026-02-25 00:00 UTC onward, as IB Gateway would."""

    def __init__(self, refuse: bool = False) -> None:
        self.refuse = refuse
        self.connected = False
        self.requests: list[dict[str, Any]] = []

    def isConnected(self) -> bool:
        return self.connected

    def connect(self, host: str, port: int, clientId: int, timeout: float, readonly: bool) -> None:
        if self.refuse:
            raise ConnectionRefusedError(111, "Connect call failed")
        self.connected = True

    def qualifyContracts(self, *contracts: Any) -> list[Any]:
        return list(contracts)

    def reqHistoricalData(self, contract: Any, **kwargs: Any) -> list[BarData]:
        self.requests.append({"symbol": contract.symbol, "secType": contract.secType, **kwargs})
        end: datetime = kwargs["endDateTime"]
        hours = 24 * 30
        first = datetime(2026, 2, 25, tzinfo=UTC)
        no_volume = kwargs["whatToShow"] == "MIDPOINT"
        return [
            BarData(date=first + timedelta(hours=h), open=100 + h, high=101 + h, low=99 + h,
                    close=100.5 + h, volume=-1 if no_volume else 10 * h, average=100 + h, barCount=h)
            for h in range(hours)
            if first + timedelta(hours=h) < end
        ]  # fmt: skip


def source(
    gateway: StandInGateway, symbols: list[str], slept: list[float] | None = None
) -> IbkrSource:
    settings = Settings(_env_file=None, ibkr_enabled=True, ibkr_symbols=symbols)  # type: ignore[call-arg]
    waits = slept if slept is not None else []
    clock = iter(range(0, 10**6))
    return IbkrSource(
        settings, gateway, UNIVERSE, sleep=waits.append, clock=lambda: float(next(clock))
    )


def items(pages: list[Page]) -> list[dict[str, Any]]:
    return [orjson.loads(line) for page in pages for line in page.lines]


def test_contracts_for_each_asset_class() -> None:
    spec = {a: contract_spec(UNIVERSE.get(a)) for a in (
        "stock:AAPL", "stock:BRK.B", "etf:SPY", "crypto:BTC", "crypto:SOL", "fx:EURUSD",
        "index:SPX", "index:DJI", "fx:DXY")}  # fmt: skip
    assert spec["stock:AAPL"] == ContractSpec("STK", "AAPL", "SMART", "USD", "TRADES")
    assert spec["stock:BRK.B"] is not None and spec["stock:BRK.B"].symbol == "BRK B"
    assert spec["crypto:BTC"] == ContractSpec("CRYPTO", "BTC", "PAXOS", "USD", "AGGTRADES")
    assert spec["fx:EURUSD"] == ContractSpec("CASH", "EUR", "IDEALPRO", "USD", "MIDPOINT")
    assert spec["index:SPX"] == ContractSpec("IND", "SPX", "CBOE", "USD", "TRADES")
    assert spec["crypto:SOL"] is None and spec["index:DJI"] is None and spec["fx:DXY"] is None


def test_bardata_becomes_a_json_safe_item() -> None:
    hourly = BarData(date=datetime(2026, 3, 2, 14, tzinfo=UTC), open=1.0841, high=1.0862,
                     low=1.083, close=1.0855, volume=-1, average=-1, barCount=-1)  # fmt: skip
    assert bar_item(hourly) == {
        "date": "2026-03-02T14:00:00+00:00", "open": 1.0841, "high": 1.0862, "low": 1.083,
        "close": 1.0855, "volume": None, "average": -1.0, "barCount": -1,
    }  # fmt: skip
    daily = bar_item(BarData(date=date(2026, 3, 2), open=1, high=2, low=0.5, close=1.5, volume=9))
    assert daily["date"] == "2026-03-02" and daily["volume"] == 9.0
    json.dumps(daily)


def test_durations_cover_the_gap_and_stay_within_ibs_limits() -> None:
    assert duration_for(timedelta(hours=6)) == "21600 S"
    assert duration_for(timedelta(days=5)) == "5 D"
    assert duration_for(timedelta(days=90)) == "30 D"


def test_first_run_then_only_the_gap_and_bars_normalize() -> None:
    gateway = StandInGateway()
    ibkr = source(gateway, ["stock:AAPL", "fx:EURUSD", "crypto:SOL"])
    first = list(ibkr.fetch({}, until=UNTIL))
    assert [r["symbol"] for r in gateway.requests] == ["AAPL", "EUR"]  # SOL has no IB contract
    assert gateway.requests[0]["durationStr"] == "5 D" and gateway.requests[0]["formatDate"] == 2
    assert gateway.requests[1]["whatToShow"] == "MIDPOINT"
    bars = normalize_prices("ibkr", [line for p in first for line in p.lines]).table.to_pylist()
    aapl = [b for b in bars if b["asset_id"] == "stock:AAPL"]
    assert len(aapl) == 5 * 24 and max(b["ts"] for b in aapl) == UNTIL - timedelta(hours=1)
    assert all(b["volume"] == 0 for b in bars if b["asset_id"] == "fx:EURUSD")
    cursor = json.loads(json.dumps(first[-1].cursor))
    later = UNTIL + timedelta(hours=6)
    second = list(source(gateway, ["stock:AAPL", "fx:EURUSD"]).fetch(cursor, until=later))
    assert gateway.requests[2]["durationStr"] == "21600 S"
    assert [len(i["item"]["bars"]) for i in items(second)] == [6, 6]


def test_pacing_waits_before_the_61st_request_in_ten_minutes() -> None:
    slept: list[float] = []
    ibkr = source(StandInGateway(), ["stock:AAPL"], slept)
    for _ in range(61):
        ibkr._pace()
    assert len(slept) == 1 and 0 < slept[0] <= 600


def test_an_unreachable_gateway_says_what_to_check() -> None:
    with pytest.raises(SourceError, match=r"IB Gateway not reachable at 127\.0\.0\.1:4002"):
        list(source(StandInGateway(refuse=True), ["stock:AAPL"]).fetch({}, until=UNTIL))


def test_the_source_is_switched_on_explicitly() -> None:
    assert missing_credentials(Settings(_env_file=None)) == ["IBKR_ENABLED"]  # type: ignore[call-arg]
    assert missing_credentials(Settings(_env_file=None, ibkr_enabled=True)) == []  # type: ignore[call-arg]
