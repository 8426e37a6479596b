"""How uvicorn serves the app: slow clients are cut off, proxies are believed only when trusted.

uvicorn times out an idle kept-alive connection but not a client that sends
its request headers a byte at a time (each byte restarts nothing: the timer
is only armed after a response). :class:`HeaderDeadlineProtocol` gives every
request ``WEB_HEADER_TIMEOUT_SECONDS`` for its headers and closes the
connection after that. Bodies are bounded in the app (:mod:`tickerpulse.web.edge`).
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from tickerpulse.config import Settings

MAX_HEADER_BYTES = 16 * 1024


class HeaderDeadlineProtocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for each request's headers.

    The deadline is armed when the connection opens and again when a response
    ends (the next request's headers start then); when it passes while the
    client is still sending headers, the connection is closed.
    """

    header_timeout_s = 10.0
    """Seconds per request's headers; :func:`protocol_with_deadline` makes other values."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:  # noqa: D102
        super().connection_made(transport)  # type: ignore[arg-type]
        self._arm_header_deadline()

    def on_response_complete(self) -> None:  # noqa: D102
        super().on_response_complete()
        self._arm_header_deadline()

    def connection_lost(self, exc: Exception | None) -> None:  # noqa: D102
        if self._header_deadline is not None:
            self._header_deadline.cancel()
        super().connection_lost(exc)

    def _arm_header_deadline(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
        self._header_deadline = self.loop.call_later(self.header_timeout_s, self._headers_late)

    def _headers_late(self) -> None:
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()  # still no complete request line and headers


def protocol_with_deadline(seconds: float) -> type[HeaderDeadlineProtocol]:
    """:class:`HeaderDeadlineProtocol` with another header deadline (one process only)."""
    return type("HeaderDeadlineProtocol", (HeaderDeadlineProtocol,), {"header_timeout_s": seconds})


def server_options(settings: Settings, *, workers: int = 1) -> dict[str, Any]:
    """Keyword arguments for ``uvicorn.run``/``uvicorn.Config`` that make serving safe.

    With several workers uvicorn passes the protocol to new processes by name,
    so they use the class's own deadline; :func:`tickerpulse.web.app.app_from_env`
    sets it from the settings in each.
    """
    protocol: type[HeaderDeadlineProtocol] = (
        protocol_with_deadline(settings.web_header_timeout_seconds)
        if workers == 1
        else HeaderDeadlineProtocol
    )
    return {
        "http": protocol,
        "h11_max_incomplete_event_size": MAX_HEADER_BYTES,
        "timeout_keep_alive": 5,
        "proxy_headers": True,
        "forwarded_allow_ips": settings.web_trusted_proxies,
        "server_header": False,
    }
