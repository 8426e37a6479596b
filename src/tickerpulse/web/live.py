"""The live page's data: which symbols, the snapshot of recent bars and calls, the SSE stream.

The snapshot is read from ``live_bar``, ``live_prediction`` and ``live_model_metric``
(keyword-only queries over an explicit session); the stream then relays the
:class:`~tickerpulse.web.live_hub.LiveHub`'s notifications for the chosen symbols
as Server-Sent Events: ``snapshot`` first, then ``bar`` and ``prediction``,
a comment line as heartbeat, and an end after ``max_s`` (the browser reconnects
and gets a fresh snapshot, which also spreads clients over restarted servers).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.orm import Session

from tickerpulse.streaming.predictions import LIVE_PREDICTION_CHANNEL, OVERALL
from tickerpulse.streaming.processor import LIVE_BAR_CHANNEL
from tickerpulse.streaming.world import market_closed
from tickerpulse.web.live_hub import LiveHub

LIVE_INTERVAL_S = 60
MAX_SYMBOLS = 6
MAX_SYMBOL_LENGTH = 64
DEFAULT_SYMBOLS = 4
SNAPSHOT_BARS = 120
RETRY_MS = 3_000
EVENT_NAMES = {LIVE_BAR_CHANNEL: "bar", LIVE_PREDICTION_CHANNEL: "prediction"}


@dataclass(frozen=True)
class LiveSymbols:
    """The symbols shown, the ones on offer, and what was asked for but is not streamed."""

    chosen: list[str]
    available: list[str]
    unknown: list[str]


def active_symbols(session: Session, *, interval_s: int = LIVE_INTERVAL_S) -> list[str]:
    """Symbols with bars in the newest hour of the stream, most traded first."""
    rows = session.execute(
        text(
            "SELECT symbol FROM live_bar WHERE interval_s = :i AND bar_start >="
            " (SELECT max(bar_start) FROM live_bar WHERE interval_s = :i) - interval '1 hour'"
            " GROUP BY symbol ORDER BY sum(trades) DESC, symbol"
        ),
        {"i": interval_s},
    )
    return [r[0] for r in rows]


def choose_symbols(
    session: Session, *, asked: str | None, keep_unknown: bool = False
) -> LiveSymbols:
    """The symbols named in ``asked`` (comma-separated, any case) or the most active ones.

    With ``keep_unknown`` a name with no bars yet is kept as given (a stream may be
    opened before its symbol's first bar closes); otherwise it is listed as unknown.
    """
    available = active_symbols(session)
    if not asked:
        return LiveSymbols(available[:DEFAULT_SYMBOLS], available, [])
    by_upper = {s.upper(): s for s in available}
    chosen, unknown = [], []
    for name in dict.fromkeys(n.strip()[:MAX_SYMBOL_LENGTH] for n in asked.split(",")):
        if not name:
            continue
        found = by_upper.get(name.upper()) or (name if keep_unknown else None)
        if found is None:
            unknown.append(name)
        elif found not in chosen:
            chosen.append(found)
    return LiveSymbols(chosen[:MAX_SYMBOLS], available, unknown)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def snapshot(
    session: Session,
    *,
    symbols: list[str],
    bars: int = SNAPSHOT_BARS,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Recent 1-minute bars, the newest call and the scores of each symbol, and overall scores.

    ``closed`` lists the symbols whose market is out of session at ``now`` (default:
    the current time), by the trading calendar of :mod:`tickerpulse.markets`.
    """
    moment = now or datetime.now(UTC)
    bar_rows = session.execute(
        text(
            "SELECT symbol, bar_start, open, high, low, close, volume, vwap, trades, final"
            " FROM (SELECT *, row_number() OVER (PARTITION BY symbol ORDER BY bar_start DESC)"
            " AS age FROM live_bar WHERE interval_s = :i AND symbol = ANY(:symbols)) AS recent"
            " WHERE age <= :n ORDER BY symbol, bar_start"
        ),
        {"i": LIVE_INTERVAL_S, "symbols": symbols, "n": bars},
    ).mappings()
    out_bars: dict[str, list[dict[str, Any]]] = {s: [] for s in symbols}
    for r in bar_rows:
        out_bars[r["symbol"]].append(
            {k: v for k, v in r.items() if k != "bar_start"} | {"bar_start": _iso(r["bar_start"])}
        )
    calls = session.execute(
        text(
            "SELECT DISTINCT ON (symbol) symbol, based_on, close, prob_up FROM live_prediction"
            " WHERE interval_s = :i AND symbol = ANY(:symbols) ORDER BY symbol, based_on DESC"
        ),
        {"i": LIVE_INTERVAL_S, "symbols": symbols},
    ).mappings()
    metrics = session.execute(
        text(
            "SELECT scope, model, n, hits, flat, accuracy, log_loss, recent_accuracy, as_of"
            " FROM live_model_metric WHERE interval_s = :i AND scope = ANY(:scopes)"
        ),
        {"i": LIVE_INTERVAL_S, "scopes": [*symbols, OVERALL]},
    ).mappings()
    scores = {m["scope"]: dict(m) | {"as_of": _iso(m["as_of"])} for m in metrics}
    return {
        "symbols": symbols,
        "bars": out_bars,
        "calls": {c["symbol"]: dict(c) | {"based_on": _iso(c["based_on"])} for c in calls},
        "metrics": {s: scores.get(s) for s in symbols},
        "overall": scores.get(OVERALL),
        "closed": [s for s in symbols if market_closed(s, moment)],
    }


def sse(event: str | None, data: str) -> str:
    """One Server-Sent Event (``data`` is one line of JSON)."""
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {data}\n\n"


async def live_events(
    hub: LiveHub,
    take_snapshot: Callable[[], dict[str, Any]],
    symbols: list[str],
    *,
    heartbeat_s: float,
    max_s: float,
    listen_timeout_s: float = 5.0,
) -> AsyncIterator[str]:
    """The event stream of one client: snapshot, then bars and calls of ``symbols``.

    It subscribes before reading the snapshot, so nothing committed in between is
    missed (a bar may come twice: the page upserts by start). ``max_s`` ≤ 0 sends the
    snapshot alone and ends (for scripts and polling clients).
    """
    yield f"retry: {RETRY_MS}\n\n"
    if max_s <= 0:
        yield sse("snapshot", _json(await asyncio.to_thread(take_snapshot)))
        return
    wanted = set(symbols)
    loop = asyncio.get_running_loop()
    async with hub.subscribe() as subscriber:
        await hub.wait_listening(listen_timeout_s)
        yield sse("snapshot", _json(await asyncio.to_thread(take_snapshot)))
        deadline = loop.time() + max_s
        while not subscriber.ended:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            try:
                notice = await asyncio.wait_for(subscriber.queue.get(), min(heartbeat_s, remaining))
            except TimeoutError:
                yield ": heartbeat\n\n"
                continue
            if notice is None:
                break
            if notice.symbol in wanted and notice.interval_s == LIVE_INTERVAL_S:
                yield sse(EVENT_NAMES[notice.channel], notice.payload)
        yield sse("end", _json({"reason": subscriber.reason or "time to reconnect"}))


def _json(body: Any) -> str:
    return orjson.dumps(body).decode()
