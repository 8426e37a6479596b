"""What the asset page says about its sources must be true: authors a source cannot name."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from tests.integration.test_web_queries import seed_marts
from tests.web_helpers import OPEN_TIERS
from tickerpulse.config import Settings
from tickerpulse.web.app import create_app


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    seed_marts(engine)
    settings = Settings(_env_file=None, tier_overrides=OPEN_TIERS, page_cache_seconds=0)  # type: ignore[call-arg]
    with TestClient(create_app(settings, engine)) as test_client:
        yield test_client


def test_a_source_without_authors_shows_a_dash_and_why_not_zero(
    engine: Engine, client: TestClient
) -> None:
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE mart_asset_window SET unique_authors = 0 WHERE source_class = 'news'")
        )
    html = client.get("/asset/stock:TSLA").text
    table = html.split('id="breakdown-title"')[1].split("</section>")[0]
    news_row = next(r for r in table.split("<tr>") if "<td>news</td>" in r)
    assert '<abbr class="no-authors"' in news_row and ">0<" not in news_row
    assert "does not name its authors" in table
    social_row = next(r for r in table.split("<tr>") if "<td>social</td>" in r or ">social<" in r)
    assert "no-authors" not in social_row
