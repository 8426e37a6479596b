"""Alpha Vantage: news with its own sentiment, and price series, within a daily request budget.

Endpoint: ``GET {ALPHAVANTAGE_BASE_URL}?function=...&apikey=...`` (https://www.alphavantage.co/
documentation/). Functions used:

* ``NEWS_SENTIMENT`` (``tickers`` such as ``AAPL,CRYPTO:BTC,FOREX:EUR``, ``time_from`` as
  ``YYYYMMDDTHHMM``, ``sort=EARLIEST``, ``limit=1000``) → ``{"feed": [{title, url,
  time_published "20260302T101500", summary, source, topics, overall_sentiment_score,
  overall_sentiment_label, ticker_sentiment: [{ticker, relevance_score,
  ticker_sentiment_score, ticker_sentiment_label}]}]}``. Items land untouched, so Alpha
  Vantage's own scores stay beside ours (:func:`av_ticker_sentiment` reads them).
* ``TIME_SERIES_INTRADAY`` (``interval=60min``) for stocks and ETFs (timestamps in the
  ``Time Zone`` of its ``Meta Data``, US/Eastern); ``DIGITAL_CURRENCY_DAILY``
  (``market=USD``) for crypto and ``FX_DAILY`` for currency pairs, the intraday variants
  of those two being premium.

Free plan: 25 requests per day. The budget is kept in the cursor (``budget: {day, used}``,
UTC days), so restarts do not reset it; every request counts, failed ones too. Each run
spends a fair share of what is left today (left ÷ runs left today), news first, then
price series for assets in priority order: most mentioned in the last 7 days first
(from the marts), the configured ``ALPHAVANTAGE_SYMBOLS`` order otherwise.

Limits come back as HTTP 200 with a JSON ``Note`` or ``Information`` body: the source
stops for the rest of the UTC day (budget marked spent) and records the text in its
health. An ``Error Message`` body fails that request only. The key travels as a query
parameter: errors carry URLs without their query, so it is never logged.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import structlog

from tickerpulse.config import Settings
from tickerpulse.domain import PRICES_FEED, WINDOW, as_utc
from tickerpulse.sources.base import Cursor, Page, envelope
from tickerpulse.sources.http import BadResponse, HttpClient, RequestBudget, SourceError
from tickerpulse.universe import AssetInfo, Universe, load_universe

log = structlog.get_logger(__name__)

NAME = "alphavantage"
NEWS_TICKERS = 5
_STAMP = "%Y%m%dT%H%M"


class LimitReached(SourceError):
    """Alpha Vantage answered with a Note/Information body: no more calls today."""


def av_ticker(asset: AssetInfo) -> str | None:
    """Alpha Vantage's news ticker for ``asset`` (``AAPL``, ``CRYPTO:BTC``, ``FOREX:EUR``)."""
    cls = str(asset.asset_class)
    if cls in {"stock", "etf"}:
        return asset.symbol
    if cls == "crypto":
        return f"CRYPTO:{asset.symbol}"
    if cls == "fx" and len(asset.symbol) == 6:
        return f"FOREX:{asset.symbol[:3]}"
    return None


def series_request(asset: AssetInfo) -> dict[str, str] | None:
    """Query parameters of the price series of ``asset`` on the free plan, if any."""
    cls = str(asset.asset_class)
    if cls in {"stock", "etf"}:
        return {"function": "TIME_SERIES_INTRADAY", "symbol": asset.symbol, "interval": "60min"}
    if cls == "crypto":
        return {"function": "DIGITAL_CURRENCY_DAILY", "symbol": asset.symbol, "market": "USD"}
    if cls == "fx" and len(asset.symbol) == 6:
        return {
            "function": "FX_DAILY",
            "from_symbol": asset.symbol[:3],
            "to_symbol": asset.symbol[3:],
        }
    return None


