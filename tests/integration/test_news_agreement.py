"""Alpha Vantage's published sentiment beside ours: the agreement query and the news page."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from tests.integration.test_web_news import seed_news
from tests.integration.test_web_queries import LATEST, PREVIOUS, document
from tests.web_helpers import OPEN_TIERS, platform_settings
from tickerpulse.web.app import create_app
from tickerpulse.web.news_agreement import provider_agreement

# (doc, outlet, window, our label → our score ±0.7/0, Alpha Vantage's score)
AV_ARTICLES = (
    ("av:1", "Reuters", LATEST, "bullish", 0.4),  # both bullish: agree
    ("av:2", "Reuters", LATEST, "bearish", 0.1),  # bearish vs neutral: disagree
    ("av:3", "Reuters", LATEST, "neutral", -0.05),  # both neutral: agree
    ("av:4", "Benzinga", LATEST, "bullish", 0.3),  # agree
    ("av:5", "Benzinga", PREVIOUS, "bearish", -0.5),  # before the period asked
    ("av:6", "Reuters", LATEST, "bullish", None),  # no published score: not compared
)


def seed_av(engine: Engine) -> None:
    seed_news(engine)
    with Session(engine) as session:
        for doc_id, outlet, window, label, theirs in AV_ARTICLES:
            session.add_all(
                document(doc_id, "crypto:BTC", window, window, label, source="alphavantage",
                         channel=outlet, provider_sentiment=theirs)
            )  # fmt: skip
        session.commit()


def test_agreement_compares_both_scores_overall_and_per_outlet(engine: Engine) -> None:
    seed_av(engine)
    with Session(engine) as session:
        overall, reuters, benzinga = provider_agreement(session, since=LATEST)
    assert (overall.outlet, overall.articles) == (None, 4)
    assert overall.ours == pytest.approx((0.7 - 0.7 + 0 + 0.7) / 4)
    assert overall.theirs == pytest.approx((0.4 + 0.1 - 0.05 + 0.3) / 4)
    assert overall.agreement == pytest.approx(3 / 4)
    assert (reuters.outlet, reuters.articles, benzinga.outlet) == ("Reuters", 3, "Benzinga")
    assert reuters.agreement == pytest.approx(2 / 3)
    assert reuters.r == pytest.approx(np.corrcoef([0.7, -0.7, 0.0], [0.4, 0.1, -0.05])[0, 1])
    assert benzinga.r is None  # one article has no correlation


def test_no_article_with_both_scores_gives_no_rows(engine: Engine) -> None:
    seed_news(engine)
    with Session(engine) as session:
        assert provider_agreement(session, since=PREVIOUS) == []


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(platform_settings(tier_overrides=OPEN_TIERS), engine)) as c:
        yield c


def test_the_news_page_shows_alpha_vantage_beside_ours_with_the_agreement(
    engine: Engine, client: TestClient
) -> None:
    seed_av(engine)
    html = client.get("/news?period=6h").text
    assert "Alpha Vantage's sentiment beside ours" in html
    section = html[html.index('id="provider-title"') :]
    assert "All outlets" in section and "75 %" in section and "67 %" in section
    assert "Reuters" in section and "Benzinga" in section


def test_the_news_page_says_why_there_is_no_alpha_vantage_score(
    engine: Engine, client: TestClient
) -> None:
    seed_news(engine)
    html = client.get("/news").text
    assert "No Alpha Vantage article" in html and "ALPHAVANTAGE_API_KEY" not in html
