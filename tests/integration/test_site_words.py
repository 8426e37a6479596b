"""What the site shows is true, consistent and readable: API units, words, explanations, formats.

Against the real app over seeded marts in embedded Postgres (see tests/web_helpers.py).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from html import unescape

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from tests.integration.test_api import new_key
from tests.integration.test_web_pages import table_rows
from tests.integration.test_web_queries import LATEST, W, seed_marts, stat, weak_btc_relation
from tests.web_helpers import HTML, OPEN_TIERS, add_user, platform_settings, sign_in
from tickerpulse.db.marts import sync_assets
from tickerpulse.db.models import MartPrediction
from tickerpulse.db.platform import EditorialPost
from tickerpulse.universe import load_universe
from tickerpulse.web.app import create_app

ISO_WITH_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")


def _prediction(asset_id: str, prob: float) -> MartPrediction:
    return MartPrediction(
        window_start=LATEST + W, asset_id=asset_id, model="logistic", model_key="logistic:v1",
        prob_up=prob, auc=0.64, auc_ci_low=0.6, auc_ci_high=0.68, hit_rate=0.58, n=4816,
        verdict="modestly better than a coin flip out of sample (AUC = 0.64, 95% CI 0.60…0.68)",
    )  # fmt: skip


def _premium_api(engine: Engine) -> tuple[TestClient, dict[str, str]]:
    add_user(engine, "api@example.com", tier="premium")
    client = TestClient(create_app(platform_settings(), engine))
    sign_in(client, "api@example.com")
    return client, {"authorization": f"Bearer {new_key(client)}"}


def test_api_returns_say_their_unit_and_every_field_is_described(engine: Engine) -> None:
    seed_marts(engine)
    client, auth = _premium_api(engine)
    with client:
        spec = client.get("/api/v1/openapi.json").json()
        rows = client.get("/api/v1/trending", headers=auth).json()["rows"]
        page = client.get("/").text
    undescribed = [
        f"{name}.{field}"
        for name, schema in spec["components"]["schemas"].items()
        for field, prop in schema.get("properties", {}).items()
        if not prop.get("description")
        or not ({"type", "anyOf", "$ref", "allOf"} & set(prop) or field == "input")
    ]  # a 422's "input" echoes the value that was sent: any JSON type
    assert not undescribed, undescribed
    row = spec["components"]["schemas"]["TrendingRow"]["properties"]
    assert "fraction" in row["return_fraction"]["description"]
    assert (
        row["return_pct"]["deprecated"] is True and "fraction" in row["return_pct"]["description"]
    )
    for operation in spec["paths"].values():
        for parameter in operation["get"].get("parameters", []):
            assert parameter["description"], parameter
    class_query = spec["paths"]["/trending"]["get"]["parameters"][0]
    assert class_query["name"] == "class"
    assert class_query["schema"]["anyOf"][0]["enum"] == ["stock", "etf", "crypto", "fx"]
    period = spec["components"]["schemas"]["TrendingOut"]["properties"]["period"]
    assert period["enum"] == ["6h", "24h", "7d"]
    classes = row["asset_class"]
    assert classes["enum"] == ["stock", "etf", "crypto", "fx"]
    btc = next(r for r in rows if r["asset_id"] == "crypto:BTC")
    assert btc["return_fraction"] == btc["return_pct"] and abs(btc["return_fraction"]) < 1
    assert f"{btc['return_fraction'] * 100:+.2f} %" in table_rows(page)[0]


def test_api_answers_a_bare_symbol_as_the_site_does(engine: Engine) -> None:
    seed_marts(engine)
    client, auth = _premium_api(engine)
    with client:
        by_id = client.get("/api/v1/assets/stock:TSLA/windows", headers=auth)
        bare = client.get("/api/v1/assets/TSLA/windows", headers=auth)
        relation = client.get("/api/v1/assets/TSLA/relation", headers=auth)
        unknown = client.get("/api/v1/assets/NOPE/windows", headers=auth)
    assert bare.status_code == 200 and bare.json() == by_id.json()
    assert bare.json()["asset_id"] == "stock:TSLA"
    assert relation.status_code == 200 and relation.json()["asset_id"] == "stock:TSLA"
    assert unknown.status_code == 404 and "stock:AAPL" in unknown.json()["detail"]


def test_api_predictions_model_record_carries_no_other_assets_probability(engine: Engine) -> None:
    seed_marts(engine)
    with Session(engine) as session:  # SOL is the most confident call, listed first
        session.add_all([_prediction("crypto:SOL", 0.9), _prediction("crypto:BTC", 0.55)])
        session.commit()
    client, auth = _premium_api(engine)
    with client:
        answer = client.get("/api/v1/predictions", headers=auth).json()
    assert "prob_up" not in answer["model"] and answer["model"]["auc"] == 0.64
    assert {c["asset_id"]: c["prob_up"] for c in answer["calls"]} == {
        "crypto:SOL": 0.9, "crypto:BTC": 0.55,
    }  # fmt: skip


def test_api_docs_page_is_titled_after_the_product_and_knows_the_reader(engine: Engine) -> None:
    seed_marts(engine)
    client, _ = _premium_api(engine)
    with client:
        docs = client.get("/api/v1/docs", headers=HTML).text
    assert "<h1>tickerpulse API, version 1</h1>" in docs
    assert "`" not in docs
    assert "api@example.com" in docs and "Sign out" in docs
    assert "return_fraction" in docs and "-0.0134" in docs
    assert "One of 6h, 24h, 7d." in docs


def test_customers_are_not_told_commands_paths_or_settings_but_operators_are(
    engine: Engine,
) -> None:
    sync_assets(engine, load_universe())
    add_user(engine, "admin@example.com", role="admin")
    add_user(engine, "pro@example.com", tier="premium")
    settings = platform_settings(tier_overrides=OPEN_TIERS)
    pages = ("/", "/asset/stock:AAPL", "/news", "/predictions", "/live")
    with TestClient(create_app(settings, engine)) as customer:
        sign_in(customer, "pro@example.com")
        for path in pages:
            html = customer.get(path, headers=HTML).text
            assert "docs/" not in html and "<code>" not in html, path
            assert not re.search(r"\b[A-Z]{3,}_[A-Z_]{3,}\b", html), path
            assert "tickerpulse " not in html.replace("tickerpulse</a>", ""), path
    with TestClient(create_app(settings, engine)) as operator:
        sign_in(operator, "admin@example.com")
        assert "Operators: run <code>tickerpulse cycle run</code>" in operator.get("/").text
        assert (
            "Operators: run <code>tickerpulse analytics</code>" in operator.get("/predictions").text
        )


def test_a_missing_price_and_the_column_headings_explain_themselves(engine: Engine) -> None:
    seed_marts(engine)
    with TestClient(create_app(platform_settings(tier_overrides=OPEN_TIERS), engine)) as client:
        trending = client.get("/").text
        asset = client.get("/asset/stock:AAPL").text
        compare = client.get("/compare?assets=BTC,EURUSD").text
    eur = next(r for r in table_rows(trending) if "fx:EURUSD" in r)
    assert '<abbr class="no-price" title="No price for this window: the market was closed' in eur
    # the heading (a link that sorts by it) says what it counts
    assert re.search(
        r'title="Posts and articles that name the asset in the period"><a [^>]+>Mentions', trending
    )
    assert "Mean sentiment of the mentions, from −1 (bearish) to +1 (bullish)" in trending
    assert "A “–” for a price or return means no price in that window" in trending
    for html in (asset, compare):
        assert "the market was closed" in html


def test_pro_readers_can_list_every_mentioned_asset_free_readers_see_twenty(
    engine: Engine,
) -> None:
    seed_marts(engine)
    busy = [a for a in load_universe().assets if a.asset_class == "stock"][10:40]
    with Session(engine) as session:
        for window in (LATEST, LATEST - timedelta(days=1)):  # Pro's window and Free's
            session.add_all(stat(window, a.asset_id, 30 + i, 0.1) for i, a in enumerate(busy))
        session.commit()
    add_user(engine, "pro@example.com", tier="pro")
    with TestClient(create_app(platform_settings(), engine)) as client:
        free_all = client.get("/?show=all").text
        sign_in(client, "pro@example.com")
        top = client.get("/").text
        every = client.get("/?show=all").text
    assert len(table_rows(top)) == 25 and 'href="/?period=6h&amp;show=all"' in top
    assert len(table_rows(every)) == 34 and "Every asset mentioned in the period (34)" in every
    assert "Show every mentioned asset" not in every
    assert len(table_rows(free_all)) == 20 and "Show every mentioned asset" not in free_all


def test_posts_read_as_text_with_readable_dates_and_are_in_the_navigation(
    engine: Engine,
) -> None:
    seed_marts(engine)
    with Session(engine) as session:
        session.add(
            EditorialPost(
                title="Why BTC rallied", body_md="## Funding\n\n**BTC** rallied as *funding*"
                " turned; see [the chart](https://example.com/c).\n\nMore.",
                min_tier="free", publish_at=datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC),
                created_at=datetime(2026, 3, 1, tzinfo=UTC), updated_at=datetime(2026, 3, 1, tzinfo=UTC),
            )
        )  # fmt: skip
        session.commit()
    with TestClient(create_app(platform_settings(), engine)) as client:
        listing = client.get("/posts").text
        home = client.get("/").text
    assert 'href="/posts">Analyses</a>' in home
    assert "2026-03-01 09:30 UTC" in listing and not ISO_WITH_TIME.search(listing)
    assert "Funding" in listing and "**" not in listing and "##" not in listing


def test_admin_console_agrees_on_the_plan_and_reads_like_a_page(engine: Engine) -> None:
    seed_marts(engine)
    add_user(engine, "admin@example.com", role="admin")
    with TestClient(create_app(platform_settings(), engine)) as client:
        sign_in(client, "admin@example.com")
        console = client.get("/admin", headers=HTML).text
    assert "Admin · Premium" in console
    admin_row = next(r for r in re.findall(r"<tr>(.*?)</tr>", console) if "admin@example" in r)
    assert "Free" in admin_row and "as staff reads every page as Premium" in admin_row
    assert not ISO_WITH_TIME.search(re.sub(r'(datetime|data-[a-z]+)="[^"]*"', "", console))
    assert "us dollars" not in console
    figure = json.loads(
        re.search(r'id="admin-signups-figure">(.*?)</script>', console, re.S).group(1)  # type: ignore[union-attr]
    )
    assert figure["layout"]["xaxis"]["dtick"] == 86_400_000  # whole days, never 23:59:59.9996


def test_relation_and_prediction_numbers_read_one_way(engine: Engine) -> None:
    seed_marts(engine)
    with Session(engine) as session:
        relation = weak_btc_relation()
        relation.q_value, relation.granger_q = 0.0004, 0.0002
        session.add_all([relation, _prediction("crypto:BTC", 0.64)])
        session.commit()
    with TestClient(create_app(platform_settings(tier_overrides=OPEN_TIERS), engine)) as client:
        raw = client.get("/asset/crypto:BTC").text
        predictions = client.get("/predictions").text
    asset = unescape(raw)
    assert '<td class="num">&lt;0.001</td>' in raw  # the q column reads as the verdicts do
    assert "0.000" not in asset and "Granger q = <0.001" in asset
    assert re.search(r"AUC 0.64\s+\(95% CI 0.60–0.68", predictions)
    assert "Modestly better than a coin flip out of sample (AUC = 0.64, 95% CI" in predictions
    assert "auc = " not in predictions and "95% ci" not in predictions


def test_chart_boxes_are_the_figures_height_and_hovers_show_full_prices(engine: Engine) -> None:
    seed_marts(engine)
    with Session(engine) as session:
        session.add(weak_btc_relation())
        session.commit()
    with TestClient(create_app(platform_settings(tier_overrides=OPEN_TIERS), engine)) as client:
        asset = client.get("/asset/crypto:BTC").text
        compare = client.get("/compare?assets=BTC,TSLA").text
    for html in (asset, compare):
        boxes = re.findall(r'<div id="([\w-]+)-chart" class="chart"[^>]*min-height: (\d+)px', html)
        assert boxes
        for name, height in boxes:
            found = re.search(rf'id="{name}-figure">(.*?)</script>', html, re.S)
            assert found and json.loads(found.group(1))["layout"]["height"] == int(height)
    price_axis = json.loads(
        re.search(r'id="asset-figure">(.*?)</script>', asset, re.S).group(1)  # type: ignore[union-attr]
    )["layout"]["yaxis"]
    assert price_axis["hoverformat"] == ",.2f"
    sentiment = [
        t for t in json.loads(
            re.search(r'id="compare-figure">(.*?)</script>', compare, re.S).group(1)  # type: ignore[union-attr]
        )["data"] if t["yaxis"] == "y2"
    ]  # fmt: skip
    assert sentiment and all(t["mode"] == "lines" and "dash" not in t["line"] for t in sentiment)
    assert "24 h mean" in sentiment[0]["hovertemplate"]


def test_an_unknown_page_is_html_with_the_site_around_it(engine: Engine) -> None:
    with TestClient(create_app(platform_settings(), engine)) as client:
        page = client.get("/no/such/page", headers={"accept": "text/html,*/*;q=0.8"})
        api = client.get("/api/v1/no-such-route", headers=HTML)
    assert page.status_code == 404 and "There is no page at /no/such/page" in page.text
    assert 'rel="icon"' in page.text and "favicon.svg" in page.text
    assert api.status_code == 404 and api.headers["content-type"] == "application/json"
