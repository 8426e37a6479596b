"""A short-lived cache of rendered pages for anonymous readers.

The marts change once every six hours, yet every page view re-ran its queries
and templates: ~10–15 ms of CPU, so fifty readers at once queued behind each
other. Rendered HTML of a GET is kept for ``PAGE_CACHE_SECONDS`` (30 s by default)
per full URL, at most ``MAX_ENTRIES`` pages, least recently used dropped first.

Only requests without cookies are cached or served from the cache, so nothing a
signed-in reader sees (their tier, their watchlist) can leak to another reader.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import FastAPI, Request, Response

MAX_ENTRIES = 512


@dataclass(frozen=True)
class CachedPage:
    """One rendered response and when it goes stale."""

    expires: float
    status: int
    headers: dict[str, str]
    body: bytes


class PageCache:
    """Rendered pages by URL, each for ``ttl`` seconds, at most ``size`` of them."""

    def __init__(
        self, ttl: float, size: int = MAX_ENTRIES, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl, self.size, self.clock = ttl, size, clock
        self._pages: OrderedDict[str, CachedPage] = OrderedDict()

    def get(self, key: str) -> CachedPage | None:
        """The fresh page under ``key``, if any."""
        page = self._pages.get(key)
        if page is None:
            return None
        if page.expires <= self.clock():
            del self._pages[key]
            return None
        self._pages.move_to_end(key)
        return page

    def put(self, key: str, status: int, headers: dict[str, str], body: bytes) -> None:
        """Keep a page for ``ttl`` seconds, dropping the least recently used beyond ``size``."""
        self._pages[key] = CachedPage(self.clock() + self.ttl, status, headers, body)
        self._pages.move_to_end(key)
        while len(self._pages) > self.size:
            self._pages.popitem(last=False)


def install_page_cache(app: FastAPI, ttl: float, prefixes: tuple[str, ...]) -> PageCache | None:
    """Serve anonymous GETs of HTML pages under ``prefixes`` from a :class:`PageCache`."""
    if ttl <= 0:
        return None
    cache = PageCache(ttl)

    @app.middleware("http")
    async def cached_pages(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        path = request.url.path
        if (
            request.method != "GET"
            or request.headers.get("cookie")
            or not any(path == p or path.startswith(p + "/") for p in prefixes)
        ):
            return await call_next(request)
        key = str(request.url)
        hit = cache.get(key)
        if hit is not None:
            return Response(
                hit.body, status_code=hit.status, headers={**hit.headers, "X-Cache": "hit"}
            )
        response = await call_next(request)
        if response.status_code != 200 or "text/html" not in response.headers.get(
            "content-type", ""
        ):
            return response
        body = b"".join([chunk async for chunk in response.body_iterator])  # type: ignore[attr-defined]
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        cache.put(key, response.status_code, headers, body)
        return Response(
            body, status_code=response.status_code, headers={**headers, "X-Cache": "miss"}
        )

    return cache
