from datetime import UTC, datetime

import pytest

from tickerpulse.domain import Window
from tickerpulse.markets import asset_class_of, expected_hourly_bars, trades_in_hour


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_crypto_never_closes_and_equities_keep_weekday_sessions() -> None:
    saturday, monday_night, monday_afternoon = (
        utc(2026, 3, 7, 15),
        utc(2026, 3, 2, 3),
        utc(2026, 3, 2, 15),
    )
    assert trades_in_hour("crypto", saturday) and trades_in_hour("crypto", monday_night)
    assert not trades_in_hour("stock", saturday) and not trades_in_hour("stock", monday_night)
    assert trades_in_hour("stock", monday_afternoon) and trades_in_hour("etf", monday_afternoon)


def test_the_equity_session_follows_new_york_daylight_saving() -> None:
    # winter (EST, UTC-5): 09:30-16:00 is 14:30-21:00 UTC -> hours 14..20
    winter = [h for h in range(24) if trades_in_hour("stock", utc(2026, 1, 14, h))]
    # summer (EDT, UTC-4): 13:30-20:00 UTC -> hours 13..19
    summer = [h for h in range(24) if trades_in_hour("stock", utc(2026, 7, 15, h))]
    assert winter == list(range(14, 21)) and summer == list(range(13, 20))


def test_fx_trades_from_sunday_to_friday_at_five_in_new_york() -> None:
    assert not trades_in_hour("fx", utc(2026, 3, 7, 12))  # Saturday
    assert not trades_in_hour("fx", utc(2026, 1, 11, 21))  # Sunday 16:00 EST
    assert trades_in_hour("fx", utc(2026, 1, 11, 22))  # Sunday 17:00 EST
    assert trades_in_hour("fx", utc(2026, 1, 16, 21))  # Friday 16:00 EST
    assert not trades_in_hour("fx", utc(2026, 1, 16, 22))  # Friday 17:00 EST


def test_expected_bars_per_window() -> None:
    afternoon = Window.containing(utc(2026, 1, 14, 12))  # 12:00-18:00 UTC, Wednesday
    assert expected_hourly_bars("crypto", afternoon) == 6
    assert expected_hourly_bars("stock", afternoon) == 4  # 14, 15, 16, 17
    assert expected_hourly_bars("stock", Window.containing(utc(2026, 1, 17, 12))) == 0  # Saturday
    assert asset_class_of("fx:EURUSD") == "fx"


def test_unknown_asset_class_is_refused() -> None:
    with pytest.raises(ValueError, match="no trading calendar"):
        trades_in_hour("bond", utc(2026, 1, 14, 15))


def test_the_instant_calendar_opens_at_0930_new_york_and_closes_at_1600() -> None:
    from tickerpulse.markets import trades_at, trades_in_window

    # Monday 2026-12-07, EST: 14:30-21:00 UTC
    assert not trades_at("stock", utc(2026, 12, 7, 14, 29))
    assert trades_at("stock", utc(2026, 12, 7, 14, 30)) and trades_at(
        "etf", utc(2026, 12, 7, 20, 59)
    )
    assert not trades_at("stock", utc(2026, 12, 7, 21, 0))
    assert not trades_at("stock", utc(2026, 12, 6, 1, 40)) and trades_at(
        "crypto", utc(2026, 12, 6, 1, 40)
    )
    assert not trades_at("fx", utc(2026, 12, 5, 12)) and trades_at("fx", utc(2026, 12, 6, 22, 30))
    sunday_night = Window(utc(2026, 12, 6, 0))
    assert not trades_in_window("stock", sunday_night) and trades_in_window("crypto", sunday_night)
    assert trades_in_window("stock", Window(utc(2026, 12, 7, 12)))
