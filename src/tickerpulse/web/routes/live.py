"""The live page (``/live``) and its Server-Sent Events stream (``/live/stream``), Premium."""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from sqlalchemy.orm import Session, sessionmaker

from tickerpulse.platform.tiers import Feature
from tickerpulse.web import charts, live
from tickerpulse.web.auth import require
from tickerpulse.web.deps import SessionDep, SettingsDep, TemplatesDep
from tickerpulse.web.live_hub import LiveHub

router = APIRouter(dependencies=[Depends(require(Feature.LIVE))])
STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


@router.get("/live", response_class=HTMLResponse)
def live_page(
    request: Request, session: SessionDep, templates: TemplatesDep, symbols: str | None = None
) -> Response:
    """1-minute bars of a few symbols and the online model's calls, updated as they close."""
    chosen = live.choose_symbols(session, asked=symbols)
    shot = live.snapshot(session, symbols=chosen.chosen)
    figures = {s: charts.figure_json(charts.live_figure(s, shot["bars"][s])) for s in chosen.chosen}
    context = {
        "symbols": chosen, "shot": shot, "figures": figures,
        "snapshot_json": charts.figure_json(shot),
    }  # fmt: skip
    return templates.TemplateResponse(request, "live.html", context)


def _snapshot(factory: sessionmaker[Session], symbols: list[str]) -> dict[str, Any]:
    with factory() as session:
        return live.snapshot(session, symbols=symbols)


@router.get("/live/stream")
def live_stream(
    request: Request, session: SessionDep, settings: SettingsDep, symbols: str | None = None
) -> StreamingResponse:
    """Server-Sent Events: a ``snapshot``, then ``bar`` and ``prediction`` events, heartbeats."""
    chosen = live.choose_symbols(session, asked=symbols, keep_unknown=True).chosen
    session.close()  # the stream may last minutes: give the connection back now
    hub: LiveHub = request.app.state.live_hub
    events = live.live_events(
        hub,
        partial(_snapshot, request.app.state.sessionmaker, chosen),
        chosen,
        heartbeat_s=settings.live_heartbeat_seconds,
        max_s=settings.live_stream_max_seconds,
    )
    return StreamingResponse(events, media_type="text/event-stream", headers=STREAM_HEADERS)
