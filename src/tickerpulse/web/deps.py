"""Dependency aliases every route uses: one database session per request, templates, settings.

Routes declare ``session: SessionDep`` rather than building sessions, so a
test or another deployment only has to change what ``create_app`` stores on
``app.state``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session, sessionmaker

from tickerpulse.config import Settings
from tickerpulse.web.viewcache import ViewCache


async def get_session(request: Request) -> AsyncIterator[Session]:
    """Yield one session for the request, closed when the response is done.

    An async dependency on purpose: its clean-up then runs on the event loop, not
    in a worker thread, so under load a request never holds a pooled connection
    while it waits for a free thread to hand it back.

    Args:
        request: The current request (its app holds the sessionmaker).

    Yields:
        A session bound to the app's engine.
    """
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    session = factory()
    try:
        yield session
    finally:
        session.close()


async def get_views(request: Request) -> ViewCache:
    """The app's cache of views built from the marts."""
    cache: ViewCache = request.app.state.views
    return cache


async def get_templates(request: Request) -> Jinja2Templates:
    """The app's Jinja2 templates, with the formatting filters installed."""
    templates: Jinja2Templates = request.app.state.templates
    return templates


async def get_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


SessionDep = Annotated[Session, Depends(get_session)]
TemplatesDep = Annotated[Jinja2Templates, Depends(get_templates)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
ViewsDep = Annotated[ViewCache, Depends(get_views)]
BIGINT_MAX = 2**63 - 1
RowId = Annotated[int, Path(ge=1, le=BIGINT_MAX)]
"""A row id in a URL: a Postgres ``bigint`` (larger numbers are refused with 422, not sent)."""
