"""After a window is published: evaluate the alert rules, store what fired, e-mail a summary.

The cycle's publish stage calls :func:`deliver_window_alerts` once the marts of
a window are in. Only rules of users whose tier includes alerts *now* are
evaluated. Events are keyed by rule and window and inserted with ``ON
CONFLICT DO NOTHING``, so a re-run of the window stores nothing twice, and
only events new in this run are e-mailed: one message per user, and only
for the newest published window, so backfilling old windows fills the
in-app history without flooding inboxes. Users with a webhook endpoint are
owed one delivery for the same new events (:mod:`tickerpulse.platform.webhooks`).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import structlog
from sqlalchemy import Engine, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from tickerpulse.analytics.signals import Z_LOOKBACK
from tickerpulse.config import Settings
from tickerpulse.db.models import Asset, MartAssetWindow, MartPriceWindow
from tickerpulse.db.platform import AlertEvent, AlertRule, Subscription, User
from tickerpulse.db.state import last_published
from tickerpulse.domain import WINDOW
from tickerpulse.platform import alerts, mail
from tickerpulse.platform.accounts import reader_tier
from tickerpulse.platform.alerts import AlertKind, AssetFigures, Rule, Trigger
from tickerpulse.platform.tiers import DEFAULT_MATRIX, Feature, TierMatrix
from tickerpulse.platform.webhooks.fired import queue_webhooks

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class AlertDelivery:
    """What the cycle needs to deliver alerts: who may have them and where the site is."""

    matrix: TierMatrix = field(default_factory=lambda: TierMatrix(DEFAULT_MATRIX))
    site_url: str = "http://127.0.0.1:8000"

    @classmethod
    def from_settings(cls, settings: Settings) -> AlertDelivery:
        """The tier matrix (with ``TIER_OVERRIDES``) and public URL the web app uses too."""
        return cls(
            matrix=TierMatrix.from_overrides(settings.tier_overrides),
            site_url=settings.site_url,
        )


@dataclass(frozen=True)
class _Recipient:
    email: str
    wants_email: bool


def deliver_window_alerts(
    engine: Engine,
    window_start: datetime,
    *,
    delivery: AlertDelivery,
    now: datetime,
    user_id: int | None = None,
) -> dict[str, int]:
    """Evaluate every entitled rule on a published window; store and e-mail the new triggers.

    Args:
        engine: The database holding the marts and the platform tables.
        window_start: The window just published.
        delivery: Who may have alerts and the site's address for the e-mail link.
        now: The current time (for subscriptions' validity and ``created_at``).
        user_id: Only this user's rules (the demo seeding its own account); every
            user's when None, as after a cycle.

    Returns:
        Counts: rules evaluated, rules skipped for an unknown kind, new events, e-mails and
        webhook deliveries queued.
    """
    with Session(engine) as session:
        rules, recipients, invalid = _entitled_rules(
            session, matrix=delivery.matrix, now=now, user_id=user_id
        )
        counts = {"alert_rules": len(rules), "alert_rules_invalid": invalid}
        if not rules:
            return {**counts, "alert_events": 0, "alert_emails": 0, "alert_webhooks": 0}
        figures = window_figures(
            session, window_start=window_start, asset_ids={r.asset_id for r in rules}
        )
        triggers = alerts.evaluate_rules(rules, figures)
        new = _store_events(session, window_start, triggers, now=now)
        emails = hooks = 0
        newest = last_published(engine)
        if new and (newest is None or window_start >= newest):
            emails = _queue_emails(session, window_start, new, recipients, delivery, now=now)
            hooks = queue_webhooks(
                session, window_start, new, matrix=delivery.matrix,
                alerts_url=f"{delivery.site_url.rstrip('/')}/alerts", now=now,
            )  # fmt: skip
        session.commit()
    counts |= {"alert_events": len(new), "alert_emails": emails, "alert_webhooks": hooks}
    report = log.info if new else log.debug  # quiet in the demo's hundreds of cycles
    report("alerts delivered", window=window_start.isoformat(), **counts)
    return counts


def _entitled_rules(
    session: Session, *, matrix: TierMatrix, now: datetime, user_id: int | None = None
) -> tuple[list[Rule], dict[int, _Recipient], int]:
    """Rules of users whose tier includes alerts now, their recipients, and unknown-kind count."""
    query = (
        select(AlertRule, User, Subscription)
        .join(User, User.user_id == AlertRule.user_id)
        .outerjoin(Subscription, Subscription.user_id == AlertRule.user_id)
        .order_by(AlertRule.user_id, AlertRule.rule_id)
    )
    if user_id is not None:
        query = query.where(AlertRule.user_id == user_id)
    rows = session.execute(query)
    rules: list[Rule] = []
    recipients: dict[int, _Recipient] = {}
    invalid = 0
    for saved, user, subscription in rows:
        if not matrix.allows(reader_tier(user, subscription, now=now), Feature.ALERTS):
            continue
        try:
            kind = AlertKind(saved.kind)
        except ValueError:
            invalid += 1  # counted, not fatal: one bad row must not stop everyone's alerts
            log.warning("alert rule of unknown kind", rule_id=saved.rule_id, kind=saved.kind)
            continue
        rules.append(Rule(saved.rule_id, saved.user_id, saved.asset_id, kind, saved.threshold))
        recipients[saved.rule_id] = _Recipient(user.email, saved.email)
    return rules, recipients, invalid


def window_figures(
    session: Session, *, window_start: datetime, asset_ids: Iterable[str]
) -> dict[str, AssetFigures]:
    """The figures the rules need for some assets in one window, from the marts.

    Mentions and sentiment count every source (``all``/``all`` rows). The
    mention history covers the :data:`Z_LOOKBACK` windows before: a window that
    was published without the asset counts as 0 mentions, one never published
    as unknown.

    Args:
        session: An open database session.
        window_start: The window evaluated.
        asset_ids: The assets some rule watches.

    Returns:
        Figures per asset id that exists in the ``asset`` table.
    """
    ids = sorted(set(asset_ids))
    first = window_start - Z_LOOKBACK * WINDOW
    m, p = MartAssetWindow, MartPriceWindow
    every_source = (m.source_class == "all", m.source == "all")
    published = set(
        session.scalars(
            select(m.window_start)
            .distinct()
            .where(m.window_start >= first, m.window_start < window_start, *every_source)
        )
    )
    rows = session.execute(
        select(m.asset_id, m.window_start, m.mentions, m.sentiment_mean)
        .where(m.asset_id.in_(ids), m.window_start >= first, m.window_start <= window_start)
        .where(*every_source)
    )
    stats = {(asset_id, start): (n, tone) for asset_id, start, n, tone in rows}
    returns = dict(
        session.execute(
            select(p.asset_id, p.return_pct).where(
                p.window_start == window_start, p.asset_id.in_(ids)
            )
        ).all()
    )
    symbols = session.execute(select(Asset.asset_id, Asset.symbol).where(Asset.asset_id.in_(ids)))
    history_windows = [first + i * WINDOW for i in range(Z_LOOKBACK)]
    figures = {}
    for asset_id, symbol in symbols:
        history = tuple(
            float(stats.get((asset_id, w), (0, None))[0]) if w in published else math.nan
            for w in history_windows
        )
        tones = tuple(stats.get((asset_id, w), (0, None))[1] for w in history_windows)
        mentions, sentiment = stats.get((asset_id, window_start), (0, None))
        _, previous = stats.get((asset_id, window_start - WINDOW), (0, None))
        figures[asset_id] = AssetFigures(
            asset_id=asset_id,
            symbol=symbol,
            mentions=mentions,
            mention_history=history,
            sentiment=sentiment,
            previous_sentiment=previous,
            return_pct=returns.get(asset_id),
            sentiment_history=tones,
        )
    return figures


def _store_events(
    session: Session, window_start: datetime, triggers: list[Trigger], *, now: datetime
) -> list[Trigger]:
    """Insert the triggers' events; returns the triggers whose event did not exist yet."""
    if not triggers:
        return []
    rows = [
        {
            "rule_id": t.rule.rule_id,
            "window_start": window_start,
            "user_id": t.rule.user_id,
            "message": t.message,
            "created_at": now,
        }
        for t in triggers
    ]
    statement = (
        insert(AlertEvent)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["rule_id", "window_start"])
        .returning(AlertEvent.rule_id)
    )
    inserted = set(session.scalars(statement))
    return [t for t in triggers if t.rule.rule_id in inserted]


def _queue_emails(
    session: Session,
    window_start: datetime,
    new: list[Trigger],
    recipients: dict[int, _Recipient],
    delivery: AlertDelivery,
    *,
    now: datetime,
) -> int:
    """One summary e-mail per user, over their new triggers whose rule asks for e-mail."""
    per_user: dict[str, list[Trigger]] = defaultdict(list)
    for trigger in new:
        recipient = recipients[trigger.rule.rule_id]
        if recipient.wants_email:
            per_user[recipient.email].append(trigger)
    alerts_url = f"{delivery.site_url.rstrip('/')}/alerts"
    for address, triggers in per_user.items():
        subject, body = alerts.summary_email(window_start, triggers, alerts_url=alerts_url)
        mail.enqueue(session, to=address, subject=subject, body=body, now=now)
    return len(per_user)
