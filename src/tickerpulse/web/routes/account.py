"""Accounts: sign-up, e-mail verification, sign-in/out, password reset, the account page.

Every form carries a CSRF token; sign-in starts a new session (an old cookie is
never promoted), and the e-mails go through the outbox.
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from tickerpulse.config import Settings
from tickerpulse.db.platform import ApiKey, EmailOutbox, Subscription, User
from tickerpulse.web import accounts, api_keys, mail
from tickerpulse.web.auth import (
    SESSION_COOKIE,
    CsrfChecked,
    FormCsrfDep,
    SignedInDep,
    ViewerDep,
    clear_session_cookie,
    client_ip,
    keep_anonymous_nonce,
    read_cookie,
    require,
    set_session_cookie,
    utcnow,
)
from tickerpulse.web.crypto import verify_password
from tickerpulse.web.deps import SessionDep, SettingsDep, TemplatesDep
from tickerpulse.web.hosts import site_url
from tickerpulse.web.tiers import Feature

router = APIRouter()
Text = Annotated[str, Form(max_length=1000)]


CONFIRM_SUBJECT = "Confirm your tickerpulse account"
CONFIRM_TEXT = "Confirm your address: {link}\n\nThe link works once, for 48 hours."
RESET_SUBJECT = "Reset your tickerpulse password"
RESET_TEXT = (
    "Choose a new password: {link}\n\n"
    "The link works once, for one hour. If you did not ask, ignore this e-mail."
)


def _email_link(
    request: Request, session: Session, user: User, *, purpose: str, subject: str, text: str
) -> None:
    """Issue a single-use token and put the e-mail carrying its link in the outbox.

    The earlier links of that purpose lapse with their tokens, so they are redacted,
    and so is every link whose time is up.
    """
    now = utcnow()
    token = accounts.issue_token(session, user, purpose=purpose, now=now)
    mail.forget_links(session, to=user.email, purpose=purpose)
    mail.forget_expired_links(session, accounts.TOKEN_TTL, now=now)
    link = f"{site_url(request)}/{purpose}?token={token}"
    mail.enqueue(session, to=user.email, subject=subject, body=text.format(link=link), now=now)


def _form(
    request: Request,
    templates: TemplatesDep,
    name: str,
    csrf: str,
    status: int = 200,
    **context: object,
) -> Response:
    response = templates.TemplateResponse(
        request, f"account/{name}.html", {"csrf": csrf, **context}, status_code=status
    )
    settings: Settings = request.app.state.settings
    return keep_anonymous_nonce(request, response, secure=settings.secure_cookies)


@router.get("/signup", response_class=HTMLResponse)
def signup_form(request: Request, templates: TemplatesDep, csrf: FormCsrfDep) -> Response:
    """The sign-up form."""
    return _form(request, templates, "signup", csrf)


@router.post("/signup", response_class=HTMLResponse, dependencies=[CsrfChecked])
def signup(
    request: Request,
    session: SessionDep,
    templates: TemplatesDep,
    csrf: FormCsrfDep,
    email: Text,
    password: Text,
) -> Response:
    """Create an account and e-mail its confirmation link."""
    now = utcnow()
    try:
        user = accounts.create_user(
            session, request.app.state.hasher, email=email, password=password, now=now
        )
    except accounts.AccountError as error:
        return _form(request, templates, "signup", csrf, 400, errors=[str(error)], email=email)
    _email_link(
        request, session, user, purpose="verify", subject=CONFIRM_SUBJECT,
        text="Welcome to tickerpulse.\n\n" + CONFIRM_TEXT,
    )  # fmt: skip
    session.commit()
    return _message(request, templates, "Check your e-mail", f"We sent a link to {user.email}.")


@router.get("/verify", response_class=HTMLResponse)
def verify(
    request: Request, session: SessionDep, templates: TemplatesDep, token: str = ""
) -> Response:
    """Confirm an address from the e-mailed link."""
    user = accounts.consume_token(session, token, purpose="verify", now=utcnow())
    if user is None:
        return _message(
            request, templates, "Link not valid",
            "This confirmation link is unknown, used or expired. Sign in to get a new one.", 400,
        )  # fmt: skip
    user.email_verified_at = user.email_verified_at or utcnow()
    mail.forget_links(session, to=user.email, purpose="verify")
    session.commit()
    return RedirectResponse("/login?notice=verified", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, templates: TemplatesDep, csrf: FormCsrfDep) -> Response:
    """The sign-in form."""
    return _form(request, templates, "login", csrf)


@router.post("/login", response_class=HTMLResponse, dependencies=[CsrfChecked])
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    templates: TemplatesDep,
    csrf: FormCsrfDep,
    email: Text,
    password: Text,
    resend: Annotated[str | None, Form()] = None,
) -> Response:
    """Sign in: a new session cookie (the old one, if any, is ended first)."""
    now = utcnow()
    result = accounts.authenticate(
        session, request.app.state.hasher, email=email, password=password,
        ip=client_ip(request), now=now, max_failures=settings.login_max_failures,
    )  # fmt: skip
    if result.user is None:
        if result.unverified and resend:
            user = accounts.find_user(session, email.strip().lower())
            if user is not None:
                _email_link(
                    request, session, user, purpose="verify", subject=CONFIRM_SUBJECT,
                    text=CONFIRM_TEXT,
                )  # fmt: skip
        session.commit()
        return _form(
            request, templates, "login", csrf, 403 if result.unverified else 401,
            errors=[result.error], email=email, unverified=result.unverified,
        )  # fmt: skip
    old = read_cookie(request, SESSION_COOKIE)
    if old:
        accounts.end_session(session, old)
    token = accounts.start_session(session, result.user, now=now)
    session.commit()
    response = RedirectResponse(_safe_next(request.query_params.get("next")), status_code=303)
    set_session_cookie(response, token, secure=settings.secure_cookies)
    return response


@router.post("/logout", dependencies=[CsrfChecked])
def logout(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """End this session."""
    token = read_cookie(request, SESSION_COOKIE)
    if token:
        accounts.end_session(session, token)
        session.commit()
    response = RedirectResponse("/?notice=signed_out", status_code=303)
    clear_session_cookie(response, secure=settings.secure_cookies)
    return response


@router.get("/forgot", response_class=HTMLResponse)
def forgot_form(request: Request, templates: TemplatesDep, csrf: FormCsrfDep) -> Response:
    """Ask for a password-reset link."""
    return _form(request, templates, "forgot", csrf)


@router.post("/forgot", response_class=HTMLResponse, dependencies=[CsrfChecked])
def forgot(request: Request, session: SessionDep, templates: TemplatesDep, email: Text) -> Response:
    """E-mail a reset link if the address has an account (the answer is the same either way)."""
    user = accounts.find_user(session, email.strip().lower())
    if user is not None:
        _email_link(request, session, user, purpose="reset", subject=RESET_SUBJECT, text=RESET_TEXT)
        session.commit()
    return _message(
        request, templates, "Check your e-mail",
        "If that address has an account, a reset link is on its way.",
    )  # fmt: skip


@router.get("/reset", response_class=HTMLResponse)
def reset_form(
    request: Request, templates: TemplatesDep, csrf: FormCsrfDep, token: str = ""
) -> Response:
    """The new-password form of an e-mailed reset link."""
    return _form(request, templates, "reset", csrf, token=token)


@router.post("/reset", response_class=HTMLResponse, dependencies=[CsrfChecked])
def reset(
    request: Request,
    session: SessionDep,
    templates: TemplatesDep,
    csrf: FormCsrfDep,
    token: Text,
    password: Text,
) -> Response:
    """Set a new password from a reset link; every session of the account ends."""
    try:
        accounts.check_password(password)
    except accounts.AccountError as error:
        return _form(request, templates, "reset", csrf, 400, token=token, errors=[str(error)])
    user = accounts.consume_token(session, token, purpose="reset", now=utcnow())
    if user is None:
        return _message(
            request, templates, "Link not valid",
            "This reset link is unknown, used or expired. Ask for a new one.", 400,
        )  # fmt: skip
    accounts.change_password(session, request.app.state.hasher, user, password)
    user.email_verified_at = user.email_verified_at or utcnow()  # the link proves the address
    mail.forget_links(session, to=user.email, purpose="reset")
    session.commit()
    return RedirectResponse("/login?notice=password_changed", status_code=303)


@router.get("/account", response_class=HTMLResponse)
def account_page(
    request: Request, session: SessionDep, templates: TemplatesDep, viewer: SignedInDep
) -> Response:
    """The reader's plan, API keys, password change and account deletion."""
    assert viewer.user is not None and viewer.csrf is not None
    keys = session.scalars(
        select(ApiKey).where(ApiKey.user_id == viewer.user.user_id).order_by(ApiKey.created_at)
    ).all()
    context = {
        "csrf": viewer.csrf,
        "subscription": session.get(Subscription, viewer.user.user_id),
        "keys": keys,
    }
    return templates.TemplateResponse(request, "account/account.html", context)


