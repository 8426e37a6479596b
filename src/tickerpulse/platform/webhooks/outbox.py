"""A user's webhook endpoint and the deliveries owed to it, in Postgres.

Alerts become a :class:`~tickerpulse.db.platform.WebhookDelivery` row in the
same transaction that stores the alert events, so a crash can lose neither;
:mod:`tickerpulse.platform.webhooks.delivery` sends the rows and records each attempt.
One delivery per user and window (``event_key``), like the e-mail summary.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from tickerpulse.config import Settings
from tickerpulse.db.platform import AlertWebhook, WebhookDelivery
from tickerpulse.domain import WINDOW, Window
from tickerpulse.platform.webhooks import signing
from tickerpulse.platform.webhooks.targets import (
    Resolver,
    TargetPolicy,
    check_target,
    system_resolver,
)

DELIVERIES_SHOWN = 20
EVENT_TYPE = "alerts.fired"
TEST_EVENT_TYPE = "webhook.test"


def policy_of(settings: Settings) -> TargetPolicy:
    """Private addresses and plain HTTP only in the demo or with ``WEBHOOK_ALLOW_PRIVATE``."""
    private = settings.webhook_allow_private or settings.demo_mode
    return TargetPolicy(allow_private=private, allow_http=private)


@dataclass(frozen=True)
class FiredAlert:
    """One alert of a delivery, as the JSON carries it."""

    rule_id: int
    asset_id: str
    kind: str
    condition: str
    value: float
    message: str


@dataclass(frozen=True)
class DeliveryRow:
    """A delivery as the webhook page lists it."""

    delivery_id: int
    event: str
    created_at: datetime
    attempts: int
    last_status: int | None
    last_error: str | None
    delivered_at: datetime | None
    gave_up_at: datetime | None
    next_attempt_at: datetime

    @property
    def state(self) -> str:
        """delivered, failed (given up) or pending."""
        if self.delivered_at is not None:
            return "delivered"
        return "failed" if self.gave_up_at is not None else "pending"


def webhook_of(session: Session, *, user_id: int) -> AlertWebhook | None:
    """The user's endpoint, if they set one."""
    return session.get(AlertWebhook, user_id)


def save_endpoint(
    session: Session,
    *,
    user_id: int,
    url: str,
    site_key: bytes,
    policy: TargetPolicy,
    now: datetime,
    resolver: Resolver = system_resolver,
) -> str | None:
    """Check and save the user's endpoint URL (the caller commits).

    Args:
        session: An open session.
        user_id: Whose endpoint.
        url: The URL as typed.
        site_key: ``SECRET_KEY``, which signing secrets derive from.
        policy: Which targets the site allows.
        now: The current time.
        resolver: Host name resolution (the system's by default).

    Returns:
        The new signing secret when the user had no endpoint (shown once), else None:
        changing the URL keeps the secret.

    Raises:
        TargetError: If the URL may not be called (with the reason).
    """
    target = check_target(url, policy, resolver)
    webhook = session.get(AlertWebhook, user_id)
    if webhook is not None:
        webhook.url, webhook.updated_at = target.url, now
        return None
    nonce = signing.new_nonce()
    session.add(
        AlertWebhook(user_id=user_id, url=target.url, secret_nonce=nonce, created_at=now,
                     updated_at=now)
    )  # fmt: skip
    return signing.derive_secret(site_key, user_id, nonce)


def rotate_secret(session: Session, *, user_id: int, site_key: bytes, now: datetime) -> str | None:
    """A new signing secret for the user's endpoint (the old one stops at once); None if none."""
    webhook = session.get(AlertWebhook, user_id)
    if webhook is None:
        return None
    webhook.secret_nonce, webhook.updated_at = signing.new_nonce(), now
    return signing.derive_secret(site_key, user_id, webhook.secret_nonce)


def remove_endpoint(session: Session, *, user_id: int) -> bool:
    """Forget the user's endpoint and drop the deliveries still owed to it."""
    webhook = session.get(AlertWebhook, user_id)
    if webhook is None:
        return False
    session.delete(webhook)
    pending = select(WebhookDelivery).where(
        WebhookDelivery.user_id == user_id,
        WebhookDelivery.delivered_at.is_(None),
        WebhookDelivery.gave_up_at.is_(None),
    )
    for delivery in session.scalars(pending):
        session.delete(delivery)
    return True


