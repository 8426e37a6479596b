"""/admin/ledger: off by default, password-protected when on, shows stages, sources and gaps."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tickerpulse.config import Settings
from tickerpulse.db.state import save_cursor
from tickerpulse.jobs.cycle import run_cycle
from tickerpulse.web.app import create_app

from .cycle_helpers import make_context, small_world


def test_the_page_does_not_exist_without_a_password(engine: Engine) -> None:
    with TestClient(create_app(Settings(_env_file=None), engine)) as client:  # type: ignore[call-arg]
        assert client.get("/admin/ledger").status_code == 404


def test_operators_see_the_ledger_source_errors_and_nobody_else(
    engine: Engine, lake_dir: Path
) -> None:
    world = small_world(days=1)
    ctx = make_context(engine, str(lake_dir), world)
    run_cycle(ctx, world.windows[0])
    save_cursor(engine, "finnhub", {"health": {"prices": {"last_error": "prices unavailable"}}})
    settings = Settings(_env_file=None, admin_password="s3cret")  # type: ignore[call-arg]
    with TestClient(create_app(settings, engine)) as client:
        refused = client.get("/admin/ledger")
        assert refused.status_code == 401 and "Basic" in refused.headers["www-authenticate"]
        assert client.get("/admin/ledger", auth=("admin", "wrong")).status_code == 401
        page = client.get("/admin/ledger", auth=("admin", "s3cret"))
    assert page.status_code == 200
    html = page.text
    for stage in ("land", "normalize", "enrich", "aggregate", "publish"):
        assert f"<td>{stage}</td>" in html
    assert "prices: prices unavailable" in html and "<td>reddit</td>" in html
    assert "No missing hourly bars reported." in html
