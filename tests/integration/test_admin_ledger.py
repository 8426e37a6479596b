"""/admin/ledger: admins only; shows stages, source errors and price gaps."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.web_helpers import add_user, platform_settings, sign_in
from tickerpulse.db.state import save_cursor
from tickerpulse.jobs.cycle import run_cycle
from tickerpulse.web.app import create_app

from .cycle_helpers import make_context, small_world


def test_admins_see_the_ledger_source_errors_and_nobody_else(
    engine: Engine, lake_dir: Path
) -> None:
    world = small_world(days=1)
    ctx = make_context(engine, str(lake_dir), world)
    run_cycle(ctx, world.windows[0])
    save_cursor(engine, "finnhub", {"health": {"prices": {"last_error": "prices unavailable"}}})
    add_user(engine, "reader@example.com", tier="premium")
    add_user(engine, "ops@example.com", role="admin")
    with TestClient(create_app(platform_settings(), engine)) as client:
        assert client.get("/admin/ledger").status_code == 401
        sign_in(client, "reader@example.com")
        assert client.get("/admin/ledger").status_code == 403
    with TestClient(create_app(platform_settings(), engine)) as client:
        sign_in(client, "ops@example.com")
        page = client.get("/admin/ledger")
    assert page.status_code == 200
    html = page.text
    for stage in ("land", "normalize", "enrich", "aggregate", "publish"):
        assert f"<td>{stage}</td>" in html
    assert "prices: prices unavailable" in html and "<td>reddit</td>" in html
    assert "No missing hourly bars reported." in html
