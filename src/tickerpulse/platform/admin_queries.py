"""What the admin console reads: users by plan, sign-ups, revenue, usage, posts (last 30 days)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tickerpulse.db.platform import EditorialPost, Payment, Subscription, UsageDaily, User
from tickerpulse.platform.accounts import effective_tier
from tickerpulse.platform.billing import PLAN_PRICE_CENTS
from tickerpulse.platform.tiers import Tier

DAYS = 30


@dataclass(frozen=True)
class UserRow:
    """A user as the console lists them."""

    email: str
    role: str
    tier: Tier
    status: str | None
    created_at: datetime
    verified: bool


@dataclass(frozen=True)
class Console:
    """The console's figures."""

    users: list[UserRow]
    by_tier: dict[Tier, int]
    monthly_revenue_cents: int
    revenue_30d_cents: int
    signups: list[tuple[datetime, float]]
    revenue: list[tuple[datetime, float]]
    usage: dict[str, list[tuple[datetime, float]]]
    posts: int
    scheduled_posts: int


def console(session: Session, *, now: datetime) -> Console:
    """Gather the console over the last :data:`DAYS` days."""
    since = now - timedelta(days=DAYS)
    rows = session.execute(
        select(User, Subscription)
        .outerjoin(Subscription, Subscription.user_id == User.user_id)
        .order_by(User.created_at.desc())
    ).all()
    users = [
        UserRow(
            email=u.email, role=u.role, tier=effective_tier(s, now=now),
            status=None if s is None else s.status, created_at=u.created_at,
            verified=u.email_verified_at is not None,
        )
        for u, s in rows
    ]  # fmt: skip
    by_tier = {t: sum(1 for u in users if u.tier == t and u.role == "user") for t in Tier}
    day = func.date_trunc("day", User.created_at)
    signups = session.execute(
        select(day, func.count()).where(User.created_at >= since).group_by(day).order_by(day)
    ).all()
    pay_day = func.date_trunc("day", Payment.at)
    revenue = session.execute(
        select(pay_day, func.sum(Payment.amount_cents))
        .where(Payment.at >= since)
        .group_by(pay_day)
        .order_by(pay_day)
    ).all()
    usage: dict[str, list[tuple[datetime, float]]] = defaultdict(list)
    for d, kind, n in session.execute(
        select(UsageDaily.day, UsageDaily.kind, func.sum(UsageDaily.requests))
        .where(UsageDaily.day >= since.date())
        .group_by(UsageDaily.day, UsageDaily.kind)
        .order_by(UsageDaily.day)
    ):
        usage["API calls" if kind == "api" else "page views"].append((_midnight(d), float(n)))
    posts = session.scalar(select(func.count()).select_from(EditorialPost)) or 0
    scheduled = session.scalar(select(func.count()).where(EditorialPost.publish_at > now)) or 0
    return Console(
        users=users[:100],
        by_tier=by_tier,
        monthly_revenue_cents=sum(PLAN_PRICE_CENTS.get(t, 0) * n for t, n in by_tier.items()),
        revenue_30d_cents=int(sum(v for _, v in revenue)),
        signups=[(d, float(n)) for d, n in signups],
        revenue=[(d, v / 100) for d, v in revenue],
        usage=dict(usage),
        posts=posts,
        scheduled_posts=scheduled,
    )


def _midnight(d: date) -> datetime:
    return datetime.combine(d, time(0), tzinfo=UTC)
