"""What the asset page says about its sources must be true: authors a source cannot name."""

from collections.abc import Iterator
from pathlib import Path

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


def test_spam_posts_count_for_no_asset_and_their_share_shows_per_source(
    engine: Engine, lake_dir: Path
) -> None:
    from tickerpulse.jobs.cycle import run_cycle

    from .cycle_helpers import make_context, small_world

    world = small_world(days=1)
    ctx = make_context(engine, str(lake_dir), world)
    for window in world.windows:
        run_cycle(ctx, window)
    truth = {
        r["doc_id"]: r["spam"] for w in world.windows for r in world.truth_documents(w).to_pylist()
    }
    with engine.connect() as conn:
        flagged = (
            conn.execute(
                text("SELECT doc_id FROM mart_document WHERE sentiment_flags LIKE '%spam%'")
            )
            .scalars()
            .all()
        )
        linked = conn.execute(
            text(
                "SELECT count(*) FROM mart_document_asset AS a JOIN mart_document AS d"
                " USING (doc_id) WHERE d.sentiment_flags LIKE '%spam%'"
            )
        ).scalar_one()
        per_source = dict(
            conn.execute(
                text(
                    "SELECT source, sum(spam_mentions) FROM mart_asset_window"
                    " WHERE source_class = 'social' AND source != 'all' GROUP BY source"
                )
            ).all()
        )
        mentions_match = conn.execute(
            text(
                "SELECT bool_and(w.mentions = (SELECT count(*) FROM mart_document_asset AS a"
                " WHERE a.asset_id = w.asset_id AND a.window_start = w.window_start))"
                " FROM mart_asset_window AS w WHERE source_class = 'all' AND source = 'all'"
            )
        ).scalar_one()
    assert flagged and all(truth[d] for d in flagged)  # every flagged post was spam
    assert linked == 0 and mentions_match  # spam mentions nothing, counts nowhere
    assert sum(per_source.values()) >= len(flagged)  # each spam post names one asset or more


def test_the_source_table_shows_the_spam_share(engine: Engine, client: TestClient) -> None:
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE mart_asset_window SET spam_mentions = 10, mentions = 30"
                " WHERE source_class = 'social' AND source != 'all' AND asset_id = 'stock:TSLA'"
            )
        )
    html = client.get("/asset/stock:TSLA").text
    table = html.split('id="breakdown-title"')[1].split("</section>")[0]
    assert ">Spam</th>" in table and "25 %" in table and "(10)" in table
