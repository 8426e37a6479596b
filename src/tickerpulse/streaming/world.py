"""The demo's live trades as a continuation of the simulated world, per asset and calendar.

Without a Finnhub key the demo replays trades it makes up. They must agree with
the rest of the site: each symbol starts from its asset's last published close
(``mart_price_window``; the simulator's start price when nothing is published),
moves with a plausible 1-minute volatility derived from its class's daily
volatility (σ_min = σ_day / √(minutes per trading day)), and trades only while
its market is in session (:mod:`tickerpulse.markets`: US stocks on weekdays in
New York hours, FX over the OTC week, crypto always).

Feed symbols are Finnhub's names: ``AAPL``, ``BINANCE:BTCUSDT``, ``OANDA:EUR_USD``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, text

from tickerpulse.domain import Trade
from tickerpulse.markets import minute_volatility, trades_at
from tickerpulse.sources._sim_text import ANNUAL_VOL, START_PRICES

CRYPTO_EXCHANGES = frozenset({"BINANCE", "COINBASE", "KRAKEN", "BITSTAMP", "GEMINI"})
FX_VENUES = frozenset({"OANDA", "FXCM", "FOREX", "FXPRO", "IC MARKETS"})
CRYPTO_QUOTES = ("USDT", "USDC", "BUSD", "USD")
EQUITY_CLASSES = ("stock", "etf", "index")
MINUTE_MS = 60_000


@dataclass(frozen=True)
class LiveAnchor:
    """Where one feed symbol's simulated trades start and how much they move."""

    symbol: str
    asset_class: str
    price: float
    sigma_minute: float
    """Standard deviation of a 1-minute log return."""


def feed_symbol_class(symbol: str) -> str:
    """The calendar class of a Finnhub symbol: crypto and FX by venue, else US equity."""
    venue, _, _ = symbol.rpartition(":")
    if venue.upper() in CRYPTO_EXCHANGES:
        return "crypto"
    if venue.upper() in FX_VENUES:
        return "fx"
    return "stock"


def feed_symbol_base(symbol: str) -> str:
    """The universe symbol behind a feed symbol (``BINANCE:BTCUSDT`` → ``BTC``)."""
    name = symbol.rpartition(":")[2].replace("_", "").replace("/", "").upper()
    if feed_symbol_class(symbol) == "crypto":
        for quote in CRYPTO_QUOTES:
            if name.endswith(quote) and len(name) > len(quote):
                return name[: -len(quote)]
    return name


def market_closed(symbol: str, moment: datetime) -> bool:
    """Whether the market of a feed symbol is out of session at ``moment``."""
    return not trades_at(feed_symbol_class(symbol), moment)


def candidate_asset_ids(symbol: str) -> list[str]:
    """The asset ids a feed symbol may stand for, most likely first."""
    cls, base = feed_symbol_class(symbol), feed_symbol_base(symbol)
    classes = EQUITY_CLASSES if cls == "stock" else (cls,)
    return [f"{c}:{base}" for c in classes]


def load_anchors(engine: Engine, symbols: Sequence[str]) -> list[LiveAnchor]:
    """Each symbol's last published close and its class's 1-minute volatility.

    A symbol without a published close starts at the simulator's start price of
    its asset (100 when the simulator does not know it either).
    """
    wanted = {s: candidate_asset_ids(s) for s in symbols}
    ids = sorted({i for c in wanted.values() for i in c})
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT DISTINCT ON (asset_id) asset_id, close FROM mart_price_window"
                " WHERE asset_id = ANY(:ids) ORDER BY asset_id, window_start DESC"
            ),
            {"ids": ids},
        ).all()
    closes = {r[0]: float(r[1]) for r in rows}
    anchors = []
    for symbol, candidates in wanted.items():
        found = next((i for i in candidates if i in closes), None)
        cls = found.split(":", 1)[0] if found else feed_symbol_class(symbol)
        price = closes[found] if found else START_PRICES.get(feed_symbol_base(symbol), 100.0)
        anchors.append(LiveAnchor(symbol, cls, price, minute_volatility(cls, ANNUAL_VOL[cls])))
    return anchors


def world_trades(
    anchors: Sequence[LiveAnchor], *, start_ms: int, rate: float, seed: int = 7
) -> Iterator[Trade | None]:
    """An endless seeded stream of ``rate`` ticks per event-time second from ``start_ms``.

    Each tick is a trade of one symbol whose market is open at that instant, or
    ``None`` when every market is closed (the pace of event time is kept, so the
    replay stays at wall-clock time through a weekend). A symbol's log price takes
    a step with standard deviation σ_min·√(minutes since its last trade), so its
    1-minute returns have the anchor's volatility however many symbols share the rate.
    """
    if not anchors or rate <= 0:
        raise ValueError("world trades need symbols and a positive rate")
    rng = random.Random(seed)
    prices = {a.symbol: a.price for a in anchors}
    tick_ms = 1000.0 / rate
    minute, open_now = -1, list(anchors)
    n = 0
    while True:
        ts_ms = start_ms + int(n * tick_ms)
        n += 1
        if ts_ms // MINUTE_MS != minute:
            minute = ts_ms // MINUTE_MS
            moment = datetime.fromtimestamp(minute * 60, UTC)
            open_now = [a for a in anchors if trades_at(a.asset_class, moment)]
        if not open_now:
            yield None
            continue
        anchor = open_now[rng.randrange(len(open_now))]
        sigma = anchor.sigma_minute * math.sqrt(len(open_now) * tick_ms / MINUTE_MS)
        prices[anchor.symbol] *= math.exp(rng.gauss(0.0, sigma) - 0.5 * sigma * sigma)
        price = prices[anchor.symbol]
        yield Trade(
            symbol=anchor.symbol,
            price=round(price, 6 if price < 10 else 4),
            ts_ms=ts_ms,
            volume=float(rng.randint(1, 500)),
            conditions=("1",) if rng.random() < 0.1 else (),
        )
