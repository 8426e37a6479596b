"""The demo's accounts (one per tier, an editor and an admin) and two editorial posts.

Idempotent: running the demo again keeps existing accounts and posts.
"""

from __future__ import annotations

from datetime import UTC, datetime

from argon2 import PasswordHasher
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from tickerpulse.db.platform import EditorialPost, Subscription
from tickerpulse.web import accounts, posts
from tickerpulse.web.billing import activate_subscription

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
