"""The movers and authors tables sort by any column and export as CSV, as the other tables do."""

from __future__ import annotations

import csv
import io
import re
from html import unescape

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.integration.insight_world import SAGE, SPAMMER
from tests.integration.test_insight_pages import body_rows, reader, world
from tests.web_helpers import HTML

__all__ = ["world"]


def asset_ids(html: str) -> list[str]:
    return [m.group(1) for r in body_rows(html) if (m := re.search(r"/asset/([\w:]+)", r))]


def symbols(html: str) -> list[str]:
    return re.findall(r"<strong>([^<]+)</strong>", "".join(body_rows(html)))


def first_cells(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", r.split("</td>")[0]) for r in body_rows(html)]


def csv_rows(client: TestClient, path: str) -> list[dict[str, str]]:
    answer = client.get(path)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(answer.text)))


def test_movers_sort_by_any_column_and_keep_the_filter(world: Engine) -> None:
    with reader(world, "pro") as client:
        page = client.get("/movers?class=crypto&sort=symbol&dir=asc", headers=HTML).text
        ranked = symbols(client.get("/movers?class=crypto", headers=HTML).text)
    shown = symbols(page)
    assert sorted(shown) == sorted(ranked) and shown == sorted(shown, key=str.casefold)
    assert shown != ranked
    assert 'aria-sort="ascending"' in page
    links = [unescape(h) for h in re.findall(r'class="sort" href="([^"]+)"', page)]
    assert len(links) == 9 and all("class=crypto" in h for h in links)


def test_a_free_reader_sorting_movers_sorts_only_their_top_10(world: Engine) -> None:
    with reader(world, "free") as client:
        ranked = symbols(client.get("/movers", headers=HTML).text)
        by_symbol = symbols(client.get("/movers?sort=symbol&dir=desc", headers=HTML).text)
    assert len(ranked) == 10 and sorted(by_symbol) == sorted(ranked)
    assert by_symbol == sorted(ranked, key=str.casefold, reverse=True)


def test_the_movers_csv_is_pro_and_up_with_the_pages_rows_and_units(world: Engine) -> None:
    for who in ("anonymous", "free"):
        with reader(world, who) as client:
            assert client.get("/export/movers.csv").status_code == 403
    with reader(world, "pro") as client:
        query = "sort=mentions&dir=asc&class=crypto"
        page = asset_ids(client.get(f"/movers?{query}", headers=HTML).text)
        exported = csv_rows(client, f"/export/movers.csv?{query}")
        linked = client.get("/movers", headers=HTML).text
    assert [r["asset_id"] for r in exported] == page
    assert "mention_change (% against the 7-day mean)" in exported[0]
    assert "share_of_voice (% of its class's mentions)" in exported[0]
    assert 'href="/export/movers.csv?' in linked


def test_authors_sort_and_export_for_premium_only(world: Engine) -> None:
    with reader(world, "pro") as client:
        assert client.get("/export/authors.csv").status_code == 403
        assert client.get("/export/asset/crypto:BTC/authors.csv").status_code == 403
    with reader(world, "premium") as client:
        ranked = first_cells(client.get("/authors", headers=HTML).text)
        by_rate = client.get("/authors?sort=hit_rate&dir=asc", headers=HTML).text
        exported = csv_rows(client, "/export/authors.csv?sort=hit_rate&dir=asc")
        on_btc = client.get("/asset/crypto:BTC/authors?sort=posts&dir=asc", headers=HTML).text
        btc_csv = csv_rows(client, "/export/asset/crypto:BTC/authors.csv?sort=posts&dir=asc")
        missing = client.get("/export/asset/crypto:NOPE/authors.csv")
    assert ranked[0] == SAGE and first_cells(by_rate)[-1] == SAGE
    assert [r["author (pseudonymous id)"] for r in exported] == first_cells(by_rate)
    assert "hit_rate (%)" in exported[0] and SPAMMER not in {
        r["author (pseudonymous id)"] for r in exported
    }
    assert [r["author (pseudonymous id)"] for r in btc_csv] == first_cells(on_btc)
    posts = [int(r["posts (count)"]) for r in btc_csv]
    assert posts == sorted(posts) and 'aria-sort="ascending"' in on_btc
    assert missing.status_code == 404