@router.post("/account/password", response_class=HTMLResponse, dependencies=[CsrfChecked])
def change_password(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    viewer: SignedInDep,
    current: Text,
    password: Text,
) -> Response:
    """Change the password (the current one is asked again); other sessions end."""
    assert viewer.user is not None
    hasher = request.app.state.hasher
    if not verify_password(hasher, viewer.user.password_hash, current):
        return RedirectResponse("/account?notice=wrong_password", status_code=303)
    try:
        accounts.change_password(session, hasher, viewer.user, password)
    except accounts.AccountError:
        return RedirectResponse("/account?notice=weak_password", status_code=303)
    token = accounts.start_session(session, viewer.user, now=utcnow())
    session.commit()
    response = RedirectResponse("/account?notice=password_changed", status_code=303)
    set_session_cookie(response, token, secure=settings.secure_cookies)
    return response


@router.get("/account/export")
def export(session: SessionDep, viewer: SignedInDep) -> Response:
    """Everything we keep about the reader, as a JSON download."""
    assert viewer.user is not None
    body = json.dumps(accounts.export_user(session, viewer.user), indent=2)
    headers = {"Content-Disposition": 'attachment; filename="tickerpulse-account.json"'}
    return Response(body, media_type="application/json", headers=headers)


@router.post("/account/delete", dependencies=[CsrfChecked])
def delete_account(
    request: Request, session: SessionDep, settings: SettingsDep, viewer: SignedInDep, confirm: Text
) -> Response:
    """Delete the account after the password is confirmed (export first: the page says so)."""
    assert viewer.user is not None
    if not verify_password(request.app.state.hasher, viewer.user.password_hash, confirm):
        return RedirectResponse("/account?notice=wrong_password", status_code=303)
    accounts.delete_user(session, viewer.user)
    session.commit()
    response = RedirectResponse("/?notice=account_deleted", status_code=303)
    clear_session_cookie(response, secure=settings.secure_cookies)
    return response