def alerts_body(
    *, delivery_type: str, window_start: datetime | None, alerts: Sequence[FiredAlert],
    alerts_url: str, sent_for: datetime,
) -> str:  # fmt: skip
    """The JSON a delivery posts (compact, keys in a fixed order)."""
    window = None
    if window_start is not None:
        window = {
            "start": window_start.isoformat().replace("+00:00", "Z"),
            "end": (window_start + WINDOW).isoformat().replace("+00:00", "Z"),
            "label": str(Window(window_start)),
        }
    document = {
        "type": delivery_type,
        "created": sent_for.isoformat().replace("+00:00", "Z"),
        "window": window,
        "alerts": [asdict(a) for a in alerts],
        "alerts_url": alerts_url,
    }
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


def enqueue_window(
    session: Session,
    *,
    window_start: datetime,
    alerts_by_user: Mapping[int, Iterable[FiredAlert]],
    alerts_url: str,
    now: datetime,
) -> int:
    """Owe each user with an endpoint one delivery of their new alerts in a window.

    Args:
        session: The session storing the alert events (the caller commits both).
        window_start: The window the alerts fired in.
        alerts_by_user: Each entitled user's new alerts.
        alerts_url: Where users read their alerts on the site.
        now: The current time.

    Returns:
        How many deliveries were added (a re-run of the window adds none).
    """
    users = [u for u, fired in alerts_by_user.items() if fired]
    if not users:
        return 0
    with_endpoint = set(
        session.scalars(select(AlertWebhook.user_id).where(AlertWebhook.user_id.in_(users)))
    )
    rows = [
        {
            "user_id": user_id,
            "event_key": f"alerts:{user_id}:{window_start.isoformat()}",
            "body": alerts_body(
                delivery_type=EVENT_TYPE,
                window_start=window_start,
                alerts=list(alerts_by_user[user_id]),
                alerts_url=alerts_url,
                sent_for=now,
            ),
            "created_at": now,
            "attempts": 0,
            "next_attempt_at": now,
        }
        for user_id in users
        if user_id in with_endpoint
    ]
    if not rows:
        return 0
    added = session.scalars(
        insert(WebhookDelivery)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["event_key"])
        .returning(WebhookDelivery.delivery_id)
    )
    return len(list(added))


def enqueue_test(session: Session, *, user_id: int, alerts_url: str, now: datetime) -> bool:
    """Owe the user a test delivery (no alerts) to check their endpoint.

    Returns:
        False without an endpoint or while an earlier test is still owed (one at a
        time, so the button cannot make the site flood an endpoint).
    """
    if session.get(AlertWebhook, user_id) is None:
        return False
    d = WebhookDelivery
    waiting = select(d.delivery_id).where(
        d.user_id == user_id, d.event_key.startswith("test:"), d.delivered_at.is_(None),
        d.gave_up_at.is_(None),
    )  # fmt: skip
    if session.scalars(waiting).first() is not None:
        return False
    body = alerts_body(
        delivery_type=TEST_EVENT_TYPE, window_start=None, alerts=[], alerts_url=alerts_url,
        sent_for=now,
    )  # fmt: skip
    session.add(
        WebhookDelivery(
            user_id=user_id, event_key=f"test:{user_id}:{now.isoformat()}", body=body,
            created_at=now, attempts=0, next_attempt_at=now,
        )
    )  # fmt: skip
    return True


def recent_deliveries(
    session: Session, *, user_id: int, limit: int = DELIVERIES_SHOWN
) -> list[DeliveryRow]:
    """The user's newest deliveries with what happened to each."""
    d = WebhookDelivery
    rows = session.scalars(
        select(d).where(d.user_id == user_id).order_by(d.delivery_id.desc()).limit(limit)
    )
    return [
        DeliveryRow(
            r.delivery_id, r.event_key.split(":", 1)[0], r.created_at, r.attempts, r.last_status,
            r.last_error, r.delivered_at, r.gave_up_at, r.next_attempt_at,
        )
        for r in rows
    ]  # fmt: skip
