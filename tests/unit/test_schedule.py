"""Which windows the scheduler runs: the one that just closed, plus missed and failed ones."""

from datetime import UTC, datetime, timedelta

from tickerpulse.domain import Window
from tickerpulse.jobs.schedule import RetryPolicy, due_windows

NOW = datetime(2026, 3, 4, 12, 7, tzinfo=UTC)  # 12:00 window is open; 06:00 just closed
HORIZON = timedelta(hours=48)


def starts(windows: list[Window]) -> list[str]:
    return [w.key for w in windows]


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


def test_a_fresh_install_runs_only_the_last_closed_window() -> None:
    assert starts(due_windows(NOW, {}, horizon=HORIZON)) == ["20260304T06"]


def test_windows_missed_while_down_are_caught_up_oldest_first() -> None:
    outcomes = {at(3, 12): True, at(3, 6): True}
    assert starts(due_windows(NOW, outcomes, horizon=HORIZON)) == [
        "20260303T18", "20260304T00", "20260304T06",
    ]  # fmt: skip


def test_a_failed_window_is_retried_but_never_windows_before_the_first_run() -> None:
    outcomes = {at(3, 18): False, at(4, 0): True, at(4, 6): True}
    assert starts(due_windows(NOW, outcomes, horizon=HORIZON)) == ["20260303T18"]


def test_nothing_older_than_the_horizon_is_caught_up() -> None:
    outcomes = {at(1, 0): True, at(1, 6): False}
    due = due_windows(NOW, outcomes, horizon=timedelta(hours=12))
    assert starts(due) == ["20260304T00", "20260304T06"]


def test_nothing_is_due_when_the_last_closed_window_is_published() -> None:
    assert due_windows(NOW, {at(4, 6): True}, horizon=HORIZON) == []


def test_retry_waits_grow_geometrically() -> None:
    assert RetryPolicy(attempts=3, first_wait_seconds=30, factor=4).waits() == [30, 120]
    assert RetryPolicy(attempts=1).waits() == []
