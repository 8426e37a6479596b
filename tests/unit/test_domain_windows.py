import itertools
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tickerpulse.domain import Window

instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@given(instants)
def test_every_instant_falls_in_exactly_one_aligned_window(ts: datetime) -> None:
    window = Window.containing(ts)
    assert window.start.hour in (0, 6, 12, 18)
    assert window.start.minute == window.start.second == window.start.microsecond == 0
    assert ts in window
    assert ts not in window.next()
    assert ts not in window.previous()


@given(instants)
def test_key_round_trips(ts: datetime) -> None:
    window = Window.containing(ts)
    assert Window.from_key(window.key) == window


def test_window_edges_are_half_open() -> None:
    start = datetime(2026, 3, 29, 0, tzinfo=UTC)  # a European DST switch day: UTC has none
    window = Window(start)
    assert start in window
    assert start + timedelta(hours=6) - timedelta(microseconds=1) in window
    assert start + timedelta(hours=6) not in window
    assert window.end - window.start == timedelta(hours=6)


def test_non_utc_input_is_converted_not_misread() -> None:
    new_york = timezone(timedelta(hours=-5))
    window = Window.containing(datetime(2026, 1, 1, 20, 30, tzinfo=new_york))
    assert window.start == datetime(2026, 1, 2, 0, tzinfo=UTC)


def test_misaligned_start_and_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="not a window start"):
        Window(datetime(2026, 1, 1, 7, tzinfo=UTC))
    with pytest.raises(ValueError, match="naive"):
        Window.containing(datetime(2026, 1, 1, 7))


def test_between_lists_windows_in_order_without_gaps() -> None:
    first = datetime(2026, 1, 1, 3, tzinfo=UTC)
    last = datetime(2026, 1, 3, 0, tzinfo=UTC)
    windows = list(Window.between(first, last))
    assert windows[0].start == datetime(2026, 1, 1, 6, tzinfo=UTC)
    assert windows[-1].end == last
    assert all(a.next() == b for a, b in itertools.pairwise(windows))


def test_last_closed_window_at_a_boundary_is_the_one_just_ended() -> None:
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert Window.last_closed(now).start == datetime(2026, 1, 1, 6, tzinfo=UTC)
