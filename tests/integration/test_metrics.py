"""/metrics: request latency by route template and cycle health read from the ledger."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine, create_engine, text

from tests.web_helpers import OPEN_TIERS
from tickerpulse.config import Settings
from tickerpulse.jobs.cycle import run_cycle
from tickerpulse.streaming.bars import Bar
from tickerpulse.streaming.processor import upsert_live_bars
from tickerpulse.web.app import create_app
from tickerpulse.web.metrics import LedgerCollector

from .cycle_helpers import make_context, small_world

TOKEN = "scrape-token"


def samples(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics", headers={"authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    with TestClient(
        create_app(Settings(_env_file=None, tier_overrides=OPEN_TIERS, metrics_token=TOKEN), engine)
    ) as test_client:
        yield test_client


def test_metrics_need_the_token_and_are_off_without_one(client: TestClient, engine: Engine) -> None:
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", headers={"authorization": "Bearer guess"})
    assert wrong.status_code == 401 and "tickerpulse_" not in wrong.text
    with TestClient(create_app(Settings(_env_file=None), engine)) as no_token:
        off = no_token.get("/metrics", headers={"authorization": f"Bearer {TOKEN}"})
        assert off.status_code == 404 and "METRICS_TOKEN" in off.text


def test_an_empty_ledger_still_answers(client: TestClient) -> None:
    found = samples(client)
    assert found[("tickerpulse_ledger_up", ())] == 1
    assert not any(name == "tickerpulse_cycle_stage_seconds" for name, _ in found)


def test_cycle_stages_sources_and_requests_are_measured(
    client: TestClient, engine: Engine, lake_dir: Path
) -> None:
    world = small_world(days=1)
    ctx = make_context(engine, str(lake_dir), world)
    for window in world.windows:
        run_cycle(ctx, window)
    client.get("/asset/crypto:BTC")
    client.get("/asset/crypto:ETH")
    found = samples(client)
    for stage in ("land", "normalize", "enrich", "aggregate", "publish"):
        assert found[("tickerpulse_cycle_stage_seconds", (("stage", stage),))] >= 0
        assert found[("tickerpulse_cycle_failed_stages", (("stage", stage),))] == 0
    assert found[("tickerpulse_cycle_stage_rows", (("stage", "land"),))] > 0
    assert found[("tickerpulse_source_cursor_age_seconds", (("source", "reddit"),))] >= 0
    assert ("tickerpulse_published_window_age_seconds", ()) in found
    # both asset pages land in one series labelled by the route template, not the raw path
    key = (
        "tickerpulse_http_request_seconds_count",
        (("method", "GET"), ("route", "/asset/{asset_id}"), ("status", "200")),
    )
    assert found[key] == 2


def test_a_database_outage_is_a_metric_not_a_failed_scrape(tmp_path: Path) -> None:
    unreachable = create_engine(f"postgresql+psycopg://nobody@/none?host={tmp_path}")
    families = list(LedgerCollector(unreachable).collect())
    assert [(f.name, [s.value for s in f.samples]) for f in families] == [
        ("tickerpulse_ledger_up", [0])
    ]


def test_the_live_lag_is_the_age_of_the_newest_bar_written(
    client: TestClient, engine: Engine
) -> None:
    assert not any(name == "tickerpulse_live_lag_seconds" for name, _ in samples(client))
    bar = Bar("AAPL", 60, 1_764_633_600_000, 1.0, 2.0, 0.5, 1.5, 10.0, 1.2, 3, final=False)
    with engine.begin() as conn:
        upsert_live_bars(conn, [bar])
        conn.execute(text("UPDATE live_bar SET updated_at = now() - interval '90 seconds'"))
    lag = samples(client)[("tickerpulse_live_lag_seconds", (("interval_s", "60"),))]
    assert 90 <= lag < 150
    with engine.begin() as conn:
        upsert_live_bars(conn, [bar])  # the processor writes it again: the lag starts over
    assert samples(client)[("tickerpulse_live_lag_seconds", (("interval_s", "60"),))] < 30
