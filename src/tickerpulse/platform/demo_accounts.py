"""The demo's accounts (one per tier, editor, admin), two posts, Premium's watchlist and rules.

Idempotent: running the demo again keeps existing accounts, posts, lists and rules.
"""

from __future__ import annotations

from datetime import UTC, datetime

from argon2 import PasswordHasher
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from tickerpulse.db.models import Asset, CycleRun
from tickerpulse.db.platform import AlertRule, EditorialPost, Subscription
from tickerpulse.platform import accounts, posts, watchlists
from tickerpulse.platform.alert_delivery import AlertDelivery, deliver_window_alerts
from tickerpulse.platform.billing import activate_subscription

DEMO_PASSWORD = "tickerpulse-demo"
DEMO_ACCOUNTS = (
    ("free@demo.tickerpulse.dev", "user", None),
    ("pro@demo.tickerpulse.dev", "user", "pro"),
    ("premium@demo.tickerpulse.dev", "user", "premium"),
    ("editor@demo.tickerpulse.dev", "editor", None),
    ("admin@demo.tickerpulse.dev", "admin", None),
)
DEMO_POSTS = (
    ("Why Bitcoin chatter leads its price, sometimes", "free", ["crypto:BTC"],
     "Social sentiment about **BTC** rose before the last two rallies.\n\n"
     "Read the relation panel on the asset page before trusting it: the interval is wide."),
    ("NVDA: what the news flow says ahead of earnings", "pro", ["stock:NVDA"],
     "Outlets **agree** more than usual on NVDA this week; see *News* for the spread."),
)  # fmt: skip


def seed_demo_accounts(engine: Engine, hasher: PasswordHasher) -> list[tuple[str, str]]:
    """Create the demo accounts and posts if missing; returns (e-mail, what it shows) pairs."""
    now = datetime.now(UTC)
    shown = []
    with Session(engine) as session:
        for email, role, tier in DEMO_ACCOUNTS:
            user = accounts.find_user(session, email)
            if user is None:
                user = accounts.create_user(
                    session, hasher, email=email, password=DEMO_PASSWORD, now=now, role=role,
                    verified=True,
                )  # fmt: skip
            if tier and session.get(Subscription, user.user_id) is None:
                activate_subscription(
                    session, user.user_id, tier=tier, provider="sandbox",
                    customer_id=f"cus_demo_{user.user_id}",
                    subscription_id=f"sub_demo_{user.user_id}", now=now,
                )  # fmt: skip
            shown.append((email, tier or (role if role != "user" else "free")))
        editor = accounts.find_user(session, DEMO_ACCOUNTS[3][0])
        for title, tier, assets, body in DEMO_POSTS:
            if session.scalars(select(EditorialPost).where(EditorialPost.title == title)).first():
                continue
            post = EditorialPost(
                author_id=None if editor is None else editor.user_id, title=title, body_md=body,
                min_tier=tier, publish_at=now, created_at=now, updated_at=now,
            )  # fmt: skip
            posts.save_post(session, post, assets=assets)
        session.commit()
    return shown


DEMO_WATCHLIST = ("crypto:BTC", "crypto:ETH", "crypto:SOL", "stock:NVDA", "stock:TSLA")
DEMO_RULES = (
    ("crypto:BTC", "price_move", 0.5),
    ("crypto:ETH", "price_move", 1.5),
    ("crypto:BTC", "sentiment_flip", 0.0),
    ("stock:NVDA", "mention_spike", 2.0),
    ("crypto:SOL", "mention_spike", 2.0),
)
DEMO_ALERT_WINDOWS = 8
"""Published windows (two days) the demo's rules are evaluated on, so alerts show at once."""


def seed_demo_alerts(engine: Engine, *, delivery: AlertDelivery) -> int:
    """Give the demo's Premium account a watchlist and rules, and evaluate the newest windows.

    The cycles ran before the account existed, so the rules are evaluated here on
    the last :data:`DEMO_ALERT_WINDOWS` published windows, oldest first; only the
    newest one's alerts are e-mailed (to the outbox), as after a real cycle. Only
    this account's rules are evaluated: other users' rules (accounts made while
    the demo ran before a restart) are the cycles' business, and their alerts
    are neither stored nor counted here.

    Args:
        engine: The demo's database, with the cycles published and the accounts seeded.
        delivery: The tier matrix and site URL, as the cycle would use them.

    Returns:
        How many alert events of the Premium demo account the evaluation stored
        (0 when run again).
    """
    now = datetime.now(UTC)
    with Session(engine) as session:
        user = accounts.find_user(session, DEMO_ACCOUNTS[2][0])
        if user is None:
            return 0
        demo_user_id = user.user_id
        known = set(session.scalars(select(Asset.asset_id)))
        for asset_id in (a for a in DEMO_WATCHLIST if a in known):
            watchlists.add(session, user_id=user.user_id, asked=asset_id, now=now)
        has_rules = session.scalar(select(func.count()).where(AlertRule.user_id == user.user_id))
        if not has_rules:
            session.add_all(
                AlertRule(
                    user_id=user.user_id, asset_id=asset_id, kind=kind, threshold=threshold,
                    email=True, created_at=now,
                )
                for asset_id, kind, threshold in DEMO_RULES
                if asset_id in known
            )  # fmt: skip
        session.commit()
        windows = session.scalars(
            select(CycleRun.window_start)
            .where(CycleRun.stage == "publish", CycleRun.status == "ok")
            .order_by(CycleRun.window_start.desc())
            .limit(DEMO_ALERT_WINDOWS)
        ).all()
    return sum(
        deliver_window_alerts(engine, window, delivery=delivery, now=now, user_id=demo_user_id)[
            "alert_events"
        ]
        for window in reversed(windows)
    )
