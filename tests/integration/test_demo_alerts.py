"""The demo's Premium account: a watchlist, rules, and alerts to see right after the cycles."""

from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from tests.web_helpers import platform_settings
from tickerpulse.db.platform import AlertEvent, EmailOutbox, WatchlistItem
from tickerpulse.jobs.cycle import run_cycle
from tickerpulse.platform.alert_delivery import AlertDelivery
from tickerpulse.platform.crypto import password_hasher
from tickerpulse.platform.demo_accounts import DEMO_WATCHLIST, seed_demo_accounts, seed_demo_alerts

from .cycle_helpers import make_context, small_world


def count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_the_demo_premium_account_has_alerts_after_the_cycles_and_seeding_twice_adds_none(
    engine: Engine, lake_dir: Path
) -> None:
    world = small_world()
    ctx = make_context(engine, str(lake_dir), world)
    for window in world.windows:
        run_cycle(ctx, window)
    seed_demo_accounts(engine, password_hasher(platform_settings()))
    delivery = AlertDelivery(site_url="http://demo")
    fired = seed_demo_alerts(engine, delivery=delivery)
    assert fired > 0 and count(engine, AlertEvent) == fired
    assert count(engine, WatchlistItem) == len(DEMO_WATCHLIST)
    with Session(engine) as session:
        mails = session.scalars(select(EmailOutbox.to_addr)).all()
    assert set(mails) <= {"premium@demo.tickerpulse.dev"} and len(mails) <= 1  # newest window only
    assert seed_demo_alerts(engine, delivery=delivery) == 0
    assert count(engine, AlertEvent) == fired and count(engine, EmailOutbox) == len(mails)


def test_seeding_the_demo_evaluates_only_the_demo_accounts_rules(
    engine: Engine, lake_dir: Path
) -> None:
    from datetime import UTC, datetime

    from tests.web_helpers import add_user
    from tickerpulse.db.platform import AlertRule

    world = small_world()
    ctx = make_context(engine, str(lake_dir), world)
    for window in world.windows:
        run_cycle(ctx, window)
    # a reader who signed up while the demo ran before, with a rule that fires on every move
    other = add_user(engine, "trader@example.com", tier="premium")
    with Session(engine) as session:
        session.add(
            AlertRule(
                user_id=other, asset_id="crypto:BTC", kind="price_move", threshold=0.0,
                email=True, created_at=datetime.now(UTC),
            )
        )  # fmt: skip
        session.commit()
    seed_demo_accounts(engine, password_hasher(platform_settings()))
    fired = seed_demo_alerts(engine, delivery=AlertDelivery(site_url="http://demo"))
    with Session(engine) as session:
        owners = session.scalars(select(AlertEvent.user_id)).all()
        mails = session.scalars(select(EmailOutbox.to_addr)).all()
    assert fired == len(owners) and other not in owners
    assert "trader@example.com" not in mails
