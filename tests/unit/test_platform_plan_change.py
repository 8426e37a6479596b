"""Plan-change arithmetic: Stripe's proration as remaining fraction × price difference."""

from datetime import UTC, datetime, timedelta

from tickerpulse.platform.plan_change import direction, prorated_cents, sandbox_period
from tickerpulse.platform.tiers import Tier

START = datetime(2026, 3, 1, tzinfo=UTC)
END = datetime(2026, 3, 31, tzinfo=UTC)


def test_an_upgrade_costs_the_remaining_fraction_of_the_price_difference() -> None:
    assert prorated_cents(1900, 4900, START, END, START) == 3000
    assert prorated_cents(1900, 4900, START, END, START + timedelta(days=15)) == 1500
    assert prorated_cents(1900, 4900, START, END, START + timedelta(days=20)) == 1000
    assert prorated_cents(1900, 4900, START, END, END) == 0


def test_moments_outside_the_period_are_clamped_and_empty_periods_cost_nothing() -> None:
    assert prorated_cents(1900, 4900, START, END, START - timedelta(days=3)) == 3000
    assert prorated_cents(1900, 4900, START, END, END + timedelta(days=3)) == 0
    assert prorated_cents(1900, 4900, END, START, START) == 0


def test_direction_between_plans() -> None:
    assert direction(Tier.PRO, Tier.PREMIUM) == "upgrade"
    assert direction(Tier.PREMIUM, Tier.PRO) == "downgrade"
    assert direction(Tier.PRO, Tier.PRO) is None


def test_the_sandbox_period_is_thirty_days_ending_at_the_known_end() -> None:
    assert sandbox_period(END, START) == (END - timedelta(days=30), END)
    start, end = sandbox_period(None, START)  # unknown or past: a fresh period from now
    assert (start, end) == (START, START + timedelta(days=30))
    assert sandbox_period(START - timedelta(days=1), START) == (START, START + timedelta(days=30))
