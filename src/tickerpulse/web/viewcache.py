"""Views built from the marts, shared by every reader who may see the same thing.

A page's view (its rows and chart data) depends on the request's parameters
and the reader's tier, never on who the reader is, and the marts behind it
change once every six hours. :class:`ViewCache` keeps each view for
``PAGE_CACHE_SECONDS`` under a key of those parameters and the tier, builds a
missing one in a worker thread with a session of its own, and lets the
readers who ask for it while it is being built wait for that one build
instead of starting their own (200 readers arriving at once cost one query,
not 200). A stale view is answered while its rebuild runs. Everything runs on
the event loop except the build, so no lock is needed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Hashable
from typing import Any, TypeVar, cast

from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from tickerpulse.web.cache import TtlCache

T = TypeVar("T")
MAX_VIEWS = 2048
STALE_LIMIT = 10


class ViewCache:
    """Built views by key, fresh for ``ttl`` seconds (``ttl`` ≤ 0: build every time).

    A view past its ``ttl`` is still answered while one rebuild runs in the
    background (so no reader waits for a periodic rebuild), until it is
    ``STALE_LIMIT`` times ``ttl`` old; after that, or when missing, readers
    wait for the build.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        ttl: float,
        size: int = MAX_VIEWS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sessions, self.ttl, self.clock = sessions, ttl, clock
        self._views: TtlCache[Hashable, tuple[float, Any]] = TtlCache(
            ttl * STALE_LIMIT, size, clock
        )
        self._building: dict[Hashable, asyncio.Future[Any]] = {}

    async def get(self, key: Hashable, build: Callable[[Session], T]) -> T:
        """The view under ``key``, built by ``build(session)`` when missing or stale.

        Args:
            key: Everything the view depends on: its name, parameters and the tier.
            build: Builds the view from a session (runs in a worker thread).

        Returns:
            The view (shared: callers must not modify it).
        """
        if self.ttl <= 0:
            return await run_in_threadpool(self._build, build)
        kept = self._views.get(key)
        if kept is not None:
            fresh_until, view = kept
            if fresh_until <= self.clock():
                self._building_of(key, build)  # refresh behind the readers' backs
            return cast(T, view)
        # Shielded: a reader who leaves does not cancel the build the others wait for.
        return cast(T, await asyncio.shield(self._building_of(key, build)))

    def clear(self) -> None:
        """Forget every built view (the next readers rebuild them)."""
        self._views.clear()

    def _building_of(self, key: Hashable, build: Callable[[Session], T]) -> asyncio.Future[Any]:
        """The build under way for ``key``, started now if there is none."""
        building = self._building.get(key)
        if building is None:
            building = asyncio.ensure_future(run_in_threadpool(self._build, build))
            self._building[key] = building
            building.add_done_callback(lambda done: self._built(key, done))
        return building

    def _built(self, key: Hashable, done: asyncio.Future[Any]) -> None:
        self._building.pop(key, None)
        if done.cancelled() or done.exception() is not None or done.result() is None:
            return  # a failed rebuild keeps the stale view, if any
        self._views.put(key, (self.clock() + self.ttl, done.result()))

    def _build(self, build: Callable[[Session], T]) -> T:
        with self.sessions() as session:
            return build(session)
