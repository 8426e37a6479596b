"""Who is reading: the session cookie, the reader's tier, CSRF tokens and the tier gate.

Every page and API route gets a :class:`Viewer` from :func:`get_viewer` and
asks the one matrix through :func:`require`, so access is decided server-side
in one place. CSRF tokens are HMACs of the session (or, before sign-in, of a
random ``tp_anon`` cookie) under the secret key: a form posted from another
site cannot carry one.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, TypeVar, cast

from fastapi import Depends, FastAPI, HTTPException, Request, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tickerpulse.config import Settings
from tickerpulse.db.platform import User
from tickerpulse.platform import accounts, alert_store, watchlists
from tickerpulse.platform.accounts import STAFF_ROLES
from tickerpulse.platform.crypto import digest, new_token, same, sign
from tickerpulse.platform.tiers import Access, Feature, Tier, TierMatrix
from tickerpulse.web.cache import TtlCache
from tickerpulse.web.deps import SessionDep

SESSION_COOKIE = "tp_session"
ANON_COOKIE = "tp_anon"
HOST_PREFIX = "__Host-"
"""Secure cookies are named so: browsers then take them only Secure, host-only, with Path=/."""
READER_SECONDS = 5.0
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
R = TypeVar("R")


def utcnow() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Viewer:
    """The reader of this request: anonymous or a user, with the tier they have now."""

    user: User | None
    tier: Tier
    session_token: str | None = None
    csrf: str | None = None
    watched: frozenset[str] | None = None
    """Asset ids on the reader's watchlist (None: their tier has no watchlist)."""
    unread_alerts: int = 0

    @property
    def signed_in(self) -> bool:
        """Whether a user is signed in."""
        return self.user is not None

    @property
    def is_admin(self) -> bool:
        """Whether the user runs the platform."""
        return self.user is not None and self.user.role == "admin"

    @property
    def is_staff(self) -> bool:
        """Whether the user may write editorial posts."""
        return self.user is not None and self.user.role in STAFF_ROLES

    @property
    def user_id(self) -> int:
        """The user's id, 0 for anonymous readers (as usage metrics count them)."""
        return 0 if self.user is None else self.user.user_id


def csrf_token(request: Request, key_material: str) -> str:
    """The CSRF token bound to a session token or an anonymous nonce."""
    key: bytes = request.app.state.secret_key
    return sign(key, "csrf:" + key_material)


async def get_viewer(request: Request, session: SessionDep) -> Viewer:
    """The reader of this request, from the session cookie (anonymous when absent or stale)."""
    cached: Viewer | None = getattr(request.state, "viewer", None)
    if cached is not None:
        return cached
    viewer = Viewer(user=None, tier=Tier.FREE)
    token = read_cookie(request, SESSION_COOKIE)
    if token:
        matrix: TierMatrix = request.app.state.tier_matrix
        idle = timedelta(hours=request.app.state.settings.session_idle_hours)
        found = await remembered(
            request, session, "session:" + digest(token),
            lambda: _signed_in_reader(session, token, matrix, idle),
        )  # fmt: skip
        if found is not None:
            user, tier, watched, unread = found
            viewer = Viewer(user, tier, token, csrf_token(request, token), watched, unread)
    request.state.viewer = viewer
    return viewer


SignedInReader = tuple[User, Tier, frozenset[str] | None, int]


def _signed_in_reader(
    session: Session, token: str, matrix: TierMatrix, idle: timedelta
) -> SignedInReader | None:
    """A session's user, tier, watchlist and unread alerts (those their tier includes)."""
    now = utcnow()
    found = accounts.session_user(session, token, now=now, idle=idle)
    if found is None:
        return None
    user, subscription = found
    tier = accounts.reader_tier(user, subscription, now=now)
    watched = None
    if matrix.allows(tier, Feature.WATCHLISTS):
        watched = frozenset(watchlists.watched_ids(session, user_id=user.user_id))
    unread = 0
    if matrix.allows(tier, Feature.ALERTS):
        unread = alert_store.unread_count(session, user_id=user.user_id)
    return user, tier, watched, unread


async def remembered(
    request: Request, session: Session, slot: str, look_up: Callable[[], R | None]
) -> R | None:
    """What ``look_up`` finds for a credential (the user of a session token or an API key).

    ``slot`` names the credential without holding it (a kind and its digest).

    Reading requests reuse what a request of the last ``READER_SECONDS`` found
    for the same credential (detached from its session, so read-only); any
    request that may change something (POST…) looks it up afresh in its own
    session, so the route can modify the user, and :class:`ForgetReaders`
    drops every remembered reader after it.
    """
    readers: TtlCache[str, Any] | None = request.app.state.readers
    reuse = readers is not None and request.method in SAFE_METHODS
    if reuse and readers is not None:
        hit = readers.get(slot)
        if hit is not None:
            return cast(R, hit)

    def fetch() -> R | None:
        found = look_up()
        if found is not None and reuse:
            session.expunge_all()  # the cached objects outlive this session
        session.commit()  # hand the connection back before the route's own work
        return found

    found = await run_in_threadpool(fetch)
    if found is not None and reuse and readers is not None:
        readers.put(slot, found)
    return found


