"""Read-only queries for the asset page's lead-lag and event-study charts.

Kept apart from :mod:`tickerpulse.web.queries` (already the page queries'
home and long enough); same habits: an explicit session, keyword filters,
parametrised selects, plain rows of :mod:`tickerpulse.web.records` back.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tickerpulse.db.models import MartRelationEvent, MartRelationLag
from tickerpulse.web.records import EventRow, LagRow


def asset_lead_lag(session: Session, *, asset_id: str, signal: str = "sentiment") -> list[LagRow]:
    """The asset's published correlation of ``signal`` with returns per lag, social first."""
    m = MartRelationLag
    stmt = (
        select(m.source_class, m.lag, m.r, m.ci_low, m.ci_high, m.n, m.q_value)
        .where(m.asset_id == asset_id, m.signal == signal)
        .order_by(m.source_class.desc(), m.lag)
    )
    return [LagRow(**row) for row in session.execute(stmt).mappings()]


def asset_event_study(session: Session, *, asset_id: str) -> list[EventRow]:
    """The asset's published mean CAR around spikes, per class, event type and τ."""
    m = MartRelationEvent
    stmt = (
        select(m.source_class, m.event_type, m.tau, m.mean_car, m.ci_low, m.ci_high,
               m.n_events, m.p_value)
        .where(m.asset_id == asset_id)
        .order_by(m.source_class.desc(), m.event_type, m.tau)
    )  # fmt: skip
    return [EventRow(**row) for row in session.execute(stmt).mappings()]
