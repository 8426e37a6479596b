"""Health: is the app up, which window did the marts last publish, is the live processor up."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from tickerpulse.web import queries
from tickerpulse.web.deps import SessionDep
from tickerpulse.web.formatting import iso
from tickerpulse.web.stream_health import processor_health

router = APIRouter()


@router.get("/healthz")
def healthz(session: SessionDep) -> dict[str, Any]:
    """``{"status": "ok" or "degraded", "latest_window", "stream_processors"}``; db down: fails.

    ``degraded`` while a supervised stream processor is down (see
    :mod:`~tickerpulse.web.stream_health`); the site itself still serves.
    """
    window = queries.latest_window(session)
    processors = processor_health(session)
    health: dict[str, Any] = {
        "status": "degraded" if any(p.down for p in processors) else "ok",
        "latest_window": None if window is None else iso(window),
    }
    if processors:  # only where a live stream has ever run
        health["stream_processors"] = {p.name: p.as_dict() for p in processors}
    return health
