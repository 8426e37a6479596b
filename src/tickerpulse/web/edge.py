"""The HTTP edge: what a request must pass before it may wait for a place in the app.

:class:`EdgeGuard` is the outermost layer of the app's own stack (outside the
admission gate of :mod:`tickerpulse.web.metrics`). It

- refuses a NUL character in the path, the query or a form body (422): no
  route accepts one, and Postgres cannot store one (it would answer 500);
- reads the whole request body *before* the request is admitted, bounded in
  size (``WEB_MAX_BODY_BYTES``, 413) and in time (``WEB_BODY_TIMEOUT_SECONDS``,
  408), then replays it to the app. A client that sends its body slowly thus
  waits outside the gate and never holds one of its few places.

Header read time is bounded by the server (see :mod:`tickerpulse.web.server`).
"""

from __future__ import annotations

import asyncio
import json
from urllib.parse import unquote_to_bytes

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tickerpulse.config import Settings
from tickerpulse.web.headers import install_security_headers

FORM_TYPES = (b"application/x-www-form-urlencoded", b"multipart/form-data")


class EdgeGuard:
    """Refuse NUL characters and read the body, bounded, before the rest of the app runs."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, body_timeout_s: float) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.body_timeout_s = body_timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the request line, read the body, check the form, then pass the request on."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope["path"] or b"\x00" in unquote_to_bytes(scope["query_string"]):
            await _refuse(send, 422, "A NUL character is not allowed in a URL.")
            return
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length", b"").strip()
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            await _refuse(send, 413, f"The body is larger than {self.max_body_bytes} bytes.")
            return
        if not declared.isdigit() and b"transfer-encoding" not in headers:
            await self.app(scope, receive, send)  # no body
            return
        try:
            body = await asyncio.wait_for(self._read_body(receive), self.body_timeout_s)
        except TimeoutError:
            seconds = f"{self.body_timeout_s:g}"
            await _refuse(send, 408, f"The body did not arrive within {seconds} s.")
            return
        except _TooLarge:
            await _refuse(send, 413, f"The body is larger than {self.max_body_bytes} bytes.")
            return
        except _Disconnected:
            return
        content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        if content_type in FORM_TYPES and _form_has_nul(body, content_type):
            await _refuse(send, 422, "A NUL character is not allowed in a form.")
            return
        await self.app(scope, _replay(body, receive), send)

    async def _read_body(self, receive: Receive) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _Disconnected
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                raise _TooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


class _TooLarge(Exception):
    pass


class _Disconnected(Exception):
    pass


def _form_has_nul(body: bytes, content_type: bytes) -> bool:
    if content_type == b"multipart/form-data":  # no route takes files: a NUL is never data
        return b"\x00" in body
    return b"\x00" in unquote_to_bytes(body.replace(b"+", b" "))


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands out the body read already, then listens for a disconnect."""
    pending = [body]

    async def replayed() -> Message:
        if pending:
            return {"type": "http.request", "body": pending.pop(), "more_body": False}
        return await receive()

    return replayed


async def _refuse(send: Send, status: int, detail: str) -> None:
    """Answer with a short JSON error and close the connection (the body may be unread)."""
    body = json.dumps({"detail": detail}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def install_edge(app: FastAPI, settings: Settings) -> None:
    """Add the edge guard and, outermost, the security headers (call after other middleware).

    The headers go on the guard's own refusals (413, 408, 422) too.
    """
    app.add_middleware(
        EdgeGuard,
        max_body_bytes=settings.web_max_body_bytes,
        body_timeout_s=settings.web_body_timeout_seconds,
    )
    install_security_headers(app, public_url=settings.site_url)