@router.get("/dev/outbox", response_class=HTMLResponse)
def outbox(
    request: Request, session: SessionDep, settings: SettingsDep, templates: TemplatesDep,
    viewer: ViewerDep,
) -> Response:  # fmt: skip
    """The demo's e-mail outbox; live links show to the administrator only (404 outside demo)."""
    if not settings.demo_mode:
        return _message(
            request, templates, "Not found", f"There is no page at {request.url.path}.", 404
        )
    rows = session.scalars(
        select(EmailOutbox).order_by(EmailOutbox.message_id.desc()).limit(50)
    ).all()
    messages = [
        {"message": m, "body": m.body if viewer.is_admin else mail.redact_links(m.body)}
        for m in rows
    ]
    context = {"messages": messages, "links_hidden": not viewer.is_admin}
    return templates.TemplateResponse(request, "account/outbox.html", context)


def _message(
    request: Request, templates: TemplatesDep, title: str, text: str, status: int = 200
) -> Response:
    return templates.TemplateResponse(
        request, "message.html", {"title": title, "text": text}, status_code=status
    )


def _safe_next(target: str | None) -> str:
    """Only same-site paths are followed after sign-in (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/account"


@router.post(
    "/account/keys",
    response_class=HTMLResponse,
    dependencies=[CsrfChecked, Depends(require(Feature.API))],
)
def create_key(
    request: Request,
    session: SessionDep,
    templates: TemplatesDep,
    viewer: SignedInDep,
    name: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Create an API key and show it, this once."""
    assert viewer.user is not None
    try:
        key = api_keys.create_key(session, viewer.user, name=name, now=utcnow())
    except ValueError as error:
        return _message(request, templates, "No new key", str(error), 400)
    session.commit()
    return templates.TemplateResponse(request, "account/new_key.html", {"key": key, "name": name})


@router.post("/account/keys/{key_id}/revoke", dependencies=[CsrfChecked])
def revoke_key(key_id: str, session: SessionDep, viewer: SignedInDep) -> Response:
    """Revoke one of the reader's keys at once."""
    assert viewer.user is not None
    done = api_keys.revoke(session, viewer.user, key_id, now=utcnow())
    session.commit()
    return RedirectResponse(
        f"/account?notice={'key_revoked' if done else 'no_such_key'}#api-keys", status_code=303
    )
