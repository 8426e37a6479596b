"""Search, sortable tables, history ranges and CSV exports through the real app, per tier.

One app (view and page caches on, as served) over seeded marts; a client per
reader: anonymous, Free, Pro and Premium (each with an API key). Every figure a
test compares comes from two routes of the app (page and CSV, CSV and API), never
from a constant typed here.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from tests.conftest import fresh_database
from tests.integration.test_web_news import seed_news
from tests.integration.test_web_queries import LATEST, document
from tests.web_helpers import HTML, add_user, platform_settings, sign_in
from tickerpulse.db.models import MartPrediction, MartPriceWindow
from tickerpulse.db.platform import User
from tickerpulse.platform import api_keys, watchlists
from tickerpulse.web.app import create_app

READERS = ("anonymous", "free", "pro", "premium")
AGES = (20, 60, 200)
"""Days before the newest window at which BTC has an extra priced window (range tests)."""
HOSTILE_OUTLETS = ('=HYPERLINK("http://evil.example")', "+1+2", "-3+4", "@SUM(A1)")


def _old_btc_windows() -> list[MartPriceWindow]:
    return [
        MartPriceWindow(
            window_start=LATEST - timedelta(days=d), asset_id="crypto:BTC", open=50000.0 + d,
            high=50100.0 + d, low=49900.0 + d, close=50000.0 + d, volume=1.0, bars=6,
            prev_close=None, return_pct=None,
        )
        for d in AGES
    ]  # fmt: skip


def _seed(engine: object) -> None:
    seed_news(engine)  # type: ignore[arg-type]
    with Session(engine) as session:  # type: ignore[call-overload]
        session.add_all(_old_btc_windows())
        for i, outlet in enumerate(HOSTILE_OUTLETS):
            session.add_all(document(f"news:h{i}", "stock:TSLA", LATEST, LATEST, "bearish",
                                     channel=outlet))  # fmt: skip
        session.add_all(
            MartPrediction(
                window_start=LATEST + timedelta(hours=6), asset_id=asset_id, model="logistic",
                model_key="logistic:v1", prob_up=prob, auc=0.56, auc_ci_low=0.52,
                auc_ci_high=0.6, hit_rate=0.55, n=400, verdict="slightly better than chance",
            )
            for asset_id, prob in (("crypto:BTC", 0.64), ("stock:TSLA", 0.38), ("crypto:ETH", 0.52))
        )  # fmt: skip
        session.commit()


@pytest.fixture(scope="module")
def readers(pg_admin_uri: str) -> Iterator[dict[str, TestClient]]:
    """A signed-in client (with an API key header) per reader; caches on, as served."""
    monkey = pytest.MonkeyPatch()
    monkey.setenv("SECRET_KEY", "explore-secret")
    monkey.setenv("ARGON2_TIME_COST", "1")
    monkey.setenv("ARGON2_MEMORY_KIB", "8192")
    with fresh_database(pg_admin_uri) as url:
        engine = create_engine(url)
        _seed(engine)
        app = create_app(platform_settings(page_cache_seconds=30), engine)
        made: dict[str, TestClient] = {}
        for reader in READERS:
            client = TestClient(app)
            client.__enter__()
            if reader != "anonymous":
                email = f"{reader}@example.com"
                add_user(engine, email, tier=reader if reader != "free" else None)
                sign_in(client, email)
                with Session(engine) as session:
                    user = session.query(User).filter_by(email=email).one()
                    key = api_keys.create_key(session, user, name="t", now=datetime.now(UTC))
                    for asset_id in ("crypto:BTC", "stock:TSLA", "crypto:ETH"):
                        watchlists.add(session, user_id=user.user_id, asked=asset_id,
                                       now=datetime.now(UTC))  # fmt: skip
                    session.commit()
                client.headers["x-api-key"] = key
            made[reader] = client
        yield made
        for client in made.values():
            client.__exit__(None, None, None)
        with engine.connect() as connection:  # the attacks left the marts as they were
            assert connection.execute(text("select count(*) from asset")).scalar()
        engine.dispose()
    monkey.undo()


def rows_of(answer_text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(answer_text)))


def symbols_in_table(html: str, caption: str = "<caption") -> list[str]:
    table = html[html.index(caption) :]
    body = table[table.index("<tbody>") : table.index("</tbody>")]
    return re.findall(r'<a href="/asset/[^"]+"><strong>([^<]+)</strong>', body)


# --- search -------------------------------------------------------------------------------


@pytest.mark.parametrize("reader", READERS)
def test_every_page_has_the_search_box_and_every_reader_may_search(
    readers: dict[str, TestClient], reader: str
) -> None:
    client = readers[reader]
    page = client.get("/", headers=HTML).text
    assert 'role="search"' in page and 'action="/search"' in page and 'role="combobox"' in page
    assert 'aria-controls="site-search-list"' in page and "search.js" in page
    found = client.get("/search/suggest", params={"q": "nvidia"}).json()["results"]
    assert found[0]["asset_id"] == "stock:NVDA" and found[0]["url"] == "/asset/stock:NVDA"
    results = client.get("/search", params={"q": "euro dollar"}, headers=HTML)
    assert results.status_code == 200 and "/asset/fx:EURUSD" in results.text


def test_the_results_page_answers_free_text_without_javascript(
    readers: dict[str, TestClient],
) -> None:
    client = readers["anonymous"]
    sol = client.get("/search", params={"q": "sol"}, headers=HTML).text
    assert symbols_in_table_free(sol)[0] == "SOL"
    nothing = client.get("/search", params={"q": "<script>x</script>"}, headers=HTML)
    assert nothing.status_code == 200 and "<script>x" not in nothing.text
    assert "&lt;script&gt;" in nothing.text
    assert client.get("/search/suggest", params={"q": "x" * 5000}).status_code == 422


def symbols_in_table_free(html: str) -> list[str]:
    return re.findall(r'<li><a href="/asset/[^"]+"><strong>([^<]+)</strong>', html)


def test_the_api_searches_the_same_way(readers: dict[str, TestClient]) -> None:
    api = readers["premium"].get("/api/v1/search", params={"q": "sol"}).json()
    site = readers["premium"].get("/search/suggest", params={"q": "sol"}).json()
    assert [r["asset_id"] for r in api["results"]] == [r["asset_id"] for r in site["results"]]
    assert readers["pro"].get("/api/v1/search", params={"q": "sol"}).status_code == 403


# --- sortable tables ----------------------------------------------------------------------


@pytest.mark.parametrize("reader", READERS)
def test_trending_sorts_by_any_column_through_the_query_string(
    readers: dict[str, TestClient], reader: str
) -> None:
    client = readers[reader]
    default = symbols_in_table(client.get("/", headers=HTML).text)
    up = client.get("/?sort=mentions&dir=asc", headers=HTML).text
    down = client.get("/?sort=mentions&dir=desc", headers=HTML).text
    assert symbols_in_table(down) == default  # the ranking is by mentions
    assert symbols_in_table(up) == list(reversed(default))
    assert 'aria-sort="ascending"' in up and "sort=mentions&amp;dir=desc" in up
    by_name = symbols_in_table(client.get("/?sort=symbol&dir=asc", headers=HTML).text)
    assert by_name == sorted(default, key=str.casefold) and set(by_name) == set(default)


def test_sorting_keeps_the_filters_and_a_filter_keeps_the_sort(
    readers: dict[str, TestClient],
) -> None:
    page = readers["pro"].get("/?class=crypto&sort=mentions&dir=asc", headers=HTML).text
    shown = symbols_in_table(page)
    assert shown and set(shown) <= {"BTC", "ETH"} and shown == ["ETH", "BTC"]
    assert 'name="sort" value="mentions"' in page  # the filter form keeps the sort
    assert "class=crypto&amp;period=6h&amp;sort=symbol" in page  # headings keep the filter


@pytest.mark.parametrize(
    "hostile",
    ["mentions; DROP TABLE asset;--", "rank' OR '1'='1", "__class__", "(select 1)", "x" * 64],
)
def test_a_hostile_sort_is_ignored_with_a_message_never_an_error(
    readers: dict[str, TestClient], hostile: str
) -> None:
    client = readers["pro"]
    default = symbols_in_table(client.get("/", headers=HTML).text)
    for path in ("/", "/predictions", "/news", "/watchlist"):
        answer = client.get(path, params={"sort": hostile, "dir": "up; --"}, headers=HTML)
        if path in ("/predictions", "/watchlist"):
            assert answer.status_code == 403  # Premium pages: the gate answers first
            continue
        assert answer.status_code == 200, path
        assert "There is no column" in answer.text
    shown = symbols_in_table(client.get("/", params={"sort": hostile}, headers=HTML).text)
    assert shown == default
    assert client.get("/", params={"sort": "x" * 65}).status_code == 422
    api = readers["premium"].get("/api/v1/trending", params={"sort": hostile})
    assert api.status_code == 422


def test_predictions_news_and_watchlist_tables_sort_and_filter(
    readers: dict[str, TestClient],
) -> None:
    client = readers["premium"]
    calls = symbols_in_table(client.get("/predictions?sort=prob_up&dir=desc", headers=HTML).text)
    assert calls == ["BTC", "ETH", "TSLA"]
    crypto = symbols_in_table(
        client.get("/predictions?class=crypto&sort=symbol", headers=HTML).text
    )
    assert crypto == ["BTC", "ETH"]
    news = client.get("/news?sort=articles&dir=asc", headers=HTML).text
    covered = symbols_in_table(news, "Assets by news articles")
    assert covered[-1] == "TSLA"  # the most covered, last when ascending
    watched = symbols_in_table(client.get("/watchlist?sort=symbol&dir=desc", headers=HTML).text)
    assert watched == ["TSLA", "ETH", "BTC"]
    only = symbols_in_table(client.get("/watchlist?class=crypto", headers=HTML).text)
    assert sorted(only) == ["BTC", "ETH"]


def test_the_api_sorts_and_pages_as_the_site(readers: dict[str, TestClient]) -> None:
    client = readers["premium"]
    page = symbols_in_table(client.get("/?sort=mentions&dir=asc", headers=HTML).text)
    first = client.get("/api/v1/trending?sort=mentions&dir=asc&limit=2").json()
    rest = client.get(
        f"/api/v1/trending?sort=mentions&dir=asc&offset={first['page']['next_offset']}"
    ).json()
    assert [r["symbol"] for r in first["rows"] + rest["rows"]] == page
    assert first["page"]["total"] == len(page) and rest["page"]["next_offset"] is None
    assert client.get("/api/v1/trending?limit=0").status_code == 422
    assert client.get("/api/v1/trending?limit=100000").status_code == 422
    assert client.get("/api/v1/trending?offset=99999").json()["rows"] == []
    calls = client.get("/api/v1/predictions?class=crypto&sort=symbol&dir=desc").json()["calls"]
    assert [c["symbol"] for c in calls] == ["ETH", "BTC"]


# --- history ranges -----------------------------------------------------------------------


def _days_charted(client: TestClient, query: str) -> set[str]:
    html = client.get(f"/asset/crypto:BTC{query}", headers=HTML).text
    found = re.search(r'id="asset-figure">(.*?)</script>', html, re.S)
    assert found
    return set(re.findall(r"\d{4}-\d\d-\d\d", found.group(1)))


def _old_days() -> dict[int, str]:
    return {d: (LATEST - timedelta(days=d)).date().isoformat() for d in AGES}


def test_a_free_reader_asking_for_90_days_gets_7_days_and_a_note(
    readers: dict[str, TestClient],
) -> None:
    client, old = readers["free"], _old_days()
    page = client.get("/asset/crypto:BTC?range=90d", headers=HTML).text
    assert "longer history comes with the Pro plan" in page
    charted = _days_charted(client, "?range=all")
    assert not set(old.values()) & charted
    custom = client.get("/asset/crypto:BTC?from=2000-01-01&to=2030-01-01", headers=HTML).text
    assert "longer history comes with the Pro plan" in custom


@pytest.mark.parametrize("reader", ["pro", "premium"])
def test_pro_and_premium_choose_a_range_and_the_chart_follows(
    readers: dict[str, TestClient], reader: str
) -> None:
    client, old = readers[reader], _old_days()
    for range_key, within in (("7d", ()), ("30d", (20,)), ("90d", (20, 60)), ("1y", AGES),
                              ("all", AGES)):  # fmt: skip
        charted = _days_charted(client, f"?range={range_key}")
        assert {old[d] for d in within} == set(old.values()) & charted, range_key


def test_custom_dates_are_premium_and_pro_is_told_so(readers: dict[str, TestClient]) -> None:
    old = _old_days()
    window = f"?from={old[60]}&to={old[60]}"
    assert set(old.values()) & _days_charted(readers["premium"], window) == {old[60]}
    pro = readers["pro"].get(f"/asset/crypto:BTC{window}", headers=HTML).text
    assert "Custom dates come with the Premium plan" in pro
    assert (
        'type="date"' not in pro
        and 'type="date"' in readers["premium"].get(f"/asset/crypto:BTC{window}", headers=HTML).text
    )


@pytest.mark.parametrize(
    "query",
    ["?from=0001-01-01&to=9999-12-31", "?from=-99999-01-01", "?from=2026-13-45&to=x",
     "?to=1999-01-01", "?range=10000y", "?from=2026-03-01&to=2026-01-01"],
)  # fmt: skip
def test_huge_or_broken_ranges_never_fail(readers: dict[str, TestClient], query: str) -> None:
    for reader in READERS:
        answer = readers[reader].get(f"/asset/crypto:BTC{query}", headers=HTML)
        assert answer.status_code == 200, (reader, answer.text[:300])
    export = readers["premium"].get(f"/export/asset/crypto:BTC/windows.csv{query}")
    assert export.status_code == 200


def test_the_compare_page_follows_the_range(readers: dict[str, TestClient]) -> None:
    old = _old_days()
    page = readers["pro"].get("/compare?assets=BTC,TSLA&range=90d", headers=HTML).text
    assert old[60] in page and old[200] not in page and "Return over the range" in page
    free = readers["free"].get("/compare?assets=BTC,TSLA&range=90d", headers=HTML)
    assert free.status_code == 403


# --- CSV export ---------------------------------------------------------------------------

EXPORTS = {
    "/export/trending.csv": (403, 403, 200, 200),
    "/export/asset/crypto:BTC/windows.csv?range=all": (403, 403, 200, 200),
    "/export/asset/crypto:BTC/lead-lag.csv": (403, 403, 200, 200),
    "/export/compare.csv?assets=BTC,TSLA": (403, 403, 200, 200),
    "/export/news-groups.csv": (403, 403, 200, 200),
    "/export/news-coverage.csv": (403, 403, 200, 200),
    "/export/predictions.csv": (403, 403, 403, 200),
    "/export/watchlist.csv": (403, 403, 403, 200),
    "/export/movers.csv": (403, 403, 200, 200),
    "/export/authors.csv": (403, 403, 403, 200),
    "/export/asset/crypto:BTC/authors.csv": (403, 403, 403, 200),
}


@pytest.mark.parametrize("path", list(EXPORTS))
def test_exports_answer_each_reader_as_the_tier_matrix_says(
    readers: dict[str, TestClient], path: str
) -> None:
    got = tuple(readers[r].get(path).status_code for r in READERS)
    assert got == EXPORTS[path]
    answer = readers["premium"].get(path)
    assert answer.headers["content-type"].startswith("text/csv")
    disposition = answer.headers["content-disposition"]
    assert re.fullmatch(r'attachment; filename="tickerpulse-[A-Za-z0-9._-]+\.csv"', disposition)


def test_a_free_reader_gets_an_upsell_not_data(readers: dict[str, TestClient]) -> None:
    answer = readers["free"].get("/export/trending.csv")
    assert answer.json() == {
        "detail": "CSV export of tables and charts needs the Pro plan",
        "required_tier": "pro",
    }
    page = readers["free"].get("/export/trending.csv", headers=HTML)
    assert page.status_code == 403 and "comes with the <strong>Pro</strong> plan" in page.text


def test_the_trending_csv_has_units_and_the_pages_numbers(readers: dict[str, TestClient]) -> None:
    client = readers["premium"]
    exported = rows_of(client.get("/export/trending.csv?sort=mentions&dir=asc").text)
    assert "return_pct (%)" in exported[0] and "mentions (count)" in exported[0]
    page = symbols_in_table(client.get("/?sort=mentions&dir=asc", headers=HTML).text)
    assert [r["symbol"] for r in exported] == page
    api = {r["symbol"]: r for r in client.get("/api/v1/trending").json()["rows"]}
    for row in exported:
        fraction = api[row["symbol"]]["return_fraction"]
        if fraction is None:
            assert row["return_pct (%)"] == ""
        else:
            assert float(row["return_pct (%)"]) == pytest.approx(fraction * 100)


def test_the_windows_csv_is_the_apis_windows_for_the_same_range(
    readers: dict[str, TestClient],
) -> None:
    client = readers["premium"]
    for query in ("range=90d", "range=all", f"from={_old_days()[60]}&to={_old_days()[20]}"):
        exported = rows_of(client.get(f"/export/asset/crypto:BTC/windows.csv?{query}").text)
        api = client.get(f"/api/v1/assets/crypto:BTC/windows?{query}").json()
        assert len(exported) == api["page"]["total"] == len(api["windows"]) > 0
        assert [float(r["close (USD)"]) for r in exported if r["close (USD)"]] == [
            w["close"] for w in api["windows"] if w["close"] is not None
        ]
    by_symbol = client.get("/export/asset/btc/windows.csv?range=all")
    assert by_symbol.text == client.get("/export/asset/crypto:BTC/windows.csv?range=all").text
    assert client.get("/export/asset/crypto:NOPE/windows.csv").status_code == 404
    paged = client.get("/api/v1/assets/crypto:BTC/windows?range=all&limit=3&offset=2").json()
    assert len(paged["windows"]) == 3 and paged["page"]["offset"] == 2


def test_csv_cells_that_look_like_formulas_are_neutralised(readers: dict[str, TestClient]) -> None:
    exported = rows_of(readers["pro"].get("/export/news-groups.csv?by=outlet&period=7d").text)
    groups = [r["group"] for r in exported]
    for outlet in HOSTILE_OUTLETS:
        assert "'" + outlet in groups
    assert not [g for g in groups if g[:1] in ("=", "+", "-", "@")]
    tones = [r["tone (-1 bearish to +1 bullish)"] for r in exported]
    assert any(t.startswith("-") for t in tones)  # negative numbers stay numbers


def test_the_pricing_page_lists_the_new_features_under_their_plans(
    readers: dict[str, TestClient],
) -> None:
    page = readers["anonymous"].get("/pricing", headers=HTML).text
    free, pro, premium = (page[page.index(f'id="plan-{t}"') :] for t in ("free", "pro", "premium"))
    free = free[: free.index("</section>")]
    pro = pro[: pro.index("</section>")]
    premium = premium[: premium.index("</section>")]
    for plan in (free, pro, premium):
        assert "Ticker search" in plan and "Tables sorted and filtered" in plan
    assert "CSV export" not in free and "CSV export" in pro and "CSV export" in premium
    assert "History ranges" not in free and "History ranges" in pro
    assert "Custom date ranges" in premium and "Custom date ranges" not in pro


def test_the_news_groups_table_sorts_on_its_own_and_exports_as_shown(
    readers: dict[str, TestClient],
) -> None:
    client = readers["premium"]
    page = client.get("/news?by=outlet&gsort=group&gdir=asc&sort=articles&dir=asc", headers=HTML)
    caption = page.text.index("Articles and tone by")
    table = page.text[caption : page.text.index("</tbody>", caption)]
    shown = [unescape(g) for g in re.findall(r"<tr><td>([^<]*)</td>", table)]
    assert len(shown) > 2 and shown == sorted(shown, key=str.casefold)
    assert 'aria-sort="ascending"' in table
    links = re.findall(r'class="sort" href="([^"]+)"', table)
    assert all("sort=articles" in unescape(h) and "dir=asc" in unescape(h) for h in links)
    exported = rows_of(client.get("/export/news-groups.csv?by=outlet&gsort=group&gdir=asc").text)
    assert [r["group"].lstrip("'") for r in exported] == [g.lstrip("'") for g in shown]
    assert covered_last(page.text) == "TSLA"  # the coverage table kept its own sort


def covered_last(html: str) -> str:
    return symbols_in_table(html, "Assets by news articles")[-1]


@pytest.mark.parametrize("chart", ["lead-lag", "events"])
def test_relation_csvs_of_an_unknown_asset_are_not_found(
    readers: dict[str, TestClient], chart: str
) -> None:
    assert readers["premium"].get(f"/export/asset/crypto:NOPE/{chart}.csv").status_code == 404
    by_id = readers["premium"].get(f"/export/asset/crypto:BTC/{chart}.csv")
    by_symbol = readers["premium"].get(f"/export/asset/BTC/{chart}.csv")
    assert by_id.status_code == by_symbol.status_code == 200 and by_id.text == by_symbol.text
    assert readers["premium"].get(f"/export/asset/NOPE/{chart}.csv").status_code == 404
