"""The Finnhub trades websocket format, both ways — pure, no sockets.

Server → client (https://finnhub.io/docs/api/websocket-trades)::

    {"type": "trade", "data": [{"s": "AAPL", "p": 187.2, "t": 1767366000123, "v": 100,
                                "c": ["1", "12"]}, ...]}
    {"type": "ping"}
    {"type": "error", "msg": "Invalid symbol"}

Client → server: ``{"type": "subscribe", "symbol": "AAPL"}`` and the same with
``unsubscribe``. One trade record ``{"s", "p", "t", "v", "c"}`` is also what the
bus carries on ``trades.raw``, so a message read off the bus parses like one read
off the socket.

A message that is not JSON or has no ``type`` is malformed as a whole; inside a
trade message each record is checked on its own, so one bad record is rejected
and the good ones kept.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson

from tickerpulse.domain import Trade

QUARANTINE_EXCERPT = 500
"""Characters of a rejected message kept for the quarantine."""


class MalformedMessage(ValueError):
    """A message or trade record that does not follow the format."""


@dataclass(frozen=True)
class Reject:
    """Something rejected, why, and an excerpt of it for the quarantine."""

    reason: str
    excerpt: str


@dataclass(frozen=True)
class ServerMessage:
    """One parsed server message: its type, the valid trades and the rejected records."""

    type: str
    trades: list[Trade] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    error: str | None = None


def excerpt(raw: object) -> str:
    """A short printable excerpt of anything received, for quarantine and logs."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return text[:QUARANTINE_EXCERPT]


def _number(record: dict[str, Any], key: str) -> float:
    value = record.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MalformedMessage(f"{key!r} is not a number: {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise MalformedMessage(f"{key!r} is not finite: {value!r}")
    return number


_SAFE_TS_MS = 2**53
"""Integer milliseconds below this survive the trip through a float unchanged."""


def trade_from_record(record: Any) -> Trade:
    """A :class:`Trade` from one ``{"s", "p", "t", "v", "c"}`` record.

    The usual record — a symbol, finite numbers in range, integer milliseconds and
    no conditions or a list of code strings — is checked in one expression; any
    other goes through the field-by-field checks that say what is wrong.

    Raises:
        MalformedMessage: When a field is missing or out of range.
    """
    if type(record) is dict:
        symbol: Any = record.get("s")
        price: Any = record.get("p")
        ts: Any = record.get("t")
        volume: Any = record.get("v")
        codes: Any = record.get("c")
        price_type, volume_type = type(price), type(volume)
        if (
            type(symbol) is str
            and symbol
            and (price_type is float or price_type is int)
            and (volume_type is float or volume_type is int)
            and type(ts) is int
            and 0 < price < math.inf
            and 0 <= volume < math.inf
            and 0 <= ts < _SAFE_TS_MS
        ):
            if codes is None:
                return Trade(symbol, float(price), ts, float(volume))
            if type(codes) is list and all(type(c) is str for c in codes):
                return Trade(symbol, float(price), ts, float(volume), tuple(codes))
    return _checked_trade(record)


def _checked_trade(record: Any) -> Trade:
    if not isinstance(record, dict):
        raise MalformedMessage(f"a trade record is an object, not {type(record).__name__}")
    symbol = record.get("s")
    if not isinstance(symbol, str) or not symbol:
        raise MalformedMessage(f"'s' is not a symbol: {symbol!r}")
    price, ts, volume = _number(record, "p"), _number(record, "t"), _number(record, "v")
    if price <= 0:
        raise MalformedMessage(f"'p' must be positive: {price!r}")
    if volume < 0:
        raise MalformedMessage(f"'v' must not be negative: {volume!r}")
    if ts < 0 or ts != int(ts):
        raise MalformedMessage(f"'t' is not epoch milliseconds: {record.get('t')!r}")
    raw_conditions = record.get("c")
    if raw_conditions is None:
        conditions: tuple[str, ...] = ()
    elif isinstance(raw_conditions, list) and all(
        isinstance(c, str | int) and not isinstance(c, bool) for c in raw_conditions
    ):
        conditions = tuple(str(c) for c in raw_conditions)
    else:
        raise MalformedMessage(f"'c' is not a list of condition codes: {raw_conditions!r}")
    return Trade(symbol=symbol, price=price, ts_ms=int(ts), volume=volume, conditions=conditions)


def parse_server_message(raw: str | bytes) -> ServerMessage:
    """Parse one message from the server; bad trade records become rejects.

    Raises:
        MalformedMessage: When the message as a whole cannot be understood.
    """
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise MalformedMessage(f"not JSON: {exc}") from None
    if not isinstance(body, dict) or not isinstance(body.get("type"), str):
        raise MalformedMessage("not an object with a 'type'")
    kind: str = body["type"]
    if kind == "error":
        return ServerMessage(kind, error=str(body.get("msg", "")))
    if kind != "trade":
        return ServerMessage(kind)
    records = body.get("data")
    if not isinstance(records, list):
        raise MalformedMessage("a trade message without a 'data' list")
    trades, rejects = [], []
    for record in records:
        try:
            trades.append(trade_from_record(record))
        except MalformedMessage as exc:
            rejects.append(Reject(str(exc), excerpt(orjson.dumps(record))))
    return ServerMessage(kind, trades=trades, rejects=rejects)


def trade_record(trade: Trade) -> dict[str, Any]:
    """The ``{"s", "p", "t", "v", "c"}`` record of a trade."""
    return {
        "s": trade.symbol,
        "p": trade.price,
        "t": trade.ts_ms,
        "v": trade.volume,
        "c": list(trade.conditions) or None,
    }


def encode_trade(trade: Trade) -> bytes:
    """One trade as the JSON record the bus carries."""
    return orjson.dumps(trade_record(trade))


def decode_trade(value: bytes) -> Trade:
    """The trade of a bus record made by :func:`encode_trade`.

    Raises:
        MalformedMessage: When the value is not a valid trade record.
    """
    try:
        record = orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        raise MalformedMessage(f"not JSON: {exc}") from None
    return trade_from_record(record)


def trades_message(trades: Iterable[Trade]) -> str:
    """A server trade message holding ``trades`` (text, as Finnhub sends it)."""
    return orjson.dumps({"type": "trade", "data": [trade_record(t) for t in trades]}).decode()


PING_MESSAGE = orjson.dumps({"type": "ping"}).decode()


def error_message(text: str) -> str:
    """A server error message."""
    return orjson.dumps({"type": "error", "msg": text}).decode()


def subscription_message(action: str, symbol: str) -> str:
    """A client ``subscribe`` or ``unsubscribe`` message."""
    return orjson.dumps({"type": action, "symbol": symbol}).decode()


def parse_client_message(raw: str | bytes) -> tuple[str, str]:
    """The action and symbol of a client message.

    Raises:
        MalformedMessage: When it is not a subscribe or unsubscribe with a symbol.
    """
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise MalformedMessage(f"not JSON: {exc}") from None
    if not isinstance(body, dict) or body.get("type") not in {"subscribe", "unsubscribe"}:
        raise MalformedMessage("expected a subscribe or unsubscribe message")
    symbol = body.get("symbol")
    if not isinstance(symbol, str) or not symbol:
        raise MalformedMessage(f"not a symbol: {symbol!r}")
    return str(body["type"]), symbol
