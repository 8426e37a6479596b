"""Finnhub REST: market and company news, and hourly candles for stocks, crypto and FX.

Endpoints (https://finnhub.io/docs/api), under ``FINNHUB_BASE_URL`` with the key in the
``X-Finnhub-Token`` header (never in URLs, so never in logs):

* ``GET /news?category=<general|forex|crypto|merger>&minId=<id>`` → a JSON list of
  ``{category, datetime (unix), headline, id, image, related, source, summary, url}``,
  newest first; ``minId`` returns only items with a larger id.
* ``GET /company-news?symbol=<SYM>&from=<YYYY-MM-DD>&to=<YYYY-MM-DD>`` → the same shape
  for one company; the range is whole days, so repeated calls return repeated items.
* ``GET /stock/candle``, ``/crypto/candle`` (``BINANCE:BTCUSDT``) and ``/forex/candle``
  (``OANDA:EUR_USD``) with ``resolution=60&from=<unix>&to=<unix>`` → ``{c, h, l, o, t, v,
  s}``, ``s`` being ``ok`` or ``no_data``. On the current free plan candles are premium:
  Finnhub answers 403 "You don't have access to this resource." — the source then notes
  "prices unavailable" in its cursor health and keeps landing news.
* ``GET /quote?symbol=<SYM>`` for :meth:`FinnhubSource.check`.

Limits: 60 calls per minute on the free plan (and 30 per second overall); the client
spaces requests by ``60 / FINNHUB_CALLS_PER_MINUTE`` seconds and waits out a 429.

Landed: one line per news item, context ``{"feed": "news", "category"}`` or ``{"feed":
"news", "symbol"}``; one line per candle response, untouched, context ``{"feed": "prices",
"asset_id", "symbol", "resolution": "60", "endpoint"}``. Articles and prices share the
source name ``finnhub``; the normalizer tells them apart by ``feed``.

Cursor: ``news`` → highest id landed per category; ``company`` → per symbol the first
day still asked for and the ids already landed from that day on; ``prices`` → per asset
the newest bar time landed; ``health`` → last success / error per part.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog

from tickerpulse.config import Settings
from tickerpulse.domain import PRICES_FEED, as_utc
from tickerpulse.sources.base import Cursor, Page, envelope
from tickerpulse.sources.http import (
    AuthError,
    BadResponse,
    HttpClient,
    RequestBudget,
    SourceError,
)
from tickerpulse.universe import AssetInfo, Universe, load_universe

log = structlog.get_logger(__name__)

NAME = "finnhub"
RESOLUTION = "60"
PRICE_LOOKBACK = timedelta(days=5)
COMPANY_LOOKBACK = timedelta(days=1)


def candle_request(asset: AssetInfo, crypto_exchange: str) -> tuple[str, str] | None:
    """The candle endpoint and Finnhub symbol of ``asset``; ``None`` for classes it lacks."""
    cls = str(asset.asset_class)
    if cls in {"stock", "etf"}:
        return "/stock/candle", asset.symbol
    if cls == "crypto":
        return "/crypto/candle", f"{crypto_exchange}:{asset.symbol}USDT"
    if cls == "fx" and len(asset.symbol) == 6:
        return "/forex/candle", f"OANDA:{asset.symbol[:3]}_{asset.symbol[3:]}"
    return None


def new_items(
    body: Any, *, seen: set[int], until: datetime, where: str, since: datetime | None = None
) -> list[dict[str, Any]]:
    """News items not landed before, written in ``[since, until)``, oldest first.

    Raises:
        BadResponse: When the body is not a list of items.
    """
    if not isinstance(body, list):
        raise BadResponse(f"{NAME}: {where} answered {type(body).__name__}, not a list of news")
    fresh = []
    for item in body:
        if not isinstance(item, dict) or not isinstance(item.get("id"), int):
            continue  # nothing to dedupe by; a changed shape shows in the normalizer's counts
        stamp = item.get("datetime")
        if item["id"] in seen or not isinstance(stamp, int | float):
            continue
        if stamp < until.timestamp() and (since is None or stamp >= since.timestamp()):
            fresh.append(item)
    return sorted(fresh, key=lambda i: (i["datetime"], i["id"]))


class FinnhubSource:
    """Finnhub news and candles for the configured symbols."""

    name = NAME

    def __init__(self, settings: Settings, client: HttpClient, universe: Universe) -> None:
        self.client = client
        self.base_url = settings.finnhub_base_url.rstrip("/")
        self.categories = list(settings.finnhub_news_categories)
        self.crypto_exchange = settings.finnhub_crypto_exchange
        self.assets = _assets(universe, settings.finnhub_symbols)
        self.company_symbols = [
            a.symbol for a in self.assets if str(a.asset_class) in {"stock", "etf"}
        ]
        self.now: Callable[[], datetime] = lambda: datetime.now(UTC)

    def fetch(self, since: Cursor, *, until: datetime) -> Iterator[Page]:
        """Market news, company news, then candles; one page per request that landed data."""
        until = as_utc(until)
        cursor = copy.deepcopy(since)
        for part, pages in (
            ("news", self._market_news(cursor, until)),
            ("company", self._company_news(cursor, until)),
            ("prices", self._candles(cursor, until)),
        ):
            health = cursor.setdefault("health", {})
            try:
                yield from pages
            except AuthError as exc:
                if part != "prices":
                    raise
                health["prices"] = {"last_error": f"prices unavailable for this key: {exc}"}
                log.warning("finnhub candles refused", error=str(exc))
                yield Page([], copy.deepcopy(cursor))
                continue
            health[part] = {"last_success": self.now().isoformat(), "last_error": None}
            yield Page([], copy.deepcopy(cursor))

    def check(self) -> str:
        """One quote for the first configured symbol."""
        symbol = self.company_symbols[0] if self.company_symbols else "AAPL"
        body = self.client.get_json(f"{self.base_url}/quote", params={"symbol": symbol})
        if not isinstance(body, dict) or "c" not in body:
            raise BadResponse(f"{NAME}: /quote answered without a price")
        return f"quote {symbol}: {body['c']}"

    # --- news ---------------------------------------------------------------------------------

    def _market_news(self, cursor: Cursor, until: datetime) -> Iterator[Page]:
        marks: dict[str, int] = cursor.setdefault("news", {})
        for category in self.categories:
            params: dict[str, Any] = {"category": category}
            if category in marks:
                params["minId"] = marks[category]
            body = self.client.get_json(f"{self.base_url}/news", params=params)
            mark = marks.get(category, -1)
            items = [
                i for i in new_items(body, seen=set(), until=until, where="/news") if i["id"] > mark
            ]
            if items:
                marks[category] = max(i["id"] for i in items)
            context = {"feed": "news", "category": category}
            yield Page(self._lines(items, context), copy.deepcopy(cursor))

    def _company_news(self, cursor: Cursor, until: datetime) -> Iterator[Page]:
        states: dict[str, Any] = cursor.setdefault("company", {})
        today = until.date()
        for symbol in self.company_symbols:
            state = states.get(symbol) or {
                "from": (until - COMPANY_LOOKBACK).date().isoformat(),
                "ids": [],
            }
            params = {"symbol": symbol, "from": state["from"], "to": today.isoformat()}
            body = self.client.get_json(f"{self.base_url}/company-news", params=params)
            start = datetime.fromisoformat(state["from"]).replace(tzinfo=UTC)
            items = new_items(
                body, seen=set(state["ids"]), until=until, since=start, where="/company-news"
            )
            # from now on ask from today: keep the ids landed today so repeats are dropped
            kept = [
                i["id"] for i in items if datetime.fromtimestamp(i["datetime"], UTC).date() >= today
            ]
            keep_old = state["from"] == today.isoformat()
            states[symbol] = {
                "from": today.isoformat(),
                "ids": sorted(set(kept) | (set(state["ids"]) if keep_old else set())),
            }
            context = {"feed": "news", "symbol": symbol}
            yield Page(self._lines(items, context), copy.deepcopy(cursor))

    # --- candles ------------------------------------------------------------------------------

    def _candles(self, cursor: Cursor, until: datetime) -> Iterator[Page]:
        marks: dict[str, int] = cursor.setdefault("prices", {})
        end = int(until.timestamp()) - 1
        for asset in self.assets:
            request = candle_request(asset, self.crypto_exchange)
            if request is None:
                continue
            endpoint, symbol = request
            start = marks.get(asset.asset_id, int((until - PRICE_LOOKBACK).timestamp()) - 1) + 1
            if start > end:
                continue
            params = {"symbol": symbol, "resolution": RESOLUTION, "from": start, "to": end}
            body = self.client.get_json(f"{self.base_url}{endpoint}", params=params)
            if not isinstance(body, dict) or body.get("s") not in {"ok", "no_data"}:
                raise BadResponse(f"{NAME}: {endpoint} for {symbol} is not a candle body")
            # only bars at or after ``start`` are new (a body repeating old bars lands nothing)
            times = [t for t in body.get("t") or [] if isinstance(t, int) and t >= start]
            if times:
                marks[asset.asset_id] = max(times)
            context = {
                "feed": PRICES_FEED, "asset_id": asset.asset_id, "symbol": symbol,
                "resolution": RESOLUTION, "endpoint": endpoint,
            }  # fmt: skip
            lines = [envelope(body, fetched_at=self.now(), context=context)] if times else []
            yield Page(lines, copy.deepcopy(cursor))

    def _lines(self, items: list[dict[str, Any]], context: dict[str, Any]) -> list[bytes]:
        fetched_at = self.now()
        return [envelope(item, fetched_at=fetched_at, context=context) for item in items]


def _assets(universe: Universe, symbols: list[str]) -> list[AssetInfo]:
    """Universe assets for the configured symbols (ids like ``crypto:BTC`` or bare symbols)."""
    preference = {"stock": 0, "etf": 1, "crypto": 2, "fx": 3, "index": 4}
    by_symbol: dict[str, AssetInfo] = {}
    for asset in sorted(universe, key=lambda a: preference.get(str(a.asset_class), 9)):
        by_symbol.setdefault(asset.symbol.upper(), asset)
    found = []
    for name in symbols:
        match = universe.by_id.get(name) or by_symbol.get(name.upper())
        if match is None:
            raise SourceError(f"{NAME}: FINNHUB_SYMBOLS names {name!r}, not in the universe")
        found.append(match)
    return found


def missing_credentials(settings: Settings) -> list[str]:
    """The key Finnhub needs, when unset."""
    key = settings.finnhub_api_key
    return [] if key is not None and key.get_secret_value() else ["FINNHUB_API_KEY"]


def build(settings: Settings) -> FinnhubSource:
    """A Finnhub source paced to the plan's calls per minute."""
    key = settings.finnhub_api_key
    client = HttpClient(
        NAME,
        headers={"X-Finnhub-Token": key.get_secret_value() if key is not None else ""},
        budget=RequestBudget(settings.source_request_budget),
        min_interval=60.0 / settings.finnhub_calls_per_minute,
    )
    return FinnhubSource(settings, client, load_universe(settings.universe_extra))