def av_ticker_sentiment(item: dict[str, Any]) -> list[dict[str, Any]]:
    """Alpha Vantage's own per-ticker relevance and sentiment of one news item."""
    rows = []
    for entry in item.get("ticker_sentiment") or []:
        if not isinstance(entry, dict) or not isinstance(entry.get("ticker"), str):
            continue
        try:
            rows.append(
                {
                    "ticker": entry["ticker"],
                    "relevance": float(entry["relevance_score"]),
                    "score": float(entry["ticker_sentiment_score"]),
                    "label": str(entry.get("ticker_sentiment_label", "")),
                }
            )
        except (KeyError, TypeError, ValueError):
            continue
    return rows


def runs_left_today(now: datetime) -> int:
    """Six-hour runs still to come today, this one included (1–4)."""
    return 4 - now.hour // 6


def check_body(response: httpx.Response) -> float | None:
    """Raise on Alpha Vantage's in-body limit and error answers (they come with HTTP 200)."""
    if response.status_code != 200 or not response.content.lstrip().startswith(b"{"):
        return None
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return None
    if isinstance(body, dict):
        for key in ("Note", "Information"):
            if isinstance(body.get(key), str):
                raise LimitReached(f"{NAME}: {body[key]}")
        if isinstance(body.get("Error Message"), str):
            raise SourceError(f"{NAME}: {body['Error Message']}")
    return None


class AlphaVantageSource:
    """News and price series within the persisted daily budget."""

    name = NAME

    def __init__(
        self,
        settings: Settings,
        client: HttpClient,
        universe: Universe,
        priority: Callable[[], list[str]],
    ) -> None:
        key = settings.alphavantage_api_key
        self.api_key = key.get_secret_value() if key is not None else ""
        self.base_url = settings.alphavantage_base_url
        self.daily_budget = settings.alphavantage_daily_budget
        self.universe = universe
        self.configured = [_asset(universe, name) for name in settings.alphavantage_symbols]
        self.priority = priority
        self.client = client
        client.set_response_check(check_body)
        self.now: Callable[[], datetime] = lambda: datetime.now(UTC)

    def fetch(self, since: Cursor, *, until: datetime) -> Iterator[Page]:
        """News, then price series by priority, while this run's share of the budget lasts."""
        until = as_utc(until)
        cursor = copy.deepcopy(since)
        now = self.now()
        budget = cursor.get("budget") or {}
        if budget.get("day") != now.date().isoformat():
            budget = {"day": now.date().isoformat(), "used": 0}
        cursor["budget"] = budget
        share = math.ceil((self.daily_budget - budget["used"]) / runs_left_today(now))
        assets = self._ordered_assets()
        calls: list[tuple[str, Callable[[Cursor], list[bytes]]]] = [
            ("news", lambda c: self._news(c, assets, until))
        ]
        calls += [(a.asset_id, self._series_call(a, until)) for a in assets if series_request(a)]
        health: dict[str, Any] = cursor.setdefault("health", {})
        for part, call in calls[: max(share, 0)]:
            if budget["used"] >= self.daily_budget:
                break
            budget["used"] += 1
            try:
                lines = call(cursor)
            except LimitReached as exc:
                budget["used"] = self.daily_budget
                health["limit"] = {"day": budget["day"], "message": str(exc)}
                log.warning("alphavantage limit reached", message=str(exc))
                yield Page([], copy.deepcopy(cursor))
                return
            except (BadResponse, SourceError) as exc:
                health[part] = {"last_error": str(exc)}
                yield Page([], copy.deepcopy(cursor))
                continue
            health[part] = {"last_success": now.isoformat(), "last_error": None}
            yield Page(lines, copy.deepcopy(cursor))

    def check(self) -> str:
        """One tiny news call; says how much of today's budget that leaves (per this process)."""
        body = self._get({"function": "NEWS_SENTIMENT", "limit": "1", "tickers": "AAPL"})
        if not isinstance(body, dict) or not isinstance(body.get("feed"), list):
            raise BadResponse(f"{NAME}: NEWS_SENTIMENT answered without a feed")
        return f"news feed answered ({len(body['feed'])} item); free plan: 25 requests/day"

    # --- the calls ----------------------------------------------------------------------------

    def _news(self, cursor: Cursor, assets: list[AssetInfo], until: datetime) -> list[bytes]:
        state = cursor.setdefault("news", {})
        start = state.get("time_from") or (until - WINDOW).strftime(_STAMP)
        tickers = [t for t in (av_ticker(a) for a in assets) if t][:NEWS_TICKERS]
        query = {"tickers": ",".join(tickers)}
        params = {"function": "NEWS_SENTIMENT", "time_from": start, "sort": "EARLIEST",
                  "limit": "1000", **query}  # fmt: skip
        body = self._get(params)
        feed = body.get("feed") if isinstance(body, dict) else None
        if not isinstance(feed, list):
            raise BadResponse(f"{NAME}: NEWS_SENTIMENT answered without a feed list")
        seen = set(state.get("boundary_urls", []))
        start_time = datetime.strptime(start, _STAMP).replace(tzinfo=UTC)
        fresh = []
        for item in feed:
            stamp = item.get("time_published") if isinstance(item, dict) else None
            if not isinstance(stamp, str) or item.get("url") in seen:
                continue
            try:
                published = datetime.strptime(stamp[:13], _STAMP).replace(tzinfo=UTC)
            except ValueError:
                continue
            if start_time <= published < until:
                fresh.append((published, item))
        if fresh:
            newest = max(p for p, _ in fresh)
            mark = newest.strftime(_STAMP)
            at_mark = {i["url"] for p, i in fresh if p.strftime(_STAMP) == mark}
            # time_from is inclusive to the minute: remember what was landed at that minute
            keep = seen if mark == start else set()
            state.update(time_from=mark, boundary_urls=sorted(at_mark | keep))
        fetched_at = self.now()
        context = {"feed": "news", "query": query}
        return [envelope(item, fetched_at=fetched_at, context=context) for _, item in fresh]

    def _series_call(self, asset: AssetInfo, until: datetime) -> Callable[[Cursor], list[bytes]]:
        def call(cursor: Cursor) -> list[bytes]:
            params = series_request(asset) or {}
            body = self._get(params)
            if not isinstance(body, dict) or not any(k.startswith("Time Series") for k in body):
                raise BadResponse(f"{NAME}: {params['function']} for {asset.symbol} has no series")
            context = {
                "feed": PRICES_FEED, "asset_id": asset.asset_id,
                "function": params["function"], "interval": params.get("interval", "daily"),
            }  # fmt: skip
            cursor.setdefault("prices", {})[asset.asset_id] = until.isoformat()
            return [envelope(body, fetched_at=self.now(), context=context)]

        return call

    def _get(self, params: dict[str, str]) -> Any:
        return self.client.get_json(self.base_url, params={**params, "apikey": self.api_key})

    def _ordered_assets(self) -> list[AssetInfo]:
        ranked = [self.universe.by_id[i] for i in self.priority() if i in self.universe.by_id]
        seen = {a.asset_id for a in ranked}
        return ranked + [a for a in self.configured if a.asset_id not in seen]


