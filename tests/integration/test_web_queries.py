"""The page queries against real marts in embedded Postgres (seeded here, shared with the page tests)."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from tickerpulse.db.marts import asset_id_for_symbol, sync_assets, sync_outlets
from tickerpulse.db.models import (
    CycleRun,
    MartAssetWindow,
    MartDocument,
    MartDocumentAsset,
    MartPriceWindow,
    MartRelation,
)
from tickerpulse.sources.outlets import load_outlets
from tickerpulse.universe import load_universe
from tickerpulse.web import queries

W = timedelta(hours=6)
LATEST = datetime(2026, 3, 3, 12, tzinfo=UTC)
PREVIOUS = LATEST - W
WINDOWS = [LATEST - (7 - i) * W for i in range(8)]  # oldest first, LATEST last
GAP = WINDOWS[2]  # TSLA has mentions but no price in this window
TSLA_CLOSES = [250.0, 252.0, None, 251.0, 253.0, 255.0, 250.0, 240.0]
BTC_CLOSES = [60000.0, 60500.0, 59800.0, 59000.0, 59500.0, 60100.0, 60000.0, 61200.0]
PUBLISHED = LATEST + W + timedelta(minutes=4)


def stat(
    window: datetime,
    asset_id: str,
    mentions: int,
    sentiment: float | None,
    source_class: str = "all",
    source: str = "all",
    bull: float = 0.5,
    bear: float = 0.2,
) -> MartAssetWindow:
    return MartAssetWindow(
        window_start=window, asset_id=asset_id, source_class=source_class, source=source,
        mentions=mentions, unique_authors=max(mentions - 1, 0), sentiment_mean=sentiment,
        bull_share=bull, bear_share=bear, dispersion=0.3,
    )  # fmt: skip


def weak_btc_relation() -> MartRelation:
    """A published, significant but weak social-sentiment relation for BTC (the pages' panel)."""
    return MartRelation(
        asset_id="crypto:BTC", source_class="social", signal="sentiment", horizon=1,
        r=0.2, ci_low=0.1, ci_high=0.3, n=200, p_value=0.01, q_value=0.02,
        granger_q=0.5, verdict="weak positive", computed_until=LATEST,
    )  # fmt: skip


def prices(asset_id: str, closes: list[float | None]) -> list[MartPriceWindow]:
    rows, prev = [], None
    for window, close in zip(WINDOWS, closes, strict=True):
        if close is None:
            continue
        ret = None if prev is None else close / prev - 1
        rows.append(MartPriceWindow(
            window_start=window, asset_id=asset_id, open=prev or close, high=close * 1.01,
            low=close * 0.98, close=close, volume=1000.0, bars=6, prev_close=prev,
            return_pct=ret,
        ))  # fmt: skip
        prev = close
    return rows


def document(
    doc_id: str, asset_id: str, window: datetime, created: datetime, label: str, **kw: object
) -> list[object]:
    doc = MartDocument(
        doc_id=doc_id, window_start=window, kind=kw.get("kind", "news"),
        source=kw.get("source", "news"), channel=kw.get("channel", "reuters"), created_at=created,
        title=kw.get("title"), text=kw.get("text", "body"), url=kw.get("url"),
        sentiment_score={"bullish": 0.7, "bearish": -0.7}.get(label, 0.0), sentiment_label=label,
        provider_sentiment=kw.get("provider_sentiment"),
    )  # fmt: skip
    link = MartDocumentAsset(
        doc_id=doc_id, asset_id=asset_id, window_start=window, method="cashtag", relevance=0.9
    )
    return [doc, link]


def seed_marts(engine: Engine) -> None:
    """Two ranked windows, a week of prices, a per-source breakdown and documents."""
    sync_assets(engine, load_universe())
    rows: list[object] = [
        stat(PREVIOUS, "crypto:BTC", 50, 0.1), stat(PREVIOUS, "stock:TSLA", 80, -0.2),
        stat(LATEST, "crypto:BTC", 120, 0.62, bull=0.7, bear=0.1),
        stat(LATEST, "stock:TSLA", 70, -0.41, bull=0.2, bear=0.6),
        stat(LATEST, "crypto:ETH", 40, 0.2), stat(LATEST, "fx:EURUSD", 5, 0.0),
        # TSLA by source class and by provider
        stat(GAP, "stock:TSLA", 10, 0.2), stat(GAP, "stock:TSLA", 10, 0.2, "social"),
        stat(PREVIOUS, "stock:TSLA", 60, -0.1, "social"), stat(PREVIOUS, "stock:TSLA", 20, -0.35, "news"),
        stat(LATEST, "stock:TSLA", 40, -0.5, "social"), stat(LATEST, "stock:TSLA", 30, -0.3, "news"),
        stat(LATEST, "stock:TSLA", 25, -0.6, "social", "reddit"),
        stat(LATEST, "stock:TSLA", 15, -0.33, "social", "x"),
        stat(LATEST, "stock:TSLA", 30, -0.3, "news", "news"),
        *prices("stock:TSLA", TSLA_CLOSES), *prices("crypto:BTC", BTC_CLOSES),
        CycleRun(window_start=LATEST, stage="publish", status="ok", attempts=1, counts={},
                 started_at=PUBLISHED - timedelta(seconds=3), finished_at=PUBLISHED),
        *document("news:1", "stock:TSLA", PREVIOUS, PREVIOUS + timedelta(hours=2), "bearish",
                  title="Old TSLA news", url="https://example.com/old"),
        *document("reddit:p1", "stock:TSLA", LATEST, LATEST + timedelta(hours=1), "neutral",
                  kind="post", source="reddit", channel="r/stocks", text="TSLA <b>meh</b>",
                  url="javascript:alert(1)"),
        *document("news:2", "stock:TSLA", LATEST, LATEST + timedelta(hours=3), "bullish",
                  title="New TSLA news", url="https://example.com/new"),
        *document("news:3", "crypto:BTC", LATEST, LATEST + timedelta(hours=4), "bullish",
                  title="BTC only"),
    ]  # fmt: skip
    with Session(engine) as session:
        session.add_all(rows)
        session.commit()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    seed_marts(engine)
    with Session(engine) as s:
        yield s


def test_latest_window_is_the_newest_published_and_none_when_empty(engine: Engine) -> None:
    with Session(engine) as empty:
        assert queries.latest_window(empty) is None
    seed_marts(engine)
    with Session(engine) as s:
        assert queries.latest_window(s) == LATEST
        assert queries.published_at(s, window_start=LATEST) == PUBLISHED


def test_trending_ranks_by_mentions_against_the_previous_window(session: Session) -> None:
    rows = queries.trending(session, window_start=LATEST)
    assert [r.asset_id for r in rows] == ["crypto:BTC", "stock:TSLA", "crypto:ETH", "fx:EURUSD"]
    btc, tsla, eth, _ = rows
    assert (btc.rank, btc.previous_rank, btc.rank_change, btc.previous_mentions) == (1, 2, 1, 50)
    assert (tsla.rank, tsla.rank_change) == (2, -1)
    assert eth.rank_change is None and eth.previous_mentions is None
    assert tsla.sentiment_mean == -0.41 and (tsla.bull_share, tsla.bear_share) == (0.2, 0.6)
    assert tsla.close == 240.0 and tsla.return_pct == pytest.approx(240 / 250 - 1)
    assert btc.sparkline == tuple(BTC_CLOSES)
    assert tsla.sparkline == tuple(c for c in TSLA_CLOSES if c is not None)
    assert eth.sparkline == () and eth.close is None


def test_trending_ranks_within_a_class_and_respects_the_limit(session: Session) -> None:
    crypto = queries.trending(session, window_start=LATEST, asset_class="crypto")
    assert [(r.symbol, r.rank, r.rank_change) for r in crypto] == [("BTC", 1, 0), ("ETH", 2, None)]
    assert len(queries.trending(session, window_start=LATEST, limit=2)) == 2
    assert queries.trending(session, window_start=LATEST - 10 * W) == []


def test_asset_overview_has_the_latest_window_figures(session: Session) -> None:
    tsla = queries.asset_overview(session, asset_id="stock:TSLA")
    assert tsla is not None and tsla.symbol == "TSLA" and tsla.asset_class == "stock"
    assert (tsla.latest_window, tsla.mentions, tsla.close) == (LATEST, 70, 240.0)
    quiet = queries.asset_overview(session, asset_id="stock:AAPL")
    assert quiet is not None and quiet.latest_window == LATEST and quiet.mentions is None
    assert queries.asset_overview(session, asset_id="stock:NOPE") is None


def test_asset_windows_outer_join_price_and_sentiment_on_the_window(session: Session) -> None:
    rows = queries.asset_windows(session, asset_id="stock:TSLA", since=WINDOWS[0])
    assert [r.window_start for r in rows] == WINDOWS
    assert [r.close for r in rows] == TSLA_CLOSES
    gap = rows[2]
    assert (gap.social_sentiment, gap.social_mentions, gap.news_sentiment, gap.news_mentions) == (
        0.2, 10, None, 0,
    )  # fmt: skip
    latest = rows[-1]
    assert (latest.social_sentiment, latest.social_mentions) == (-0.5, 40)
    assert (latest.news_sentiment, latest.news_mentions) == (-0.3, 30)
    assert rows[0].social_mentions == 0 and rows[0].social_sentiment is None
    assert len(queries.asset_windows(session, asset_id="stock:TSLA", since=PREVIOUS)) == 2


def test_source_breakdown_lists_providers_busiest_first(session: Session) -> None:
    rows = queries.source_breakdown(session, asset_id="stock:TSLA", window_start=LATEST)
    assert [(r.source, r.source_class, r.mentions) for r in rows] == [
        ("news", "news", 30), ("reddit", "social", 25), ("x", "social", 15),
    ]  # fmt: skip


def test_latest_documents_are_newest_first_and_only_the_assets(session: Session) -> None:
    docs = queries.latest_documents(session, asset_id="stock:TSLA")
    assert [d.doc_id for d in docs] == ["news:2", "reddit:p1", "news:1"]
    assert docs[0].sentiment_label == "bullish" and docs[0].relevance == 0.9
    assert [
        d.doc_id for d in queries.latest_documents(session, asset_id="stock:TSLA", limit=1)
    ] == ["news:2"]


def test_a_bare_symbol_resolves_case_insensitively(session: Session) -> None:
    assert asset_id_for_symbol(session, symbol="tsla") == "stock:TSLA"
    assert asset_id_for_symbol(session, symbol="NOPE") is None


def test_news_groups_by_outlet_region_and_asset_class(engine: Engine) -> None:
    sync_assets(engine, load_universe())
    sync_outlets(engine, load_outlets())
    rows: list[object] = [
        *document("news:a", "stock:TSLA", LATEST, LATEST, "bullish", channel="cnbc"),
        *document("news:b", "crypto:BTC", LATEST, LATEST, "bearish", channel="coindesk"),
        *document("news:c", "crypto:ETH", LATEST, LATEST, "bullish", channel="nikkei-asia"),
        *document("news:old", "stock:TSLA", PREVIOUS, PREVIOUS, "bearish", channel="cnbc"),
        *document("reddit:x", "stock:TSLA", LATEST, LATEST, "bullish", kind="post", channel="r/x"),
    ]  # fmt: skip
    with Session(engine) as s:
        s.add_all(rows)
        s.commit()
        by_outlet = queries.news_groups(s, by="outlet", since=LATEST)
        by_region = queries.news_groups(s, by="region", since=LATEST)
        by_class = queries.news_groups(s, by="asset_class", since=LATEST)
        everything = queries.news_groups(s, by="outlet", since=PREVIOUS)
    assert [(r.group, r.articles) for r in by_outlet] == [
        ("cnbc", 1),
        ("coindesk", 1),
        ("nikkei-asia", 1),
    ]
    assert [(r.group, r.articles, r.sentiment_mean) for r in by_region] == [
        ("asia", 1, 0.7),
        ("global", 1, -0.7),
        ("us", 1, 0.7),
    ]
    assert [(r.group, r.articles) for r in by_class] == [("crypto", 2), ("stock", 1)]
    assert by_class[0].sentiment_mean == pytest.approx(0.0)
    assert ("cnbc", 2) in [(r.group, r.articles) for r in everything]


def test_trending_over_a_longer_period_adds_windows_and_weights_sentiment(
    session: Session,
) -> None:
    rows = queries.trending(session, window_start=LATEST, windows=2)
    assert [(r.symbol, r.mentions, r.previous_rank) for r in rows] == [
        ("BTC", 170, None), ("TSLA", 150, None), ("ETH", 40, None), ("EURUSD", 5, None),
    ]  # fmt: skip
    btc, tsla = rows[0], rows[1]
    assert btc.sentiment_mean == pytest.approx((50 * 0.1 + 120 * 0.62) / 170)
    assert btc.return_pct == pytest.approx(61200 / 60100 - 1)  # from the close before the period
    assert tsla.return_pct == pytest.approx(240 / 255 - 1)


def test_trending_by_one_source_ranks_only_its_mentions(session: Session) -> None:
    reddit = queries.trending(session, window_start=LATEST, source="reddit")
    assert [(r.symbol, r.mentions, r.sentiment_mean) for r in reddit] == [("TSLA", 25, -0.6)]
    assert queries.trending(session, window_start=LATEST, source="telegram") == []