class ForgetReaders:
    """After any request that may change an account (not GET/HEAD/OPTIONS), forget readers.

    Sign-out, a password change, a plan change by webhook, a revoked key: the
    next request of anyone is looked up afresh. (Another worker process may
    answer from its own memory for up to ``READER_SECONDS``.)
    """

    def __init__(self, app: ASGIApp, readers: TtlCache[str, Any]) -> None:
        self.app, self.readers = app, readers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; forget readers once a changing one answers or fails."""
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return

        async def send_then_forget(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.readers.clear()  # the route's work is committed before it answers
            await send(message)

        try:
            await self.app(scope, receive, send_then_forget)
        finally:
            self.readers.clear()


def install_reader_memory(app: FastAPI, seconds: float) -> None:
    """Remember readers for ``seconds`` (≤ 0: look every request up) and forget them on writes."""
    if seconds <= 0:
        app.state.readers = None
        return
    readers: TtlCache[str, Any] = TtlCache(seconds, size=10_000)
    app.state.readers = readers
    app.add_middleware(ForgetReaders, readers=readers)


ViewerDep = Annotated[Viewer, Depends(get_viewer)]


async def get_access(request: Request, viewer: ViewerDep) -> Access:
    """What the reader's tier lets them see under the app's matrix."""
    matrix: TierMatrix = request.app.state.tier_matrix
    return Access(viewer.tier, matrix)


AccessDep = Annotated[Access, Depends(get_access)]


async def form_csrf(request: Request, viewer: ViewerDep) -> str:
    """The CSRF token for a form on this page (see :func:`keep_anonymous_nonce` for the cookie)."""
    if viewer.csrf is not None:
        return viewer.csrf
    nonce = read_cookie(request, ANON_COOKIE)
    if not nonce:
        nonce = new_token(16)
        request.state.new_anon_nonce = nonce
    return csrf_token(request, nonce)


def keep_anonymous_nonce(request: Request, response: Response, *, secure: bool) -> Response:
    """Set the ``tp_anon`` cookie a form's token was bound to, if this request made one."""
    nonce = getattr(request.state, "new_anon_nonce", None)
    if nonce:
        response.set_cookie(
            cookie_name(ANON_COOKIE, secure=secure), nonce, httponly=True, samesite="lax",
            secure=secure,
        )  # fmt: skip
    return response


FormCsrfDep = Annotated[str, Depends(form_csrf)]


async def check_csrf(request: Request, viewer: ViewerDep) -> None:
    """Refuse a form post whose ``csrf_token`` is missing or not this reader's (403)."""
    form = await request.form()
    given = form.get("csrf_token")
    material = viewer.session_token or read_cookie(request, ANON_COOKIE)
    if not isinstance(given, str) or not material or not same(given, csrf_token(request, material)):
        raise HTTPException(
            status_code=403,
            detail="This form expired or came from another site. Reload the page and try again.",
        )


CsrfChecked = Depends(check_csrf)


def require(feature: Feature) -> Callable[[Viewer, Access], Awaitable[Viewer]]:
    """A dependency that lets only readers whose tier includes ``feature`` through.

    Raises (from the dependency):
        Gate: Rendered as an upgrade prompt (HTML) or a 403 JSON error (API).
    """

    async def dependency(viewer: ViewerDep, access: AccessDep) -> Viewer:
        gate = access.gate(feature, signed_in=viewer.signed_in)
        if gate is not None:
            raise gate
        return viewer

    return dependency


async def signed_in(viewer: ViewerDep) -> Viewer:
    """A dependency for pages that need an account: 401 for anonymous readers."""
    return _with_role(viewer, True, "")


async def staff_only(viewer: ViewerDep) -> Viewer:
    """A dependency for editors and admins: 401 anonymous, 403 other users."""
    return _with_role(viewer, viewer.is_staff, "This page is for staff.")


async def admin_only(viewer: ViewerDep) -> Viewer:
    """A dependency for admins: 401 anonymous, 403 other users."""
    return _with_role(viewer, viewer.is_admin, "This page is for administrators.")


def _with_role(viewer: Viewer, allowed: bool, refusal: str) -> Viewer:
    """``viewer`` if signed in and ``allowed``: else 401 (anonymous) or 403 with ``refusal``."""
    if viewer.user is None:
        raise HTTPException(status_code=401, detail="Sign in to see this page.")
    if not allowed:
        raise HTTPException(status_code=403, detail=refusal)
    return viewer


SignedInDep = Annotated[Viewer, Depends(signed_in)]
StaffDep = Annotated[Viewer, Depends(staff_only)]
AdminDep = Annotated[Viewer, Depends(admin_only)]


def cookie_name(name: str, *, secure: bool) -> str:
    """A cookie's name on the wire: with the ``__Host-`` prefix when cookies are secure."""
    return HOST_PREFIX + name if secure else name


def read_cookie(request: Request, name: str) -> str | None:
    """The value of one of our cookies, under the name the app's settings give it."""
    settings: Settings = request.app.state.settings
    return request.cookies.get(cookie_name(name, secure=settings.secure_cookies))


def set_session_cookie(response: Response, token: str, *, secure: bool) -> None:
    """Hand the browser its session (HttpOnly, SameSite=Lax, 14 days; Secure unless demo)."""
    response.set_cookie(
        cookie_name(SESSION_COOKIE, secure=secure),
        token,
        max_age=int(accounts.SESSION_TTL.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=secure,
    )
    response.delete_cookie(
        cookie_name(ANON_COOKIE, secure=secure), httponly=True, samesite="lax", secure=secure
    )


def clear_session_cookie(response: Response, *, secure: bool) -> None:
    """Remove the session cookie (sign-out)."""
    response.delete_cookie(
        cookie_name(SESSION_COOKIE, secure=secure), httponly=True, samesite="lax", secure=secure
    )


def client_ip(request: Request) -> str:
    """The client's address for per-IP limits, as the server reports it (see :func:`ip_key`).

    Proxy headers count only as far as the server trusts them (uvicorn's
    forwarded-allow-ips); the route never reads them itself.
    """
    return ip_key(request.client.host if request.client else "unknown")


def ip_key(host: str) -> str:
    """An IPv4 address as it is; an IPv6 address as its /64, which one subscriber usually holds.

    Otherwise a single home or server with a /64 could change address for every try.
    """
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host[:64]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)
