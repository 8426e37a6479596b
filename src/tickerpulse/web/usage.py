"""Counting requests: an ASGI middleware that tells the usage recorder what each request served.

The counts and their batched writes to ``usage_daily`` are
:mod:`tickerpulse.platform.usage`'s; this module only reads the route
template and the reader off each request.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tickerpulse.platform.usage import UsageRecorder

SKIPPED_PREFIXES = ("/static", "/metrics", "/healthz")


class UsageMiddleware:
    """Count every page view and API call by the route template that served it.

    A plain ASGI middleware: it reads the route and the reader the app left in
    the request's scope once the answer has started.
    """

    def __init__(self, app: ASGIApp, recorder: UsageRecorder) -> None:
        self.app, self.recorder = app, recorder

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on and count it once its answer starts."""
        if scope["type"] != "http" or scope["path"].startswith(SKIPPED_PREFIXES):
            await self.app(scope, receive, send)
            return

        async def send_and_count(message: Message) -> None:
            if message["type"] == "http.response.start":
                self._count(scope, Headers(raw=message["headers"]).get("x-cache") == "hit")
            await send(message)

        await self.app(scope, receive, send_and_count)

    def _count(self, scope: Scope, cached: bool) -> None:
        template = _route_template(scope, cached)
        api = scope["path"].startswith("/api/")
        viewer = scope.get("state", {}).get("viewer")
        self.recorder.record(
            user_id=0 if viewer is None else viewer.user_id,
            route=("/api/v1" + template) if api and not template.startswith("/api") else template,
            kind="api" if api else "page",
        )


def _route_template(scope: Scope, cached: bool) -> str:
    """The path template that served the request (``/asset/{asset_id}``), also for cache hits."""
    route = scope.get("route")
    if route is not None:
        return str(getattr(route, "path", "unmatched"))
    if cached:
        for candidate in scope["app"].router.routes:
            match, _ = candidate.matches(scope)
            if match == Match.FULL:
                return str(getattr(candidate, "path", "unmatched"))
    return "unmatched"
