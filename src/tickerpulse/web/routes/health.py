"""Health: is the app answering, which window was last published, is the live processor up."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from tickerpulse.web import queries
from tickerpulse.web.deps import SessionDep, SettingsDep
from tickerpulse.web.formatting import iso
from tickerpulse.web.metrics import AdmissionGate
from tickerpulse.web.stream_health import processor_health

router = APIRouter()


@router.get("/healthz", response_model=None)
def healthz(
    request: Request, session: SessionDep, settings: SettingsDep
) -> dict[str, Any] | JSONResponse:
    """``{"status": "ok" or "degraded", "latest_window", "stream_processors"}``.

    ``degraded`` while a supervised stream processor is down (see
    :mod:`~tickerpulse.web.stream_health`); the site itself still serves. 503 with
    the reason when every request place has been held longer than
    ``WEB_STUCK_SECONDS`` (the process lives but answers nobody), or when the
    database is down (see :mod:`tickerpulse.web.outage`).
    """
    gate: AdmissionGate = request.app.state.admission
    stuck = gate.stuck_for()
    if stuck > settings.web_stuck_seconds:
        reason = f"all {gate.places} request places held for {stuck:.0f} s"
        return JSONResponse({"status": "stuck", "reason": reason}, status_code=503)
    window = queries.latest_window(session)
    processors = processor_health(session)
    health: dict[str, Any] = {
        "status": "degraded" if any(p.down for p in processors) else "ok",
        "latest_window": None if window is None else iso(window),
    }
    if processors:  # only where a live stream has ever run
        health["stream_processors"] = {p.name: p.as_dict() for p in processors}
    return health
