"""Changing a paid plan mid-period: upgrades now with proration, downgrades at the period's end.

An upgrade takes effect at once. What it costs now is what Stripe's proration
(``proration_behavior='create_prorations'``) computes: a credit for the unused
rest of the period at the old price and a charge for the same rest at the new
price, i.e. *remaining fraction of the period × price difference*. Pro → Premium
halfway through a month costs (49 − 19) / 2 = $15, not a second $49.

A downgrade keeps the plan already paid for until the period ends and starts the
cheaper one then (in Stripe, a subscription schedule of two phases); nothing is
refunded and nothing is charged now.

In Stripe mode the calls go through the official SDK and the ``subscription``
row follows from Stripe's webhooks; the sandbox computes the same arithmetic and
sends the matching events itself (see :mod:`tickerpulse.platform.billing`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import stripe

from tickerpulse.platform.tiers import Tier

SANDBOX_PERIOD = timedelta(days=30)
"""The sandbox's billing period (Stripe's are calendar months)."""

Direction = Literal["upgrade", "downgrade"]


@dataclass(frozen=True)
class PlanChange:
    """A change of paid plan as the provider accepted it.

    Attributes:
        tier: The plan changed to.
        direction: ``upgrade`` (effective now) or ``downgrade`` (at the period's end).
        effective_at: When the new plan starts.
        amount_due_cents: What the change costs now (0 for a downgrade).
    """

    tier: Tier
    direction: Direction
    effective_at: datetime
    amount_due_cents: int


def direction(current: Tier, new: Tier) -> Direction | None:
    """Whether going from ``current`` to ``new`` is an upgrade, a downgrade or no change."""
    if new.value == current.value:
        return None
    return "upgrade" if new.value > current.value else "downgrade"


def prorated_cents(
    old_cents: int, new_cents: int, period_start: datetime, period_end: datetime, now: datetime
) -> int:
    """What an upgrade at ``now`` costs: remaining fraction of the period × price difference.

    Args:
        old_cents: The old plan's price for a whole period.
        new_cents: The new plan's price for a whole period.
        period_start: When the current (paid) period began.
        period_end: When it ends.
        now: The moment of the change (clamped into the period).

    Returns:
        Cents, rounded to the nearest cent (0 for an empty period).
    """
    total = (period_end - period_start).total_seconds()
    if total <= 0:
        return 0
    remaining = min(max((period_end - now).total_seconds(), 0.0), total)
    return round((new_cents - old_cents) * remaining / total)


def sandbox_period(period_end: datetime | None, now: datetime) -> tuple[datetime, datetime]:
    """The sandbox subscription's current period (a whole fresh one when its end is unknown)."""
    end = period_end if period_end is not None and period_end > now else now + SANDBOX_PERIOD
    return end - SANDBOX_PERIOD, end


def stripe_change_plan(
    client: stripe.StripeClient,
    *,
    subscription_id: str,
    current: Tier,
    new: Tier,
    prices: dict[Tier, str],
    plan_cents: dict[Tier, int],
    now: datetime,
) -> PlanChange:
    """Change a Stripe subscription's plan: prorated item update, or a schedule for a downgrade.

    Raises:
        stripe.StripeError: When Stripe refuses or does not answer (nothing is changed then).
        ValueError: When ``new`` is the current plan or the subscription has no period.
    """
    way = direction(current, new)
    if way is None:
        raise ValueError(f"already on {new.label}")
    subscription = client.v1.subscriptions.retrieve(subscription_id).to_dict()
    item = subscription["items"]["data"][0]
    start, end = _period(subscription, item)
    if way == "upgrade":
        client.v1.subscriptions.update(
            subscription_id,
            params={
                "items": [{"id": item["id"], "price": prices[new]}],
                "proration_behavior": "create_prorations",
                "metadata": {"tier": new.name.lower()},
            },
        )
        due = prorated_cents(plan_cents[current], plan_cents[new], start, end, now)
        return PlanChange(new, "upgrade", now, due)
    schedule = client.v1.subscription_schedules.create(
        params={"from_subscription": subscription_id}
    )
    client.v1.subscription_schedules.update(
        schedule.id,
        params={
            "end_behavior": "release",
            "phases": [
                {
                    "items": [{"price": prices[current], "quantity": 1}],
                    "start_date": int(start.timestamp()),
                    "end_date": int(end.timestamp()),
                },
                {"items": [{"price": prices[new], "quantity": 1}]},
            ],
        },
    )
    return PlanChange(new, "downgrade", end, 0)


def _period(subscription: dict[str, Any], item: dict[str, Any]) -> tuple[datetime, datetime]:
    """The current period: on the item in recent API versions, on the subscription before."""
    start = item.get("current_period_start") or subscription.get("current_period_start")
    end = item.get("current_period_end") or subscription.get("current_period_end")
    if not isinstance(start, int) or not isinstance(end, int):
        raise ValueError("the Stripe subscription has no current period")
    return datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(end, UTC)
