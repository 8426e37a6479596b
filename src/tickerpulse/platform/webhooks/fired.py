"""From a window's new alert triggers to the webhook deliveries owed for them.

Called by the alert delivery after it stores a window's events, in the same
transaction: only users whose plan includes alerts by webhook *now* and who
have an endpoint get a delivery.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tickerpulse.db.platform import AlertWebhook, Subscription, User
from tickerpulse.platform.accounts import reader_tier
from tickerpulse.platform.alerts import Trigger, describe
from tickerpulse.platform.tiers import Feature, TierMatrix
from tickerpulse.platform.webhooks.outbox import FiredAlert, enqueue_window


def queue_webhooks(
    session: Session,
    window_start: datetime,
    new: Sequence[Trigger],
    *,
    matrix: TierMatrix,
    alerts_url: str,
    now: datetime,
) -> int:
    """One delivery per entitled user with an endpoint over their new triggers; how many."""
    users = {t.rule.user_id for t in new}
    if not users:
        return 0
    rows = session.execute(
        select(User, Subscription)
        .join(AlertWebhook, AlertWebhook.user_id == User.user_id)
        .outerjoin(Subscription, Subscription.user_id == User.user_id)
        .where(User.user_id.in_(users))
    )
    entitled = {
        user.user_id
        for user, subscription in rows
        if matrix.allows(reader_tier(user, subscription, now=now), Feature.ALERT_WEBHOOKS)
    }
    per_user: dict[int, list[FiredAlert]] = defaultdict(list)
    for t in new:
        if t.rule.user_id in entitled:
            per_user[t.rule.user_id].append(
                FiredAlert(
                    rule_id=t.rule.rule_id, asset_id=t.rule.asset_id, kind=t.rule.kind.value,
                    condition=describe(t.rule.kind, t.rule.threshold), value=round(t.value, 6),
                    message=t.message,
                )
            )  # fmt: skip
    return enqueue_window(
        session, window_start=window_start, alerts_by_user=per_user, alerts_url=alerts_url,
        now=now,
    )  # fmt: skip
