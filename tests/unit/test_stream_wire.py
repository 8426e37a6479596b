import pytest
from hypothesis import example, given
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


# What a record's fields may hold on the wire, good and bad alike.
field_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**60), max_value=2**60),
    st.floats(),  # NaN and infinities included
    st.text(max_size=3),
    st.lists(st.one_of(st.text(max_size=2), st.integers(), st.booleans()), max_size=3),
)
records = st.fixed_dictionaries(
    {},
    optional={
        "s": st.one_of(st.text(max_size=5), field_values),
        "p": field_values,
        "t": st.one_of(st.integers(min_value=0, max_value=2**55), field_values),
        "v": field_values,
        "c": field_values,
    },
)


def _outcome(read: object, record: object) -> object:
    try:
        return read(record)  # type: ignore[operator]
    except MalformedMessage:
        return "malformed"


@given(st.one_of(records, field_values))
@example({"s": "AAPL", "p": 187.2, "t": 1767366000123, "v": 100, "c": ["1", "12"]})
@example({"s": "AAPL", "p": 187, "t": 1767366000123, "v": 0.5, "c": None})
@example({"s": "AAPL", "p": 187.2, "t": 2**53, "v": 1})
@example({"s": "AAPL", "p": 187.2, "t": 1767366000123.0, "v": 1, "c": [1, "2"]})
@example({"s": "AAPL", "p": True, "t": 1, "v": 1})
@example({"s": "AAPL", "p": 1.0, "t": 1, "v": -0.0})
def test_the_quick_check_of_usual_records_agrees_with_the_field_by_field_one(
    record: object,
) -> None:
    from tickerpulse.streaming.wire import _checked_trade, trade_from_record

    assert _outcome(trade_from_record, record) == _outcome(_checked_trade, record)
