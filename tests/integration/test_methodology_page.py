"""The public methodology page: live volumes from the marts and the measured accuracy file."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from tests.integration.test_web_queries import LATEST, W, document, stat
from tests.web_helpers import HTML, add_user, platform_settings, sign_in
from tickerpulse.db.marts import sync_assets
from tickerpulse.universe import load_universe
from tickerpulse.web.app import create_app
from tickerpulse.web.methodology import FIGURES, VOLUME_WINDOWS

OLD = LATEST - VOLUME_WINDOWS * W
"""One window before the counted week: its volumes must not count."""


def seed_volumes(engine: Engine) -> None:
    """Reddit, X and news mentions and documents in the last week, and some older ones."""
    sync_assets(engine, load_universe())
    with Session(engine) as session:
        session.add_all([
            stat(LATEST, "crypto:BTC", 70, 0.5),  # the all/all rows are not a source
            stat(LATEST, "crypto:BTC", 40, 0.5, "social", "reddit"),
            stat(LATEST - W, "stock:TSLA", 12, 0.1, "social", "reddit"),
            stat(LATEST, "crypto:BTC", 30, 0.4, "social", "x"),
            stat(LATEST, "crypto:BTC", 9, 0.2, "news", "news"),
            stat(OLD, "crypto:BTC", 500, 0.2, "social", "reddit"),
        ])  # fmt: skip
        for i in range(3):
            session.add_all(document(f"reddit:{i}", "crypto:BTC", LATEST, LATEST, "bullish",
                                     kind="post", source="reddit"))  # fmt: skip
        session.add_all(document("news:1", "crypto:BTC", LATEST - W, LATEST - W, "neutral"))
        session.add_all(document("reddit:old", "crypto:BTC", OLD, OLD, "bullish", kind="post",
                                 source="reddit"))  # fmt: skip
        session.commit()


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    seed_volumes(engine)
    with TestClient(create_app(platform_settings(), engine)) as c:
        yield c


def volume_rows(html: str) -> dict[str, list[str]]:
    table = html[html.index('<table class="volumes">') :]
    body = table[table.index("<tbody>") : table.index("</tbody>")]
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        cells = [
            unescape(re.sub(r"<[^>]+>", "", c)).strip()
            for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        rows[cells[0]] = cells[1:]
    return rows


def test_anyone_reads_it_with_the_last_weeks_volumes_per_source(client: TestClient) -> None:
    response = client.get("/methodology", headers=HTML)
    assert response.status_code == 200
    rows = volume_rows(response.text)
    assert rows == {
        "reddit": ["social", "3", "52", "2"],
        "x": ["social", "0", "30", "1"],
        "news": ["news", "1", "9", "1"],
    }
    assert list(rows) == ["reddit", "news", "x"]  # busiest first
    assert "00:00, 06:00, 12:00, 18:00 UTC" in response.text


def test_it_shows_the_accuracy_the_figures_file_holds(client: TestClient) -> None:
    html = unescape(client.get("/methodology", headers=HTML).text)
    figures = json.loads(FIGURES.read_text(encoding="utf-8"))
    tagging = figures["tagging"]
    ours = tagging["by_class"]["all"]
    assert f'data-figure="tagging-precision">{ours["precision"]:.3f}<' in html
    assert f'data-figure="tagging-recall">{ours["recall"]:.3f}<' in html
    assert f"measured {tagging['measured']}" in html
    for asset_class, score in tagging["by_class"].items():
        assert re.search(
            rf"<th scope=\"row\">{asset_class}</th><td class=\"num\">{score['precision']:.3f}</td>"
            rf"<td class=\"num\">{score['recall']:.3f}</td>",
            html,
        ), asset_class
    sentiment = figures["sentiment"]
    for name, model in sentiment["models"].items():
        row = html[html.index(f'<th scope="row">{name}') :].split("</tr>")[0]
        for title in sentiment["sets"]:
            if title in model["sets"]:
                s = model["sets"][title]
                assert f"{s['macro_f1']:.3f} ({s['accuracy']:.3f})" in row, (name, title)
    assert f"<code>{sentiment['default_model']}</code>" in html


def test_it_marks_the_sentiment_model_this_site_runs(engine: Engine) -> None:
    """An operator who sets SENTIMENT_MODEL sees that model as the one in use, not the default."""
    seed_volumes(engine)
    with TestClient(create_app(platform_settings(sentiment_model="routed"), engine)) as c:
        html = unescape(c.get("/methodology", headers=HTML).text)
    assert "<code>routed-v1</code>" in html
    in_use = re.findall(r'<tr class="in-use"><th scope="row">([^<]+)', html)
    assert [name.strip() for name in in_use] == ["routed-v1"]


def test_it_says_what_the_records_do_not_mean(client: TestClient) -> None:
    html = client.get("/methodology", headers=HTML).text
    for words in ("out of sample", "pooled", "per-asset", "nothing on this site is investment advice",
                  "not a forecast"):  # fmt: skip
        assert words in html.replace("<strong>", "").replace("</strong>", ""), words


def test_the_footer_and_the_pricing_page_link_it(client: TestClient) -> None:
    assert 'href="/methodology"' in client.get("/", headers=HTML).text
    assert 'href="/methodology"' in client.get("/pricing", headers=HTML).text


def test_before_any_window_it_says_so(engine: Engine) -> None:
    with TestClient(create_app(platform_settings(), engine)) as c:
        html = c.get("/methodology", headers=HTML).text
    assert "No window has been published yet" in html
    assert "precision" in html  # the accuracy does not need the marts


def test_the_counted_week_ends_with_the_newest_window(client: TestClient) -> None:
    html = client.get("/methodology", headers=HTML).text
    first = LATEST - (VOLUME_WINDOWS - 1) * W
    assert f'datetime="{first:%Y-%m-%dT%H:%M:%SZ}"' in html
    assert f'datetime="{LATEST + timedelta(hours=6):%Y-%m-%dT%H:%M:%SZ}"' in html


def test_a_signed_in_reader_stays_signed_in_on_it(engine: Engine, client: TestClient) -> None:
    add_user(engine, "reader@example.com", tier="pro")
    sign_in(client, "reader@example.com")
    page = client.get("/methodology", headers=HTML).text
    assert "reader@example.com" in page and "Sign out" in page and "Sign in" not in page
