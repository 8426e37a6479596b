"""Alerts after publish: the cycle stores events once per rule and window and e-mails a summary."""

import math
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from tests.integration.test_web_queries import LATEST, PREVIOUS, WINDOWS, seed_marts, stat
from tests.web_helpers import add_user
from tickerpulse.db.models import MartPriceWindow
from tickerpulse.db.platform import AlertEvent, AlertRule, EmailOutbox, Subscription
from tickerpulse.jobs.cycle import run_cycle
from tickerpulse.platform.alert_delivery import AlertDelivery, deliver_window_alerts, window_figures
from tickerpulse.sources.simulator import SimulatedWorld

from .cycle_helpers import make_context, small_world

NOW = datetime.now(UTC)


def add_rule(
    engine: Engine, user_id: int, asset_id: str, kind: str, threshold: float, email: bool = True
) -> int:
    with Session(engine) as session:
        rule = AlertRule(
            user_id=user_id, asset_id=asset_id, kind=kind, threshold=threshold, email=email,
            created_at=NOW,
        )  # fmt: skip
        session.add(rule)
        session.commit()
        return rule.rule_id


def events(engine: Engine) -> list[tuple[int, datetime, str]]:
    with Session(engine) as session:
        rows = session.execute(
            select(AlertEvent.rule_id, AlertEvent.window_start, AlertEvent.message).order_by(
                AlertEvent.window_start, AlertEvent.rule_id
            )
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def outbox(engine: Engine) -> list[tuple[str, str, str]]:
    with Session(engine) as session:
        rows = session.execute(
            select(EmailOutbox.to_addr, EmailOutbox.subject, EmailOutbox.body).order_by(
                EmailOutbox.message_id
            )
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def deliver(engine: Engine, window: datetime) -> dict[str, int]:
    return deliver_window_alerts(
        engine, window, delivery=AlertDelivery(site_url="http://t"), now=NOW
    )


@pytest.fixture
def seeded(engine: Engine) -> Engine:
    """The page tests' marts plus a week of ordinary BTC chatter and an ETH sentiment flip."""
    seed_marts(engine)
    with Session(engine) as session:
        session.add_all(stat(w, "crypto:BTC", 8 + i, 0.1) for i, w in enumerate(WINDOWS[:6]))
        session.add(stat(PREVIOUS, "crypto:ETH", 12, -0.3))
        session.commit()
    return engine


def test_window_figures_read_mentions_history_sentiment_and_return(seeded: Engine) -> None:
    with Session(seeded) as session:
        figures = window_figures(
            session, window_start=LATEST, asset_ids=["crypto:BTC", "crypto:ETH", "nope:X"]
        )
    btc, eth = figures["crypto:BTC"], figures["crypto:ETH"]
    assert set(figures) == {"crypto:BTC", "crypto:ETH"}
    assert btc.symbol == "BTC" and btc.mentions == 120 and btc.sentiment == 0.62
    assert btc.return_pct == pytest.approx(61200 / 60000 - 1)
    assert btc.mention_history[-7:] == (8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 50.0)
    assert all(math.isnan(v) for v in btc.mention_history[:-7])  # never published: unknown
    assert eth.mention_history[-7:] == (0.0,) * 6 + (12.0,)  # published without ETH: silence
    assert (eth.previous_sentiment, eth.sentiment, eth.return_pct) == (-0.3, 0.2, None)


def test_each_kind_fires_on_the_seeded_window_and_only_premium_users_get_it(
    seeded: Engine,
) -> None:
    premium = add_user(seeded, "premium@example.com", tier="premium")
    pro = add_user(seeded, "pro@example.com", tier="pro")
    fired = [
        add_rule(seeded, premium, "crypto:BTC", "mention_spike", 2.0),
        add_rule(seeded, premium, "crypto:ETH", "sentiment_flip", 0.2),
        add_rule(seeded, premium, "crypto:BTC", "price_move", 2.0),
    ]
    add_rule(seeded, premium, "crypto:BTC", "price_move", 2.1)  # a 2 % move: not enough
    add_rule(seeded, premium, "crypto:ETH", "sentiment_flip", 0.25)  # −0.3 → +0.2: too small
    add_rule(seeded, pro, "crypto:BTC", "price_move", 0.1)  # would fire, but Pro has no alerts
    counts = deliver(seeded, LATEST)
    assert counts == {
        "alert_rules": 5, "alert_rules_invalid": 0, "alert_events": 3, "alert_emails": 1,
        "alert_webhooks": 0,
    }  # fmt: skip
    assert [(rule, window) for rule, window, _ in events(seeded)] == [(r, LATEST) for r in fired]
    messages = [m for *_, m in events(seeded)]
    assert messages[1:] == [
        "ETH: sentiment turned bullish, from -0.30 to +0.20",
        "BTC: price rose 2.00 % in 6 hours",
    ]
    assert messages[0].startswith("BTC: mentions spiked to 120 (z-score")
    [(to, subject, body)] = outbox(seeded)
    assert to == "premium@example.com" and subject.startswith("tickerpulse: 3 alerts in the window")
    assert "2026-03-03 12:00–18:00 UTC" in subject and body.count("\n- ") == 3
    assert "http://t/alerts" in body


def test_rerunning_a_window_stores_and_mails_nothing_twice(seeded: Engine) -> None:
    premium = add_user(seeded, "premium@example.com", tier="premium")
    add_rule(seeded, premium, "crypto:BTC", "price_move", 1.0)
    assert deliver(seeded, LATEST)["alert_events"] == 1
    again = deliver(seeded, LATEST)
    assert (again["alert_events"], again["alert_emails"]) == (0, 0)
    assert len(events(seeded)) == 1 and len(outbox(seeded)) == 1


def test_a_lapsed_subscription_is_not_evaluated_and_rules_without_email_stay_in_app(
    seeded: Engine,
) -> None:
    lapsed = add_user(seeded, "lapsed@example.com", tier="premium")
    quiet = add_user(seeded, "quiet@example.com", tier="premium")
    add_rule(seeded, lapsed, "crypto:BTC", "price_move", 1.0)
    in_app = add_rule(seeded, quiet, "crypto:BTC", "price_move", 1.0, email=False)
    with Session(seeded) as session:
        session.execute(
            update(Subscription).where(Subscription.user_id == lapsed).values(status="canceled")
        )
        session.commit()
    counts = deliver(seeded, LATEST)
    assert (counts["alert_rules"], counts["alert_events"], counts["alert_emails"]) == (1, 1, 0)
    assert [rule for rule, *_ in events(seeded)] == [in_app] and outbox(seeded) == []


def test_an_older_window_gets_events_but_no_email_and_unknown_kinds_are_counted(
    seeded: Engine,
) -> None:
    premium = add_user(seeded, "premium@example.com", tier="premium")
    add_rule(seeded, premium, "crypto:BTC", "price_move", 0.1)  # −0.17 %
    add_rule(seeded, premium, "crypto:BTC", "moon_phase", 1.0)
    counts = deliver(seeded, PREVIOUS)  # LATEST is published: PREVIOUS is a backfill
    assert (counts["alert_events"], counts["alert_emails"], counts["alert_rules_invalid"]) == (
        1, 0, 1,
    )  # fmt: skip
    assert outbox(seeded) == []


def test_no_rules_or_no_marts_deliver_nothing(engine: Engine) -> None:
    assert deliver(engine, LATEST) == {
        "alert_rules": 0, "alert_rules_invalid": 0, "alert_events": 0, "alert_emails": 0,
        "alert_webhooks": 0,
    }  # fmt: skip
    premium = add_user(engine, "premium@example.com", tier="premium")
    add_rule(engine, premium, "crypto:BTC", "mention_spike", 1.0)
    assert deliver(engine, LATEST)["alert_events"] == 0  # no asset table, no figures


@pytest.fixture(scope="module")
def world() -> SimulatedWorld:
    return small_world()


def test_the_cycle_stores_events_and_one_email_per_window_and_a_forced_rerun_adds_none(
    engine: Engine, lake_dir: Path, world: SimulatedWorld
) -> None:
    premium = add_user(engine, "premium@example.com", tier="premium")
    pro = add_user(engine, "pro@example.com", tier="pro")
    moves = add_rule(engine, premium, "crypto:BTC", "price_move", 0.1)
    flips = add_rule(engine, premium, "crypto:BTC", "sentiment_flip", 0.0)
    add_rule(engine, pro, "crypto:BTC", "price_move", 0.1)
    ctx = make_context(engine, str(lake_dir), world)
    reports = [run_cycle(ctx, window) for window in world.windows]
    assert all(r.stages["publish"]["counts"]["alert_rules"] == 2 for r in reports)

    with Session(engine) as session:
        big_moves = set(
            session.scalars(
                select(MartPriceWindow.window_start).where(
                    MartPriceWindow.asset_id == "crypto:BTC",
                    func.abs(MartPriceWindow.return_pct) >= 0.001,
                )
            )
        )
    stored = events(engine)
    assert big_moves and {w for rule, w, _ in stored if rule == moves} == big_moves
    assert {rule for rule, *_ in stored} <= {moves, flips}
    windows_with_events = {w for _, w, _ in stored}
    mails = outbox(engine)
    assert len(mails) == len(windows_with_events)  # one per window (each was the newest)
    assert {to for to, *_ in mails} == {"premium@example.com"}

    for window in world.windows:
        report = run_cycle(ctx, window, force=True)
        assert report.stages["publish"]["counts"]["alert_events"] == 0
    assert events(engine) == stored and outbox(engine) == mails


def test_a_sentiment_shift_rule_fires_with_the_movers_pages_number(engine: Engine) -> None:
    from tests.integration.insight_world import LAST, publish_world
    from tickerpulse.db.models import MartAttention

    publish_world(engine)
    user = add_user(engine, "shift@example.com", tier="premium")
    add_rule(engine, user, "crypto:BTC", "sentiment_shift", 0.5)
    add_rule(engine, user, "stock:AAPL", "sentiment_shift", 0.5)
    assert deliver(engine, LAST)["alert_events"] == 1
    ((_, window, message),) = events(engine)
    with Session(engine) as session:
        change = session.scalar(
            select(MartAttention.sentiment_change).where(
                MartAttention.window_start == LAST, MartAttention.asset_id == "crypto:BTC"
            )
        )
    assert window == LAST and change is not None
    assert f"{abs(change):.2f} down on its 7-day mean" in message
