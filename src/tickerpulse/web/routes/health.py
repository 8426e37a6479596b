"""Health: is the app up, and which window did the marts last publish."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from tickerpulse.web import queries
from tickerpulse.web.deps import SessionDep
from tickerpulse.web.formatting import iso

router = APIRouter()


@router.get("/healthz")
def healthz(session: SessionDep) -> dict[str, Any]:
    """``{"status": "ok", "latest_window": <ISO UTC start or null>}``; fails if the db is down."""
    window = queries.latest_window(session)
    return {"status": "ok", "latest_window": None if window is None else iso(window)}
