"""The watchlist and alerts pages: forms, CSRF, gating, validation messages, IDOR, unread count."""

import re
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from tests.integration.test_alert_delivery import add_rule, deliver
from tests.integration.test_web_queries import LATEST, seed_marts
from tests.web_helpers import HTML, add_user, csrf_of, platform_settings, sign_in
from tickerpulse.db.platform import AlertRule, User, WatchlistItem
from tickerpulse.web.app import create_app


@pytest.fixture
def site(engine: Engine) -> Iterator[dict[str, TestClient]]:
    """Signed-in clients for a Premium, a second Premium, a Pro and a Free user, and anonymous."""
    seed_marts(engine)
    app = create_app(platform_settings(), engine)
    clients: dict[str, TestClient] = {}
    for name, tier in (
        ("premium", "premium"),
        ("other", "premium"),
        ("pro", "pro"),
        ("free", None),
    ):
        add_user(engine, f"{name}@example.com", tier=tier)
        client = TestClient(app)
        client.__enter__()
        sign_in(client, f"{name}@example.com")
        clients[name] = client
    clients["anonymous"] = TestClient(app).__enter__()
    yield clients
    for client in clients.values():
        client.__exit__(None, None, None)


def post(client: TestClient, page: str, action: str, **data: str) -> httpx.Response:
    token = csrf_of(client.get(page).text)
    return client.post(action, data={**data, "csrf_token": token}, follow_redirects=False)


def rows(html: str) -> list[str]:
    body = html[html.index("<tbody>") : html.index("</tbody>")]
    return re.findall(r"<tr>(.*?)</tr>", body, re.S)


def test_watchlist_shows_the_newest_window_of_each_added_asset(
    site: dict[str, TestClient],
) -> None:
    premium = site["premium"]
    assert "Your watchlist is empty" in premium.get("/watchlist").text
    answer = post(premium, "/watchlist", "/watchlist", asset="btc")
    assert (
        answer.status_code == 303 and answer.headers["location"] == "/watchlist?notice=watch_added"
    )
    post(premium, "/watchlist", "/watchlist", asset="stock:TSLA")
    post(premium, "/watchlist", "/watchlist", asset="BTC")  # already there: no second row
    page = premium.get("/watchlist?notice=watch_added").text
    assert "Added to your watchlist." in page and "2026-03-03 12:00–18:00 UTC" in page
    btc, tsla = rows(page)
    assert '<a href="/asset/crypto:BTC"><strong>BTC</strong></a>' in btc
    assert ">120<" in btc and "+0.62" in btc and "+2.00 %" in btc and '<svg class="spark"' in btc
    assert ">70<" in tsla and "-0.41" in tsla and "-4.00 %" in tsla


def test_watchlist_refuses_an_unknown_asset_with_a_message_and_removes_by_form(
    site: dict[str, TestClient], engine: Engine
) -> None:
    premium = site["premium"]
    answer = post(premium, "/watchlist", "/watchlist", asset="NOPE123")
    assert answer.status_code == 400 and "No asset called “NOPE123”" in answer.text
    post(premium, "/watchlist", "/watchlist", asset="ETH")
    gone = post(premium, "/watchlist", "/watchlist/remove", asset="crypto:ETH")
    assert gone.headers["location"] == "/watchlist?notice=watch_removed"
    with Session(engine) as session:
        assert session.scalars(select(WatchlistItem)).all() == []


def test_asset_page_offers_the_watchlist_button_to_premium_and_an_upsell_to_pro(
    site: dict[str, TestClient],
) -> None:
    premium, pro, anonymous = site["premium"], site["pro"], site["anonymous"]
    page = premium.get("/asset/crypto:BTC").text
    assert "Add to watchlist" in page and 'name="back" value="asset"' in page
    added = post(premium, "/asset/crypto:BTC", "/watchlist", asset="crypto:BTC", back="asset")
    assert added.headers["location"] == "/asset/crypto:BTC?notice=watch_added"
    again = premium.get("/asset/crypto:BTC").text
    assert "On your watchlist" in again and "Remove from watchlist" in again
    assert "Add to watchlist" not in pro.get("/asset/crypto:BTC").text
    assert 'with the <a href="/pricing">Premium</a> plan' in pro.get("/asset/crypto:BTC").text
    assert "watchlist" not in anonymous.get("/asset/crypto:BTC").text.split("<main")[1]


@pytest.mark.parametrize("who", ["free", "pro", "anonymous"])
@pytest.mark.parametrize("page", ["/watchlist", "/alerts"])
def test_lower_tiers_get_the_upgrade_prompt_and_cannot_post(
    site: dict[str, TestClient], who: str, page: str
) -> None:
    answer = site[who].get(page, headers=HTML)
    assert answer.status_code == 403
    assert "comes with the <strong>Premium</strong> plan" in answer.text
    if who != "anonymous":
        token = csrf_of(site[who].get("/account").text)
        posted = site[who].post(
            "/watchlist", data={"asset": "BTC", "csrf_token": token}, follow_redirects=False
        )
        assert posted.status_code == 403


