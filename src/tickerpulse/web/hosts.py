"""Which host names the site answers to, and the base URL of the links it hands out.

A browser tricked by DNS rebinding sends the attacker's host name in ``Host``;
answering only the allowed names (``Settings.trusted_hosts``: ALLOWED_HOSTS or
the localhost names, plus PUBLIC_URL's host) with 400 for any other stops it,
and makes the request's host safe to build links from when PUBLIC_URL is unset.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from starlette.middleware.trustedhost import TrustedHostMiddleware

from tickerpulse.config import Settings


def install_host_check(app: FastAPI, settings: Settings) -> None:
    """Answer 400 to requests whose ``Host`` is not one of the trusted names (add it last)."""
    app.add_middleware(
        TrustedHostMiddleware, allowed_hosts=settings.trusted_hosts, www_redirect=False
    )


def site_url(request: Request) -> str:
    """The base URL of links to this site: PUBLIC_URL, else the (allowed) host asked for.

    The request's own host and port are right whichever port the server runs on,
    where ``WEB_PORT`` may not be (``serve --port``).
    """
    settings: Settings = request.app.state.settings
    if settings.public_url:
        return settings.public_url.rstrip("/")
    return str(request.base_url).rstrip("/")
