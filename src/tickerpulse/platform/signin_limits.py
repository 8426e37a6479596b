"""How long a sign-in must wait after failures: doubling delays, never a lock on the owner.

A hard lock after N failures lets anyone lock anyone out. Instead failures
are counted per (address, IP) and per IP; past a few free ones each next try
from there must wait 1 s, 2 s, 4 s… (capped) after the last failure. The owner
signing in from another IP is not slowed by an attacker's failures, and an IP
full of failures (a shared office or carrier NAT) still lets in the addresses
that signed in from it before. Addresses without an account are counted the
same way, so the waits say nothing about which addresses exist.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from tickerpulse.config import Settings
from tickerpulse.db.platform import LoginAttempt

PAIR_MEMORY = timedelta(days=1)
"""Failures of an (address, IP) pair count for a day, or until the pair signs in."""
IP_MEMORY = timedelta(hours=1)
"""Failures from an IP (any address) count for an hour."""
KNOWN_PAIR = timedelta(days=30)
"""An address that signed in from an IP this recently is spared that IP's wait."""


@dataclass(frozen=True)
class LoginLimits:
    """Free failures before waits begin, and the longest wait."""

    free_failures: int = 5
    ip_free_failures: int = 20
    max_wait_seconds: int = 900

    @classmethod
    def from_settings(cls, settings: Settings) -> LoginLimits:
        """The limits the settings ask for."""
        return cls(
            settings.login_free_failures,
            settings.login_ip_free_failures,
            settings.login_max_wait_seconds,
        )


def doubling_wait(failures: int, *, free: int, cap: int) -> int:
    """Seconds a try must wait after the last failure: 0 within ``free``, then 1, 2, 4… ≤ cap."""
    if failures < free:
        return 0
    return int(min(cap, 2 ** min(failures - free, 30)))


def seconds_to_wait(
    session: Session, *, email: str, ip: str, now: datetime, limits: LoginLimits
) -> int:
    """How many seconds this (address, IP) must still wait before its password is checked."""
    last_success = session.scalar(
        select(func.max(LoginAttempt.at)).where(
            LoginAttempt.email == email, LoginAttempt.ip == ip, LoginAttempt.succeeded.is_(True)
        )
    )
    pair_since = now - PAIR_MEMORY
    if last_success is not None:
        pair_since = max(pair_since, last_success)
    waits = [_wait(session, now, limits.free_failures, limits, pair_since, email=email, ip=ip)]
    known_here = last_success is not None and last_success >= now - KNOWN_PAIR
    if not known_here:
        waits.append(_wait(session, now, limits.ip_free_failures, limits, now - IP_MEMORY, ip=ip))
    return max(waits)


def _wait(
    session: Session,
    now: datetime,
    free: int,
    limits: LoginLimits,
    since: datetime,
    *,
    ip: str,
    email: str | None = None,
) -> int:
    """The wait left for failures since ``since`` from ``ip`` (and for ``email``, if given)."""
    query = select(func.count(), func.max(LoginAttempt.at)).where(
        LoginAttempt.ip == ip, LoginAttempt.succeeded.is_(False), LoginAttempt.at > since
    )
    if email is not None:
        query = query.where(LoginAttempt.email == email)
    failures, last = session.execute(query).one()
    wait = doubling_wait(failures, free=free, cap=limits.max_wait_seconds)
    if wait == 0 or last is None:
        return 0
    left = (last + timedelta(seconds=wait) - now).total_seconds()
    return max(0, math.ceil(left))


def forget_old_attempts(session: Session, *, now: datetime) -> None:
    """Drop attempts no limit looks at any more (failures after a day, sign-ins after 30 days)."""
    session.execute(
        delete(LoginAttempt).where(
            LoginAttempt.at < now - PAIR_MEMORY, LoginAttempt.succeeded.is_(False)
        )
    )
    session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - KNOWN_PAIR))
