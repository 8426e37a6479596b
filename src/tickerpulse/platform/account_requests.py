"""Limits on the forms that send e-mail or make accounts: per IP (429) and per address (silent).

Every sign-up, reset and confirmation request is logged with its IP and the
digest of the address asked about, whether or not an account has it. An IP
over its hourly budget is told to wait (``Retry-After``); an address past its
hourly number of e-mails simply gets no more, with the same answer as before,
so the cap reveals nothing about which addresses have accounts.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from tickerpulse.config import Settings
from tickerpulse.db.platform import AccountRequest
from tickerpulse.platform.crypto import digest

WINDOW = timedelta(hours=1)
SIGNUP = "signup"
RESET = "reset"
VERIFY = "verify"
MAIL_KINDS = (RESET, VERIFY)
"""Requests whose only effect is an e-mail; they share one per-IP budget."""


@dataclass(frozen=True)
class RequestLimits:
    """Hourly budgets: sign-ups per IP, e-mail requests per IP, e-mails per address."""

    signups_per_ip: int = 10
    mails_per_ip: int = 20
    mails_per_address: int = 5

    @classmethod
    def from_settings(cls, settings: Settings) -> RequestLimits:
        """The limits the settings ask for."""
        return cls(
            settings.signups_per_ip_hour,
            settings.account_mails_per_ip_hour,
            settings.account_mails_per_address_hour,
        )


def ip_wait(session: Session, *, kinds: Iterable[str], ip: str, now: datetime, limit: int) -> int:
    """Seconds until ``ip`` may make another request of ``kinds`` (0: now)."""
    recent = (
        select(AccountRequest.at)
        .where(
            AccountRequest.ip == ip[:64],
            AccountRequest.kind.in_(list(kinds)),
            AccountRequest.at > now - WINDOW,
        )
        .order_by(AccountRequest.at.desc())
    )
    # The limit-th newest request leaving the window frees one slot.
    freed_by = session.scalar(recent.offset(max(limit, 1) - 1).limit(1))
    if limit > 0 and freed_by is None:
        return 0
    if freed_by is None:
        return math.ceil(WINDOW.total_seconds())
    return max(1, math.ceil((freed_by + WINDOW - now).total_seconds()))


def record(session: Session, *, kind: str, address: str, ip: str, now: datetime) -> None:
    """Log one request (and drop those no limit looks at any more)."""
    session.execute(delete(AccountRequest).where(AccountRequest.at < now - WINDOW))
    session.add(AccountRequest(kind=kind, address_digest=digest(address), ip=ip[:64], at=now))
    session.flush()


def may_mail(session: Session, *, address: str, now: datetime, limit: int) -> bool:
    """Whether the requests for ``address`` this hour, this one included, are within ``limit``."""
    asked = session.scalar(
        select(func.count()).where(
            AccountRequest.address_digest == digest(address), AccountRequest.at > now - WINDOW
        )
    )
    return (asked or 0) <= limit
