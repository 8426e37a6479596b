"""Accounts: sign-up, e-mail verification, sign-in/out, password reset, the account page.

Every form carries a CSRF token; sign-in starts a new session (an old cookie is
never promoted), and the e-mails go through the outbox. Sign-up, sign-in and
reset answer alike whether or not an address has an account (a taken address
gets an e-mail instead of an error), and their floods are limited per IP
(429 with ``Retry-After``) and per address (silently no more e-mail).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from tickerpulse.config import Settings
from tickerpulse.db.platform import Subscription, User
from tickerpulse.platform import account_requests, accounts, api_keys, mail
from tickerpulse.platform.account_requests import RequestLimits
from tickerpulse.platform.crypto import verify_password
from tickerpulse.platform.signin_limits import LoginLimits
from tickerpulse.platform.tiers import Feature
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
from tickerpulse.web.deps import SessionDep, SettingsDep, TemplatesDep
from tickerpulse.web.hosts import site_url

router = APIRouter()
Text = Annotated[str, Form(max_length=1000)]


CONFIRM_SUBJECT = "Confirm your tickerpulse account"
CONFIRM_TEXT = "Confirm your address: {link}\n\nThe link works once, for 48 hours."
RESET_SUBJECT = "Reset your tickerpulse password"
RESET_TEXT = (
    "Choose a new password: {link}\n\n"
    "The link works once, for one hour. If you did not ask, ignore this e-mail."
)
TAKEN_SUBJECT = "Someone tried to sign up with your address"
TAKEN_TEXT = (
    "Someone tried to sign up for tickerpulse with your e-mail address, which already"
    " has an account.\n\nIf it was you, sign in, or reset your password here: {link}\n\n"
    "If it was not you, ignore this e-mail: nothing has changed."
)
SENT = "We sent a message to {address}: follow its link to go on."


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
    """Create an account and e-mail its confirmation link; a taken address's owner is told instead.

    Both cases answer the same and cost the same password hash, so the form
    does not reveal which addresses have accounts.
    """
    now, ip = utcnow(), client_ip(request)
    limits = RequestLimits.from_settings(request.app.state.settings)
    wait = account_requests.ip_wait(
        session, kinds=[account_requests.SIGNUP], ip=ip, now=now, limit=limits.signups_per_ip
    )
    if wait:
        return _too_many(request, templates, wait)
    try:
        address = accounts.normalize_email(email)
        accounts.check_password(password, email=address)
    except accounts.AccountError as error:
        return _form(request, templates, "signup", csrf, 400, errors=[str(error)], email=email)
    account_requests.record(session, kind=account_requests.SIGNUP, address=address, ip=ip, now=now)
    may_mail = account_requests.may_mail(
        session, address=address, now=now, limit=limits.mails_per_address
    )
    hasher = request.app.state.hasher
    owner = accounts.find_user(session, address)
    if owner is None:
        owner = accounts.create_user(session, hasher, email=address, password=password, now=now)
        if may_mail:
            _email_link(
                request, session, owner, purpose="verify", subject=CONFIRM_SUBJECT,
                text="Welcome to tickerpulse.\n\n" + CONFIRM_TEXT,
            )  # fmt: skip
    else:
        hasher.hash(password)  # as slow as making the account: the timing tells nothing
        if may_mail:
            _email_taken(request, session, address, now)
    try:
        session.commit()
    except IntegrityError:  # the same address signed up at the same moment: answer alike
        session.rollback()
    return _message(request, templates, "Check your e-mail", SENT.format(address=address))


def _email_taken(request: Request, session: Session, address: str, now: datetime) -> None:
    """Tell an address's owner that someone tried to sign up with it (no token: a plain link)."""
    link = f"{site_url(request)}/forgot"
    mail.enqueue(
        session, to=address, subject=TAKEN_SUBJECT, body=TAKEN_TEXT.format(link=link), now=now
    )


