"""One cycle at a time, across processes and machines: a Postgres advisory lock.

The scheduler, ``cycle run`` and ``cycle backfill`` all take the same lock, so a
manual run started while the scheduled one works is refused with a clear
message instead of racing it. The lock belongs to a database session, so a
crashed process releases it when its connection closes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text

CYCLE_LOCK_KEY = 7_463_912_017  # an arbitrary 64-bit key owned by tickerpulse's cycle


class CycleLocked(RuntimeError):
    """Another process is running a cycle."""


@contextmanager
def cycle_lock(engine: Engine) -> Iterator[None]:
    """Hold the cycle lock for the ``with`` block.

    Raises:
        CycleLocked: When another session holds it.
    """
    with engine.connect() as conn:
        acquired = conn.execute(
            text("SELECT pg_try_advisory_lock(:key)"), {"key": CYCLE_LOCK_KEY}
        ).scalar_one()
        conn.commit()
        if not acquired:
            raise CycleLocked(
                "another cycle is running (it holds the Postgres advisory lock);"
                " wait for it to finish, see `tickerpulse cycle status`"
            )
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": CYCLE_LOCK_KEY})
            conn.commit()
