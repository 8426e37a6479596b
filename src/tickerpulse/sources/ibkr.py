"""Interactive Brokers: hourly bars through IB Gateway (or TWS) with ib_async.

IB has no REST API for this: a local IB Gateway holds the login and serves the
TWS API socket (4002 paper / 4001 live by default for the Gateway, 7497/7496 for
TWS). Set-up, step by step, in docs/ibkr.md; turn the source on with
``IBKR_ENABLED=true`` and ``SOURCES=ibkr`` (plus ``IBKR_HOST``/``IBKR_PORT``).

Contracts are resolved from the universe (:func:`contract_spec`): stocks and ETFs
``STK`` on ``SMART`` in USD with ``TRADES``; crypto ``CRYPTO`` on ``PAXOS`` (only
BTC, ETH, LTC and BCH trade there) with ``AGGTRADES``; FX pairs ``CASH`` on
``IDEALPRO`` with ``MIDPOINT`` (no volume); indices ``IND`` on their exchange
(SPX and VIX on CBOE, NDX on NASDAQ, RUT on RUSSELL) with ``TRADES``. Others are
skipped with a log line.

Requests: ``reqHistoricalData(contract, endDateTime=until, durationStr=<the gap
since the asset's last landed bar, at most 30 days>, barSizeSetting="1 hour",
whatToShow=…, useRTH=False, formatDate=2)`` (UTC times). IB's pacing rules: at
most 60 historical requests in any 10 minutes, and no identical request within
15 s; the source waits before the 61st.

Landed: one line per asset request, ``{"bars": [bar_item …]}`` with context
``{"asset_id", "bar_size", "what_to_show", "contract"}``; the conversion from
ib_async's ``BarData`` (:func:`bar_item`) is pure and tested without a gateway.
Cursor: per asset the time of the newest bar landed.
"""

from __future__ import annotations

import copy
import math
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

import structlog

from tickerpulse.config import Settings
from tickerpulse.domain import as_utc
from tickerpulse.extras import require
from tickerpulse.sources.base import Cursor, Page, envelope
from tickerpulse.sources.http import SourceError
from tickerpulse.universe import AssetInfo, Universe, load_universe

log = structlog.get_logger(__name__)

NAME = "ibkr"
BAR_SIZE = "1 hour"
FIRST_LOOKBACK = timedelta(days=5)
LONGEST_REQUEST = timedelta(days=30)
PACING_REQUESTS = 60
PACING_WINDOW_S = 600.0
PAXOS_COINS = frozenset({"BTC", "ETH", "LTC", "BCH"})
INDEX_EXCHANGES = {"SPX": "CBOE", "VIX": "CBOE", "NDX": "NASDAQ", "RUT": "RUSSELL"}


@dataclass(frozen=True)
class ContractSpec:
    """What IB needs to find an asset's contract, and which prices to ask for."""

    sec_type: str
    symbol: str
    exchange: str
    currency: str
    what_to_show: str


def contract_spec(asset: AssetInfo) -> ContractSpec | None:
    """The IB contract of a universe asset, or ``None`` when IB has no fitting one."""
    cls = str(asset.asset_class)
    if cls in {"stock", "etf"}:
        return ContractSpec("STK", asset.symbol.replace(".", " "), "SMART", "USD", "TRADES")
    if cls == "crypto" and asset.symbol in PAXOS_COINS:
        return ContractSpec("CRYPTO", asset.symbol, "PAXOS", "USD", "AGGTRADES")
    if cls == "fx" and len(asset.symbol) == 6 and asset.symbol.isalpha():
        return ContractSpec("CASH", asset.symbol[:3], "IDEALPRO", asset.symbol[3:], "MIDPOINT")
    if cls == "index" and asset.symbol in INDEX_EXCHANGES:
        return ContractSpec("IND", asset.symbol, INDEX_EXCHANGES[asset.symbol], "USD", "TRADES")
    return None


def bar_item(bar: Any) -> dict[str, Any]:
    """An ib_async ``BarData`` (or anything with its attributes) as a JSON-safe landed item.

    Intraday bars carry an aware datetime (``formatDate=2``: UTC), daily bars a date.
    IB reports no volume as ``-1`` (FX midpoints): that becomes ``None``.
    """
    stamp = bar.date
    when = as_utc(stamp).isoformat() if isinstance(stamp, datetime) else stamp.isoformat()
    volume = float(bar.volume)
    return {
        "date": when,
        "open": float(bar.open),
        "high": float(bar.high),
        "low": float(bar.low),
        "close": float(bar.close),
        "volume": None if volume < 0 else volume,
        "average": float(bar.average),
        "barCount": int(bar.barCount),
    }


def duration_for(gap: timedelta) -> str:
    """IB's ``durationStr`` covering ``gap`` (seconds up to a day, then whole days, capped)."""
    gap = min(max(gap, timedelta(hours=1)), LONGEST_REQUEST)
    if gap <= timedelta(days=1):
        return f"{math.ceil(gap.total_seconds())} S"
    return f"{math.ceil(gap / timedelta(days=1))} D"


def item_time(item: dict[str, Any]) -> datetime:
    """When a landed bar starts (daily bars at midnight UTC)."""
    text = str(item["date"])
    if len(text) == 10:
        return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
    return as_utc(datetime.fromisoformat(text))