def _too_many(request: Request, templates: TemplatesDep, wait: int) -> Response:
    """429 with ``Retry-After``: this IP asked too often."""
    minutes = max(1, round(wait / 60))
    response = _message(
        request, templates, "Too many requests",
        f"Too many requests from your network. Try again in about {minutes} minutes.", 429,
    )  # fmt: skip
    response.headers["Retry-After"] = str(wait)
    return response


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
    """Sign in: a new session cookie (the old one, if any, is ended first).

    After repeated failures from this IP the form answers 429 with
    ``Retry-After`` before checking the password (see ``signin_limits``).
    """
    now, ip = utcnow(), client_ip(request)
    result = accounts.authenticate(
        session, request.app.state.hasher, email=email, password=password,
        ip=ip, now=now, limits=LoginLimits.from_settings(settings),
    )  # fmt: skip
    if result.retry_after:
        response = _form(request, templates, "login", csrf, 429, errors=[result.error], email=email)
        response.headers["Retry-After"] = str(result.retry_after)
        return response
    if result.user is None:
        if result.unverified and resend:
            wait = _resend_confirmation(request, session, email.strip().lower(), ip, now)
            if wait:
                session.commit()  # the sign-in attempt is still recorded
                return _too_many(request, templates, wait)
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


def _resend_confirmation(
    request: Request, session: Session, address: str, ip: str, now: datetime
) -> int:
    """E-mail a new confirmation link within the limits; the IP's wait if it asked too often."""
    limits = RequestLimits.from_settings(request.app.state.settings)
    wait = account_requests.ip_wait(
        session, kinds=account_requests.MAIL_KINDS, ip=ip, now=now, limit=limits.mails_per_ip
    )
    if wait:
        return wait
    account_requests.record(session, kind=account_requests.VERIFY, address=address, ip=ip, now=now)
    user = accounts.find_user(session, address)
    if user is not None and account_requests.may_mail(
        session, address=address, now=now, limit=limits.mails_per_address
    ):
        _email_link(
            request, session, user, purpose="verify", subject=CONFIRM_SUBJECT, text=CONFIRM_TEXT
        )
    return 0


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
def forgot(
    request: Request,
    session: SessionDep,
    templates: TemplatesDep,
    background: BackgroundTasks,
    email: Text,
) -> Response:
    """E-mail a reset link if the address has an account (the answer is the same either way).

    The request is logged and answered first; looking the address up and
    writing the e-mail happen after the answer is sent, so neither its words
    nor its timing say whether the address has an account.
    """
    now, ip = utcnow(), client_ip(request)
    limits = RequestLimits.from_settings(request.app.state.settings)
    wait = account_requests.ip_wait(
        session, kinds=account_requests.MAIL_KINDS, ip=ip, now=now, limit=limits.mails_per_ip
    )
    if wait:
        return _too_many(request, templates, wait)
    address = email.strip().lower()[:254]
    account_requests.record(session, kind=account_requests.RESET, address=address, ip=ip, now=now)
    session.commit()
    background.add_task(
        _send_reset_link, request, request.app.state.sessionmaker, address, now,
        limits.mails_per_address,
    )  # fmt: skip
    return _message(
        request, templates, "Check your e-mail",
        "If that address has an account, a reset link is on its way.",
    )  # fmt: skip


def _send_reset_link(
    request: Request, factory: sessionmaker[Session], address: str, now: datetime, cap: int
) -> None:
    """After the answer: e-mail a reset link if the address has an account and is under its cap."""
    with factory() as session:
        user = accounts.find_user(session, address)
        if user is None:
            return
        if account_requests.may_mail(session, address=address, now=now, limit=cap):
            _email_link(
                request, session, user, purpose="reset", subject=RESET_SUBJECT, text=RESET_TEXT
            )
            session.commit()


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
    try:
        accounts.change_password(session, request.app.state.hasher, user, password)
    except accounts.AccountError as error:  # built on the address: the link stays usable
        session.rollback()
        return _form(request, templates, "reset", csrf, 400, token=token, errors=[str(error)])
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
    keys = api_keys.keys_of(session, viewer.user.user_id)
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
    rows = mail.recent_messages(session)
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
