import pytest
from hypothesis import given
from hypothesis import strategies as st

from tickerpulse.domain import Trade
from tickerpulse.streaming.wire import (
    MalformedMessage,
    decode_trade,
    encode_trade,
    parse_client_message,
    parse_server_message,
    subscription_message,
    trades_message,
)

trades = st.builds(
    Trade,
    symbol=st.text(min_size=1, max_size=20),
    price=st.floats(min_value=1e-9, max_value=1e12, allow_nan=False, allow_infinity=False),
    ts_ms=st.integers(min_value=0, max_value=2**53),
    volume=st.floats(min_value=0, max_value=1e12, allow_nan=False, allow_infinity=False),
    conditions=st.lists(st.text(max_size=3), max_size=4).map(tuple),
)


@given(st.lists(trades, max_size=10))
def test_a_trade_message_round_trips(batch: list[Trade]) -> None:
    parsed = parse_server_message(trades_message(batch))
    assert (parsed.type, parsed.trades, parsed.rejects) == ("trade", batch, [])


@given(trades)
def test_a_bus_record_round_trips(trade: Trade) -> None:
    assert decode_trade(encode_trade(trade)) == trade


def test_the_documented_finnhub_example_parses() -> None:
    raw = '{"data":[{"p":7296.89,"s":"BINANCE:BTCUSDT","t":1575526691134,"v":0.011467}],"type":"trade"}'
    (trade,) = parse_server_message(raw).trades
    assert trade == Trade("BINANCE:BTCUSDT", 7296.89, 1575526691134, 0.011467, ())


def test_bad_records_are_rejected_one_by_one_and_the_good_ones_kept() -> None:
    raw = (
        '{"type":"trade","data":[{"s":"AAPL","p":1.5,"t":1,"v":2,"c":["1",12]},'
        '{"s":"AAPL","p":"x","t":1,"v":2},{"s":"","p":1,"t":1,"v":1},{"s":"A","p":1,"t":1.5,"v":1},'
        '{"s":"A","p":-1,"t":1,"v":1},{"s":"A","p":1,"t":1,"v":true},7]}'
    )
    parsed = parse_server_message(raw)
    assert parsed.trades == [Trade("AAPL", 1.5, 1, 2.0, ("1", "12"))]
    assert [r.reason.split(":")[0] for r in parsed.rejects] == [
        "'p' is not a number",
        "'s' is not a symbol",
        "'t' is not epoch milliseconds",
        "'p' must be positive",
        "'v' is not a number",
        "a trade record is an object, not int",
    ]


@pytest.mark.parametrize("raw", ["not json", "[]", '{"data": []}', '{"type":"trade","data":{}}'])
def test_unusable_messages_are_malformed_as_a_whole(raw: str) -> None:
    with pytest.raises(MalformedMessage):
        parse_server_message(raw)


def test_ping_and_error_messages_carry_no_trades() -> None:
    assert parse_server_message('{"type":"ping"}').type == "ping"
    error = parse_server_message('{"type":"error","msg":"Invalid symbol"}')
    assert (error.type, error.error, error.trades) == ("error", "Invalid symbol", [])


def test_client_messages_round_trip_and_bad_ones_are_refused() -> None:
    assert parse_client_message(subscription_message("subscribe", "AAPL")) == ("subscribe", "AAPL")
    assert parse_client_message(subscription_message("unsubscribe", "X")) == ("unsubscribe", "X")
    for bad in ['{"type":"subscribe"}', '{"type":"buy","symbol":"A"}', "{"]:
        with pytest.raises(MalformedMessage):
            parse_client_message(bad)
