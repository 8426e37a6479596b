"""Who is reading: the session cookie, the reader's tier, CSRF tokens and the tier gate.

Every page and API route gets a :class:`Viewer` from :func:`get_viewer` and
asks the one matrix through :func:`require`, so access is decided server-side
in one place. CSRF tokens are HMACs of the session (or, before sign-in, of a
random ``tp_anon`` cookie) under the secret key: a form posted from another
site cannot carry one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Response

from tickerpulse.db.platform import User
from tickerpulse.web import accounts
from tickerpulse.web.accounts import STAFF_ROLES
from tickerpulse.web.crypto import new_token, same, sign
from tickerpulse.web.deps import SessionDep
from tickerpulse.web.tiers import Access, Feature, Tier, TierMatrix

SESSION_COOKIE = "tp_session"
ANON_COOKIE = "tp_anon"


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


def get_viewer(request: Request, session: SessionDep) -> Viewer:
    """The reader of this request, from the session cookie (anonymous when absent or stale)."""
    cached: Viewer | None = getattr(request.state, "viewer", None)
    if cached is not None:
        return cached
    viewer = Viewer(user=None, tier=Tier.FREE)
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        found = accounts.session_user(session, token, now=utcnow())
        if found is not None:
            user, subscription = found
            tier = accounts.reader_tier(user, subscription, now=utcnow())
            viewer = Viewer(user, tier, token, csrf_token(request, token))
        session.commit()  # hand the connection back before the route's own work
    request.state.viewer = viewer
    return viewer


ViewerDep = Annotated[Viewer, Depends(get_viewer)]


def get_access(request: Request, viewer: ViewerDep) -> Access:
    """What the reader's tier lets them see under the app's matrix."""
    matrix: TierMatrix = request.app.state.tier_matrix
    return Access(viewer.tier, matrix)


AccessDep = Annotated[Access, Depends(get_access)]


def form_csrf(request: Request, viewer: ViewerDep) -> str:
    """The CSRF token for a form on this page (see :func:`keep_anonymous_nonce` for the cookie)."""
    if viewer.csrf is not None:
        return viewer.csrf
    nonce = request.cookies.get(ANON_COOKIE)
    if not nonce:
        nonce = new_token(16)
        request.state.new_anon_nonce = nonce
    return csrf_token(request, nonce)


def keep_anonymous_nonce(request: Request, response: Response, *, secure: bool) -> Response:
    """Set the ``tp_anon`` cookie a form's token was bound to, if this request made one."""
    nonce = getattr(request.state, "new_anon_nonce", None)
    if nonce:
        response.set_cookie(ANON_COOKIE, nonce, httponly=True, samesite="lax", secure=secure)
    return response


FormCsrfDep = Annotated[str, Depends(form_csrf)]


async def check_csrf(request: Request, viewer: ViewerDep) -> None:
    """Refuse a form post whose ``csrf_token`` is missing or not this reader's (403)."""
    form = await request.form()
    given = form.get("csrf_token")
    material = viewer.session_token or request.cookies.get(ANON_COOKIE)
    if not isinstance(given, str) or not material or not same(given, csrf_token(request, material)):
        raise HTTPException(
            status_code=403,
            detail="This form expired or came from another site. Reload the page and try again.",
        )


CsrfChecked = Depends(check_csrf)


def require(feature: Feature) -> Callable[[Viewer, Access], Viewer]:
    """A dependency that lets only readers whose tier includes ``feature`` through.

    Raises (from the dependency):
        Gate: Rendered as an upgrade prompt (HTML) or a 403 JSON error (API).
    """

    def dependency(viewer: ViewerDep, access: AccessDep) -> Viewer:
        gate = access.gate(feature, signed_in=viewer.signed_in)
        if gate is not None:
            raise gate
        return viewer

    return dependency


def signed_in(viewer: ViewerDep) -> Viewer:
    """A dependency for pages that need an account: 401 for anonymous readers."""
    if viewer.user is None:
        raise HTTPException(status_code=401, detail="Sign in to see this page.")
    return viewer


def staff_only(viewer: ViewerDep) -> Viewer:
    """A dependency for editors and admins: 401 anonymous, 403 other users."""
    return _with_role(viewer, viewer.is_staff, "This page is for staff.")


def admin_only(viewer: ViewerDep) -> Viewer:
    """A dependency for admins: 401 anonymous, 403 other users."""
    return _with_role(viewer, viewer.is_admin, "This page is for administrators.")


def _with_role(viewer: Viewer, allowed: bool, refusal: str) -> Viewer:
    signed_in(viewer)
    if not allowed:
        raise HTTPException(status_code=403, detail=refusal)
    return viewer


SignedInDep = Annotated[Viewer, Depends(signed_in)]
StaffDep = Annotated[Viewer, Depends(staff_only)]
AdminDep = Annotated[Viewer, Depends(admin_only)]


def set_session_cookie(response: Response, token: str, *, secure: bool) -> None:
    """Hand the browser its session (HttpOnly, SameSite=Lax, 14 days)."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(accounts.SESSION_TTL.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=secure,
    )
    response.delete_cookie(ANON_COOKIE)


def clear_session_cookie(response: Response) -> None:
    """Remove the session cookie (sign-out)."""
    response.delete_cookie(SESSION_COOKIE)


def client_ip(request: Request) -> str:
    """The client's address as the socket reports it (no proxy headers are trusted)."""
    return request.client.host if request.client else "unknown"
