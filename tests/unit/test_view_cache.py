"""The view cache builds a view once for readers who ask at once, and keeps only good views."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session, sessionmaker

from tickerpulse.web.viewcache import ViewCache

SESSIONS = sessionmaker(create_engine("sqlite://"))  # sessions are opened, never queried


class Builder:
    """Counts its builds and takes a while, like a view over the marts."""

    def __init__(self, value: object = "view", error: Exception | None = None) -> None:
        self.value, self.error, self.calls = value, error, 0
        self._lock = threading.Lock()

    def __call__(self, session: Session) -> object:
        assert isinstance(session, Session)
        with self._lock:
            self.calls += 1
        time.sleep(0.05)
        if self.error is not None:
            raise self.error
        return self.value


async def ask(cache: ViewCache, build: Builder, readers: int, key: str = "k") -> list[object]:
    return list(await asyncio.gather(*(cache.get(key, build) for _ in range(readers))))


def test_readers_arriving_at_once_share_one_build_then_the_kept_view() -> None:
    cache, build = ViewCache(SESSIONS, ttl=30), Builder()
    assert asyncio.run(ask(cache, build, 50)) == ["view"] * 50
    assert build.calls == 1
    asyncio.run(ask(cache, build, 5))
    assert build.calls == 1  # still fresh
    asyncio.run(ask(cache, build, 5, key="other"))
    assert build.calls == 2  # another key is another view
    cache.clear()
    asyncio.run(ask(cache, build, 5))
    assert build.calls == 3


def test_a_failed_build_reaches_every_waiter_and_is_not_kept() -> None:
    cache, build = ViewCache(SESSIONS, ttl=30), Builder(error=RuntimeError("marts are gone"))

    async def everyone() -> list[object]:
        return list(
            await asyncio.gather(
                *(cache.get("k", build) for _ in range(10)), return_exceptions=True
            )
        )

    answers = asyncio.run(everyone())
    assert all(isinstance(a, RuntimeError) for a in answers) and build.calls == 1
    with pytest.raises(RuntimeError):
        asyncio.run(ask(cache, build, 1))
    assert build.calls == 2


def test_missing_views_are_not_kept_and_no_ttl_builds_every_time() -> None:
    cache, missing = ViewCache(SESSIONS, ttl=30), Builder(value=None)
    asyncio.run(ask(cache, missing, 3))
    asyncio.run(ask(cache, missing, 1))
    assert missing.calls == 2  # an unknown asset is asked again, not remembered
    uncached, build = ViewCache(SESSIONS, ttl=0), Builder()
    asyncio.run(ask(uncached, build, 4))
    assert build.calls == 4


def test_a_reader_who_leaves_does_not_cancel_the_build_others_wait_for() -> None:
    cache, build = ViewCache(SESSIONS, ttl=30), Builder()

    async def one_leaves() -> object:
        leaver = asyncio.ensure_future(cache.get("k", build))
        stayer = asyncio.ensure_future(cache.get("k", build))
        await asyncio.sleep(0.01)
        leaver.cancel()
        return await stayer

    assert asyncio.run(one_leaves()) == "view" and build.calls == 1


def test_a_stale_view_is_answered_while_one_rebuild_runs_behind() -> None:
    now = [0.0]
    cache = ViewCache(SESSIONS, ttl=30, clock=lambda: now[0])
    first, second = Builder("old"), Builder("new")

    async def story() -> list[object]:
        seen = [await cache.get("k", first)]
        now[0] = 31  # stale now
        seen += await asyncio.gather(*(cache.get("k", second) for _ in range(5)))
        await asyncio.sleep(0.2)  # the rebuild finishes
        seen.append(await cache.get("k", second))
        now[0] = 31 + 30 * 10 + 1  # too old to answer: readers wait for a build
        seen.append(await cache.get("k", Builder("newest")))
        return seen

    assert asyncio.run(story()) == ["old"] + ["old"] * 5 + ["new", "newest"]
    assert second.calls == 1
