"""A user's alert rules and alert events in the database: create, list, delete, read.

Every function takes the user's id and filters by it, so one user can never
see, delete or mark another's rules and events (a foreign id is "not found").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tickerpulse.db.models import Asset
from tickerpulse.db.platform import AlertEvent, AlertRule
from tickerpulse.platform.alerts import MAX_RULES, AlertKind, RuleError, describe, parse_rule
from tickerpulse.platform.watchlists import resolve_asset

EVENTS_SHOWN = 50


@dataclass(frozen=True)
class RuleRow:
    """A rule as the alerts page lists it."""

    rule_id: int
    asset_id: str
    symbol: str
    kind: str
    condition: str
    email: bool
    created_at: datetime


@dataclass(frozen=True)
class EventRow:
    """A fired alert as the alerts page lists it."""

    rule_id: int
    window_start: datetime
    asset_id: str
    message: str
    created_at: datetime
    unread: bool


def create_rule(
    session: Session,
    *,
    user_id: int,
    asset: str,
    kind: str,
    threshold: str,
    email: bool,
    now: datetime,
) -> AlertRule:
    """Validate and save a rule (the caller commits).

    Raises:
        RuleError: With a message for the form: unknown asset, bad threshold, duplicate, too many.
    """
    chosen, value = parse_rule(kind, threshold)
    asset_id = resolve_asset(session, asked=asset)
    if asset_id is None:
        shown = asset.strip() or "(empty)"
        raise RuleError(
            f"No asset called “{shown}”. Use a symbol such as AAPL or an id such as crypto:BTC."
        )
    mine = select(AlertRule).where(AlertRule.user_id == user_id)
    kept = session.scalar(select(func.count()).where(AlertRule.user_id == user_id)) or 0
    if kept >= MAX_RULES:
        raise RuleError(f"You can keep {MAX_RULES} rules; delete one first.")
    same = mine.where(
        AlertRule.asset_id == asset_id, AlertRule.kind == chosen.value, AlertRule.threshold == value
    )
    if session.scalars(same).first() is not None:
        raise RuleError("You already have this rule.")
    rule = AlertRule(
        user_id=user_id, asset_id=asset_id, kind=chosen.value, threshold=value, email=email,
        created_at=now,
    )  # fmt: skip
    session.add(rule)
    return rule


def list_rules(session: Session, *, user_id: int) -> list[RuleRow]:
    """The user's rules, newest first, with the asset's symbol and the condition in words."""
    rows = session.execute(
        select(AlertRule, func.coalesce(Asset.symbol, AlertRule.asset_id))
        .outerjoin(Asset, Asset.asset_id == AlertRule.asset_id)
        .where(AlertRule.user_id == user_id)
        .order_by(AlertRule.created_at.desc(), AlertRule.rule_id.desc())
    )
    return [
        RuleRow(
            rule.rule_id,
            rule.asset_id,
            symbol,
            rule.kind,
            _condition(rule),
            rule.email,
            rule.created_at,
        )
        for rule, symbol in rows
    ]


def _condition(rule: AlertRule) -> str:
    try:
        return describe(AlertKind(rule.kind), rule.threshold)
    except ValueError:
        return f"{rule.kind} ≥ {rule.threshold:g} (no longer supported)"


def delete_rule(session: Session, *, user_id: int, rule_id: int) -> bool:
    """Delete one of the user's rules and its events; False if the user has no such rule."""
    rule = session.get(AlertRule, rule_id)
    if rule is None or rule.user_id != user_id:
        return False
    session.delete(rule)
    return True


def recent_events(session: Session, *, user_id: int, limit: int = EVENTS_SHOWN) -> list[EventRow]:
    """The user's newest alert events, newest window first."""
    e = AlertEvent
    rows = session.execute(
        select(e.rule_id, e.window_start, AlertRule.asset_id, e.message, e.created_at, e.read_at)
        .join(AlertRule, AlertRule.rule_id == e.rule_id)
        .where(e.user_id == user_id)
        .order_by(e.window_start.desc(), e.rule_id)
        .limit(limit)
    )
    return [
        EventRow(rule_id, window, asset_id, message, created, read_at is None)
        for rule_id, window, asset_id, message, created, read_at in rows
    ]


def unread_count(session: Session, *, user_id: int) -> int:
    """How many of the user's alert events are not read yet (the number in the nav)."""
    return (
        session.scalar(
            select(func.count()).where(AlertEvent.user_id == user_id, AlertEvent.read_at.is_(None))
        )
        or 0
    )


def mark_all_read(session: Session, *, user_id: int, now: datetime) -> int:
    """Mark every unread event of the user read; returns how many (the caller commits)."""
    done = session.execute(
        update(AlertEvent)
        .where(AlertEvent.user_id == user_id, AlertEvent.read_at.is_(None))
        .values(read_at=now)
    )
    return int(done.rowcount)  # type: ignore[attr-defined]
