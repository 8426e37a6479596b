"""Security headers on every response: what the browser may load, frame, sniff, send and keep.

- ``Content-Security-Policy``: scripts only from this site (the bundled Plotly
  and ``/static/*.js``; pages carry no inline script, figures travel as JSON
  data blocks), no plugins, no ``<base>``, forms post here or to Stripe's
  checkout, and no one may frame the site. Styles allow ``'unsafe-inline'``
  because Plotly writes style attributes and a ``<style>`` element as it draws.
- ``X-Frame-Options: DENY`` for browsers without ``frame-ancestors``;
  ``X-Content-Type-Options: nosniff``; ``Referrer-Policy: same-origin`` (a
  reset link's token never leaves in a Referer); a closed
  ``Permissions-Policy``.
- ``Strict-Transport-Security`` when the request came over HTTPS (uvicorn
  believes ``X-Forwarded-Proto`` only from ``WEB_TRUSTED_PROXIES``) or the
  site's ``PUBLIC_URL`` is https.
- ``Cache-Control: no-store`` on account pages (the data export, API keys) and
  the password-reset page, so no shared or back-button cache keeps them.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self' https://checkout.stripe.com https://billing.stripe.com",
        "frame-ancestors 'none'",
    ]
)
ALWAYS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
]
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")
NO_STORE_PREFIXES = ("/account", "/reset", "/dev/outbox")


class SecurityHeaders:
    """Add the security headers to every HTTP response (those the app set itself win)."""

    def __init__(self, app: ASGIApp, *, https_site: bool) -> None:
        self.app = app
        self.https_site = https_site

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, adding the headers to its answer's start."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = list(ALWAYS)
        if self.https_site or scope.get("scheme") == "https":
            extra.append(HSTS)
        if scope["path"].startswith(NO_STORE_PREFIXES):
            extra.append((b"cache-control", b"no-store"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                if (b"cache-control", b"no-store") in extra:
                    headers = [(n, v) for n, v in headers if n.lower() != b"cache-control"]
                    present.discard(b"cache-control")
                headers += [(name, value) for name, value in extra if name not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install_security_headers(app: FastAPI, *, public_url: str) -> None:
    """Add :class:`SecurityHeaders` as the outermost layer (call after every other middleware)."""
    app.add_middleware(SecurityHeaders, https_site=public_url.startswith("https://"))