def _asset(universe: Universe, name: str) -> AssetInfo:
    if name in universe.by_id:
        return universe.by_id[name]
    for cls in ("stock", "etf", "crypto", "fx", "index"):
        if f"{cls}:{name.upper()}" in universe.by_id:
            return universe.by_id[f"{cls}:{name.upper()}"]
    raise SourceError(f"{NAME}: ALPHAVANTAGE_SYMBOLS names {name!r}, not in the universe")


def missing_credentials(settings: Settings) -> list[str]:
    """The key Alpha Vantage needs, when unset."""
    key = settings.alphavantage_api_key
    return [] if key is not None and key.get_secret_value() else ["ALPHAVANTAGE_API_KEY"]


def build(settings: Settings) -> AlphaVantageSource:
    """The source, its priority read from the marts of ``DATABASE_URL`` (or embedded Postgres)."""
    from tickerpulse.db.engine import make_engine, resolve_database_url
    from tickerpulse.db.marts import most_mentioned

    def priority() -> list[str]:
        engine = make_engine(resolve_database_url(settings))
        try:
            return most_mentioned(engine, days=7)
        finally:
            engine.dispose()

    client = HttpClient(
        NAME, budget=RequestBudget(settings.source_request_budget), min_interval=1.0
    )
    return AlphaVantageSource(settings, client, load_universe(settings.universe_extra), priority)
