"""Health: is the app up and answering, and which window did the marts last publish."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from tickerpulse.web import queries
from tickerpulse.web.deps import SessionDep, SettingsDep
from tickerpulse.web.formatting import iso
from tickerpulse.web.metrics import AdmissionGate

router = APIRouter()


@router.get("/healthz", response_model=None)
def healthz(
    request: Request, session: SessionDep, settings: SettingsDep
) -> dict[str, Any] | JSONResponse:
    """``{"status": "ok", "latest_window": <ISO UTC start or null>}``.

    503 with the reason when every request place has been held longer than
    ``WEB_STUCK_SECONDS`` (the process lives but answers nobody), or when the
    database is down (see :mod:`tickerpulse.web.outage`).
    """
    gate: AdmissionGate = request.app.state.admission
    stuck = gate.stuck_for()
    if stuck > settings.web_stuck_seconds:
        reason = f"all {gate.places} request places held for {stuck:.0f} s"
        return JSONResponse({"status": "stuck", "reason": reason}, status_code=503)
    window = queries.latest_window(session)
    return {"status": "ok", "latest_window": None if window is None else iso(window)}