@pytest.mark.parametrize("action", ["/watchlist", "/alerts/rules", "/alerts/read"])
def test_forms_without_a_valid_csrf_token_are_refused(
    site: dict[str, TestClient], action: str
) -> None:
    data = {"asset": "BTC", "kind": "price_move", "threshold": "5", "csrf_token": "forged"}
    answer = site["premium"].post(action, data=data, follow_redirects=False)
    assert answer.status_code == 403 and "another site" in answer.text


def test_a_valid_rule_is_saved_and_listed_in_words(
    site: dict[str, TestClient], engine: Engine
) -> None:
    premium = site["premium"]
    assert 'value="ETH"' in premium.get("/alerts?asset=ETH").text  # the asset page's link
    answer = post(
        premium, "/alerts", "/alerts/rules", asset="eth", kind="price_move", threshold="2,5",
        email="on",
    )  # fmt: skip
    assert answer.headers["location"] == "/alerts?notice=rule_saved"
    page = premium.get("/alerts?notice=rule_saved").text
    assert "Alert rule saved" in page and "price move of at least ±2.5 %" in page
    [rule] = rows(page)
    assert "ETH" in rule and ">yes<" in rule
    with Session(engine) as session:
        saved = session.scalars(select(AlertRule)).one()
    assert (saved.asset_id, saved.kind, saved.threshold, saved.email) == (
        "crypto:ETH", "price_move", 2.5, True,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"asset": "BTC", "kind": "mention_spike", "threshold": "0.2"}, "between 1 and 10"),
        ({"asset": "BTC", "kind": "price_move", "threshold": "lots"}, "as a number"),
        ({"asset": "NOPE123", "kind": "price_move", "threshold": "5"}, "No asset called"),
        ({"asset": "BTC", "kind": "weather", "threshold": "5"}, "Choose what to watch for"),
    ],
)
def test_an_invalid_rule_shows_the_form_again_with_what_to_change(
    site: dict[str, TestClient], fields: dict[str, str], message: str
) -> None:
    answer = post(site["premium"], "/alerts", "/alerts/rules", **fields)
    assert answer.status_code == 400 and message in answer.text
    assert f'value="{fields["asset"]}"' in answer.text
    assert "You have no alert rules yet." in answer.text


def test_the_same_rule_twice_is_refused(site: dict[str, TestClient]) -> None:
    fields = {"asset": "BTC", "kind": "sentiment_flip", "threshold": "0.1"}
    post(site["premium"], "/alerts", "/alerts/rules", **fields)
    again = post(site["premium"], "/alerts", "/alerts/rules", **fields)
    assert again.status_code == 400 and "You already have this rule." in again.text


def test_another_users_rule_cannot_be_deleted(site: dict[str, TestClient], engine: Engine) -> None:
    post(site["premium"], "/alerts", "/alerts/rules", asset="BTC", kind="price_move", threshold="5")
    with Session(engine) as session:
        rule_id = session.scalars(select(AlertRule.rule_id)).one()
    stolen = post(site["other"], "/alerts", f"/alerts/rules/{rule_id}/delete")
    assert stolen.status_code == 404
    assert "price move" not in site["other"].get("/alerts").text
    mine = post(site["premium"], "/alerts", f"/alerts/rules/{rule_id}/delete")
    assert mine.headers["location"] == "/alerts?notice=rule_deleted"
    with Session(engine) as session:
        assert session.scalars(select(AlertRule)).all() == []


def test_fired_alerts_are_listed_counted_in_the_nav_and_marked_read(
    site: dict[str, TestClient], engine: Engine
) -> None:
    premium, other = site["premium"], site["other"]
    with Session(engine) as session:
        user_id = session.scalars(select(User.user_id).filter_by(email="premium@example.com")).one()
    add_rule(engine, user_id, "crypto:BTC", "price_move", 1.0)
    deliver(engine, LATEST)
    page = premium.get("/alerts").text
    assert "BTC: price rose 2.00 % in 6 hours" in page and "Mark all 1 as read" in page
    assert 'title="unread alerts">1<' in premium.get("/").text
    assert "unread alerts" not in other.get("/").text  # someone else's alerts
    assert "unread alerts" not in site["pro"].get("/").text
    done = post(premium, "/alerts", "/alerts/read")
    assert done.headers["location"] == "/alerts?notice=alerts_read"
    after = premium.get("/alerts").text
    assert "unread alerts" not in after and "BTC: price rose 2.00 %" in after
