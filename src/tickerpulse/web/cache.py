"""Short-lived caches: rendered pages for anonymous readers, and a generic TTL cache.

The marts change once every six hours, yet every page view re-ran its queries
and templates: ~10–40 ms of CPU and database time, so fifty readers at once
queued behind each other. :class:`TtlCache` keeps values for a few seconds,
least recently used dropped first; the page cache below, the view cache
(:mod:`tickerpulse.web.viewcache`) and the reader lookups in
:mod:`tickerpulse.web.auth` are built on it.

Rendered HTML of a GET is kept for ``PAGE_CACHE_SECONDS`` (30 s by default) per
full URL. Only requests without cookies are cached or served from the cache, so
nothing a signed-in reader sees (their tier, their e-mail in the header) can
leak to another reader.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_ENTRIES = 512
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class TtlCache(Generic[K, V]):
    """Values by key, each for ``ttl`` seconds, at most ``size`` of them."""

    def __init__(
        self, ttl: float, size: int = MAX_ENTRIES, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl, self.size, self.clock = ttl, size, clock
        self._entries: OrderedDict[K, tuple[float, V]] = OrderedDict()

    def get(self, key: K) -> V | None:
        """The fresh value under ``key``, if any."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, value = entry
        if expires <= self.clock():
            self._entries.pop(key, None)
            return None
        self._entries.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        """Keep ``value`` for ``ttl`` seconds, dropping the least recently used beyond ``size``."""
        self._entries[key] = (self.clock() + self.ttl, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        """Forget everything."""
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


@dataclass(frozen=True)
class CachedPage:
    """One rendered response."""

    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes


PageCache = TtlCache[str, CachedPage]


class PageCacheMiddleware:
    """Serve anonymous GETs of HTML pages under ``prefixes`` from a :class:`PageCache`.

    A plain ASGI middleware (no extra task per request): a hit is answered
    without entering the app; a miss records the app's 200 HTML answer as it
    is sent.
    """

    def __init__(self, app: ASGIApp, cache: PageCache, prefixes: tuple[str, ...]) -> None:
        self.app, self.cache, self.prefixes = app, cache, prefixes

    def _cacheable(self, scope: Scope) -> bool:
        if scope["type"] != "http" or scope["method"] != "GET":
            return False
        path: str = scope["path"]
        if not any(path == p or path.startswith(p + "/") for p in self.prefixes):
            return False
        return "cookie" not in Headers(scope=scope)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer from the cache, or pass the request on and keep its answer."""
        if not self._cacheable(scope):
            await self.app(scope, receive, send)
            return
        key = scope["path"] + "?" + scope["query_string"].decode("latin-1")
        hit = self.cache.get(key)
        if hit is not None:
            headers = [*hit.headers, (b"x-cache", b"hit")]
            await send({"type": "http.response.start", "status": hit.status, "headers": headers})
            await send({"type": "http.response.body", "body": hit.body})
            return
        await self.app(scope, receive, self._recording(key, send))

    def _recording(self, key: str, send: Send) -> Send:
        """A ``send`` that keeps a 200 HTML answer (marked a miss) as it goes out."""
        kept: list[tuple[int, list[tuple[bytes, bytes]]]] = []
        chunks: list[bytes] = []

        async def send_and_keep(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.get("headers", [])
                if message["status"] == 200 and b"text/html" in dict(headers).get(
                    b"content-type", b""
                ):
                    kept.append((200, list(headers)))
                    message = {**message, "headers": [*headers, (b"x-cache", b"miss")]}
            elif message["type"] == "http.response.body" and kept:
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    status, headers = kept[0]
                    self.cache.put(key, CachedPage(status, headers, b"".join(chunks)))
            await send(message)

        return send_and_keep