class Gateway(Protocol):
    """The part of ``ib_async.IB`` the source uses."""

    def isConnected(self) -> bool:
        """Whether the API socket is up."""
        ...

    def connect(self, host: str, port: int, clientId: int, timeout: float, readonly: bool) -> Any:
        """Open the API socket."""
        ...

    def qualifyContracts(self, *contracts: Any) -> list[Any]:
        """Fill in contract ids; unknown contracts are left out."""
        ...

    def reqHistoricalData(
        self,
        contract: Any,
        endDateTime: datetime | date | str | None,
        durationStr: str,
        barSizeSetting: str,
        whatToShow: str,
        useRTH: bool,
        formatDate: int = 1,
    ) -> Any:
        """Historical bars (blocking)."""
        ...

    def disconnect(self) -> Any:
        """Close the API socket."""
        ...


class IbkrSource:
    """Hourly bars for the configured assets from a running IB Gateway."""

    name = NAME

    def __init__(
        self,
        settings: Settings,
        gateway: Gateway,
        universe: Universe,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.gateway = gateway
        self.host, self.port, self.client_id = (
            settings.ibkr_host, settings.ibkr_port, settings.ibkr_client_id,
        )  # fmt: skip
        names = settings.ibkr_symbols or [a.asset_id for a in universe.demo_assets()]
        self.assets = [universe.get(n) for n in names]
        self.sleep, self.clock = sleep, clock
        self._sent: deque[float] = deque()
        self.now: Callable[[], datetime] = lambda: datetime.now(UTC)

    def fetch(self, since: Cursor, *, until: datetime) -> Iterator[Page]:
        """One page per asset with the bars after its mark and before ``until``."""
        until = as_utc(until)
        cursor = copy.deepcopy(since)
        marks: dict[str, str] = cursor.setdefault("bars", {})
        self._connect()
        for asset in self.assets:
            spec = contract_spec(asset)
            if spec is None:
                log.info("ibkr has no contract for asset", asset=asset.asset_id)
                continue
            mark = (
                datetime.fromisoformat(marks[asset.asset_id]) if asset.asset_id in marks else None
            )
            start = mark + timedelta(hours=1) if mark else until - FIRST_LOOKBACK
            if start >= until:
                continue
            items = [
                i
                for i in (bar_item(b) for b in self._bars(spec, until, until - start))
                if start <= item_time(i) < until
            ]
            if items:
                marks[asset.asset_id] = max(item_time(i) for i in items).isoformat()
            context = {"asset_id": asset.asset_id, "bar_size": BAR_SIZE,
                       "what_to_show": spec.what_to_show, "contract": asdict(spec)}  # fmt: skip
            lines = (
                [envelope({"bars": items}, fetched_at=self.now(), context=context)] if items else []
            )
            yield Page(lines, copy.deepcopy(cursor))

    def check(self) -> str:
        """Connect and qualify the first asset's contract."""
        self._connect()
        spec = next((s for s in map(contract_spec, self.assets) if s is not None), None)
        if spec is None:
            return f"connected to {self.host}:{self.port}; no configured asset has an IB contract"
        found = "found" if self.gateway.qualifyContracts(_contract(spec)) else "NOT found"
        return f"connected to {self.host}:{self.port}; {spec.symbol} {found}"

    def _connect(self) -> None:
        if self.gateway.isConnected():
            return
        try:
            self.gateway.connect(
                self.host, self.port, clientId=self.client_id, timeout=10, readonly=True
            )
        except (OSError, TimeoutError) as exc:
            raise SourceError(
                f"{NAME}: IB Gateway not reachable at {self.host}:{self.port} — is it running, "
                f"logged in, and is API access enabled? ({type(exc).__name__})"
            ) from None

    def _bars(self, spec: ContractSpec, until: datetime, gap: timedelta) -> list[Any]:
        self._pace()
        bars: list[Any] = self.gateway.reqHistoricalData(
            _contract(spec), endDateTime=until, durationStr=duration_for(gap),
            barSizeSetting=BAR_SIZE, whatToShow=spec.what_to_show, useRTH=False, formatDate=2,
        )  # fmt: skip
        return bars

    def _pace(self) -> None:
        """Never more than 60 historical requests in 10 minutes."""
        now = self.clock()
        while self._sent and now - self._sent[0] >= PACING_WINDOW_S:
            self._sent.popleft()
        if len(self._sent) >= PACING_REQUESTS:
            wait = PACING_WINDOW_S - (now - self._sent[0])
            log.info("ibkr pacing", wait_s=round(wait, 1))
            self.sleep(wait)
            self._sent.popleft()
        self._sent.append(self.clock())


def _contract(spec: ContractSpec) -> Any:
    from ib_async import Contract

    return Contract(
        secType=spec.sec_type, symbol=spec.symbol, exchange=spec.exchange, currency=spec.currency
    )


def missing_credentials(settings: Settings) -> list[str]:
    """The gateway holds IB's credentials; the source only needs to be switched on."""
    return [] if settings.ibkr_enabled else ["IBKR_ENABLED"]


def build(settings: Settings) -> IbkrSource:
    """The source over a fresh ``ib_async.IB`` (connected on first use)."""
    require("ibkr")
    from ib_async import IB

    return IbkrSource(settings, IB(), load_universe(settings.universe_extra))
