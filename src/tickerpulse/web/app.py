"""The FastAPI application factory: templates, static files, compression and routers.

The app is handed an engine and never starts a database itself. Static files,
the vendored Plotly.js partial bundle among them, are served from memory under
fingerprinted URLs that browsers may cache for a year (see
:mod:`tickerpulse.web.assets`); pages and API answers are gzipped when the
client accepts it.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from starlette.exceptions import HTTPException

from tickerpulse.config import Settings
from tickerpulse.db.engine import make_sessionmaker
from tickerpulse.explore.ranges import RANGES
from tickerpulse.explore.search import AssetSearch
from tickerpulse.platform import accounts
from tickerpulse.platform.billing import make_provider
from tickerpulse.platform.crypto import password_hasher, secret_key
from tickerpulse.platform.mail import MailSender
from tickerpulse.platform.tiers import Feature, Gate, Tier, TierMatrix
from tickerpulse.platform.usage import UsageRecorder
from tickerpulse.platform.webhooks.delivery import WebhookSender
from tickerpulse.universe import load_universe
from tickerpulse.web import formatting
from tickerpulse.web.api import API_PREFIX, create_api
from tickerpulse.web.assets import PLOTLY_FILE, install_static
from tickerpulse.web.auth import READER_SECONDS, Viewer, install_reader_memory
from tickerpulse.web.cache import PageCache, PageCacheMiddleware
from tickerpulse.web.edge import install_edge
from tickerpulse.web.hosts import install_host_check, site_url
from tickerpulse.web.live_hub import LiveHub, conninfo_of
from tickerpulse.web.metrics import install_metrics
from tickerpulse.web.outage import install_outage_handler
from tickerpulse.web.ratelimit import RateLimiter
from tickerpulse.web.routes import (
    account,
    admin,
    alerts,
    billing,
    explore,
    health,
    insights,
    live,
    methodology,
    pages,
    posts,
    watchlist,
    webhooks,
)
from tickerpulse.web.startup import DEMO_BANNER, check_startup
from tickerpulse.web.usage import UsageMiddleware
from tickerpulse.web.viewcache import ViewCache

HERE = Path(__file__).parent
GZIP_MIN_BYTES = 1000
ANONYMOUS = Viewer(user=None, tier=Tier.FREE)
CACHED_PAGES = ("/", "/asset", "/news", "/compare", "/methodology", "/movers", "/overview")
NOTICES = {
    "verified": "Your e-mail is confirmed. Sign in to continue.",
    "signed_out": "You are signed out.",
    "password_changed": "Your password is changed; other devices were signed out.",
    "wrong_password": "That password is not right.",
    "weak_password": (
        "That new password is too short or too easy to guess: choose at least 10 characters,"
        " not a common password or a simple pattern."
    ),
    "account_deleted": "Your account and its data are deleted.",
    "upgraded": "Thank you: your plan is active.",
    "billing_pay": "Payment received: your plan is active.",
    "billing_switch": "Your plan is changed.",
    "billing_upgrade": "Your plan is upgraded now; you paid only the price difference for the"
    " rest of this billing period.",
    "billing_downgrade": "Your plan changes at the end of the billing period you paid for;"
    " until then you keep your current plan.",
    "billing_fail": "The payment failed: your plan stays active during the grace period.",
    "billing_recover": "The payment went through: your plan is active.",
    "billing_refund": "The last payment is refunded.",
    "billing_cancel": "Your subscription is cancelled.",
    "key_revoked": "The API key is revoked.",
    "no_such_key": "There is no such live key.",
    "saved": "Saved.",
    "watch_added": "Added to your watchlist.",
    "watch_removed": "Removed from your watchlist.",
    "rule_saved": "Alert rule saved: it is checked after every 6-hour cycle.",
    "rule_deleted": "Alert rule deleted.",
    "alerts_read": "All alerts are marked as read.",
}


def page_context(request: Request) -> dict[str, Any]:
    """What every template may use: the reader, their unread alerts and any notice in the URL."""
    notice = NOTICES.get(request.query_params.get("notice", ""))
    viewer: Viewer = getattr(request.state, "viewer", None) or ANONYMOUS
    matrix: TierMatrix = request.app.state.tier_matrix
    return {
        "viewer": viewer,
        "notices": [notice] if notice else [],
        "unread_alerts": viewer.unread_alerts,
        # One rule for the navigation: it links every part of the product (the personal
        # ones, watchlist and alerts, once signed in); a part the reader's plan lacks opens
        # a preview of what it gives and the plan that includes it (upgrade.html).
        "nav_alerts": matrix.allows(viewer.tier, Feature.ALERTS),
    }


def create_app(settings: Settings, engine: Engine) -> FastAPI:
    """Build the web app over an engine whose database holds the marts.

    Args:
        settings: The validated settings.
        engine: An engine on a migrated database (the app reads marts only).

    Returns:
        The application, ready for uvicorn or a test client.

    Raises:
        UnsafeSettings: Outside demo mode, for settings or a database a public server
            must not run with (see :mod:`tickerpulse.web.startup`).
    """
    check_startup(settings, engine)
    if settings.demo_mode:
        logging.getLogger(__name__).warning(DEMO_BANNER)
    usage = UsageRecorder(engine)
    live_hub = LiveHub(conninfo_of(engine))
    mail_sender = MailSender(make_sessionmaker(engine), settings)
    webhook_sender = WebhookSender(make_sessionmaker(engine), settings, secret_key(settings))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        usage.start()
        mail_sender.start()
        webhook_sender.start()
        try:
            yield
        finally:
            try:
                await live_hub.stop()
            finally:
                webhook_sender.stop()
                mail_sender.stop()
                usage.stop()  # writes the counts still waiting

    app = FastAPI(
        title="tickerpulse", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan
    )
    app.state.settings = settings
    app.state.sessionmaker = make_sessionmaker(engine)
    app.state.tier_matrix = TierMatrix.from_overrides(settings.tier_overrides)
    app.state.secret_key = secret_key(settings)
    app.state.hasher = password_hasher(settings)
    accounts.dummy_hash(app.state.hasher)  # made now, not during someone's sign-in
    app.state.payment_provider = make_provider(settings)
    app.state.rate_limiter = RateLimiter()
    app.state.usage = usage
    app.state.live_hub = live_hub
    app.state.asset_search = AssetSearch(load_universe(settings.universe_extra))
    templates = Jinja2Templates(directory=HERE / "templates", context_processors=[page_context])
    templates.env.filters.update(formatting.FILTERS)
    templates.env.globals["feature_previews"] = {f.label: f.preview for f in Feature}
    templates.env.globals["history_ranges"] = RANGES
    assets = install_static(app, HERE / "static")
    app.state.static_assets = assets
    templates.env.globals["static_url"] = assets.url
    templates.env.globals["plotly_js_url"] = assets.url(PLOTLY_FILE)
    templates.env.globals["site_url"] = site_url  # PUBLIC_URL, else the (allowed) host asked for
    app.state.templates = templates

    async def http_error(request: Request, exc: Exception) -> Response:
        if not isinstance(exc, HTTPException):  # pragma: no cover - registered for these only
            raise exc
        if "text/html" not in request.headers.get("accept", ""):
            return await http_exception_handler(request, exc)
        if exc.status_code == 401:
            return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
        if exc.status_code == 404:
            message = f"There is no page at {request.url.path}."
            return templates.TemplateResponse(
                request, "not_found.html", {"message": message}, status_code=404
            )
        context = {"title": "Not allowed", "text": str(exc.detail)}
        return templates.TemplateResponse(
            request, "message.html", context, status_code=exc.status_code
        )

    async def gated(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Gate)
        if "text/html" not in request.headers.get("accept", ""):
            detail = {"detail": str(exc), "required_tier": exc.required.name.lower()}
            return JSONResponse(detail, status_code=403)
        return templates.TemplateResponse(request, "upgrade.html", {"gate": exc}, status_code=403)

    for status in (401, 403, 404):
        app.add_exception_handler(status, http_error)
    app.add_exception_handler(Gate, gated)
    install_outage_handler(app)
    for router in (
        pages, explore, insights, live, account, billing, posts, health, admin, watchlist,
        alerts, methodology, webhooks,
    ):  # fmt: skip
        app.include_router(router.router)
    app.mount(API_PREFIX, create_api(app))
    app.state.views = ViewCache(app.state.sessionmaker, settings.page_cache_seconds)
    install_reader_memory(app, min(READER_SECONDS, settings.page_cache_seconds))
    if settings.page_cache_seconds > 0:
        pages_cache = PageCache(settings.page_cache_seconds)
        app.add_middleware(PageCacheMiddleware, cache=pages_cache, prefixes=CACHED_PAGES)
    app.add_middleware(UsageMiddleware, recorder=usage)  # outside the cache: hits count too
    # Outside the page cache (which keeps plain bodies); static files come gzipped already.
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_MIN_BYTES)
    # Added last (outermost): it admits and times every request, cached pages too.
    install_metrics(app, engine, settings)
    install_host_check(app, settings)  # outside the gate: a foreign Host costs no place
    # Outermost: bodies are read (bounded) before a request may take a place, and every
    # answer, the edge's and the host check's refusals too, carries the security headers.
    install_edge(app, settings)
    return app


def app_from_env() -> FastAPI:
    """The app from the environment's settings: uvicorn's factory for several worker processes.

    Each worker builds its own engine from ``DATABASE_URL`` (``tickerpulse serve``
    sets it to the database it opened), caches and usage counter.
    """
    from tickerpulse.db.engine import make_engine, resolve_database_url
    from tickerpulse.web.server import HeaderDeadlineProtocol

    settings = Settings()
    HeaderDeadlineProtocol.header_timeout_s = settings.web_header_timeout_seconds  # this worker's
    return create_app(settings, make_engine(resolve_database_url(settings)))
