from datetime import UTC, datetime

import numpy as np
import orjson
import pyarrow.compute as pc
import pytest

from tickerpulse.domain import SOCIAL_SOURCES, Window
from tickerpulse.enrich.normalize import normalize_documents, normalize_prices
from tickerpulse.markets import trades_in_hour
from tickerpulse.sources.simulator import SOURCES, SimulatedWorld, WorldConfig
from tickerpulse.universe import load_universe

START = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday


def world(**overrides: object) -> SimulatedWorld:
    config = {"start": START, "days": 7, "posts_per_window": 300, "news_per_window": 40}
    return SimulatedWorld(WorldConfig(**{**config, **overrides}), load_universe())  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def week() -> SimulatedWorld:
    return world()


def test_same_seed_gives_identical_lines_and_another_seed_differs(week: SimulatedWorld) -> None:
    again, other = world(), world(seed=8)
    for source in SOURCES:
        window = week.windows[5]
        assert week.raw_lines(source, window) == again.raw_lines(source, window)
        assert week.raw_lines(source, window) != other.raw_lines(source, window)


def test_windows_can_be_generated_alone_in_any_order(week: SimulatedWorld) -> None:
    late_first = world()
    late = late_first.raw_lines("reddit", late_first.windows[20])
    assert late == week.raw_lines("reddit", week.windows[20])


def test_every_truth_document_survives_normalisation_unless_foreign(week: SimulatedWorld) -> None:
    window = week.windows[14]
    truth = week.truth_documents(window)
    normalised: set[str] = set()
    for source in (*SOCIAL_SOURCES, "news"):
        normalised |= set(
            normalize_documents(source, week.raw_lines(source, window))
            .table.column("doc_id")
            .to_pylist()
        )
    for row in truth.to_pylist():
        assert (row["doc_id"] in normalised) != row["foreign"], row


def test_mess_is_present_at_roughly_the_configured_rates() -> None:
    big = world(posts_per_window=2000, days=2)
    truth = [r for w in big.windows for r in big.truth_documents(w).to_pylist()]
    social = [r for r in truth if r["source"] != "news"]
    n = len(social)
    assert 0.01 < sum(r["spam"] for r in social) / n < 0.03
    assert 0.005 < sum(r["foreign"] for r in social) / n < 0.02
    assert 0.005 < sum(r["duplicate"] for r in truth) / len(truth) < 0.02
    corrupt = 0
    for w in big.windows:
        for source in SOCIAL_SOURCES:
            corrupt += len(normalize_documents(source, big.raw_lines(source, w)).quarantined)
    assert corrupt > sum(r["foreign"] for r in social)  # foreign lines plus corrupt ones


def test_texts_mix_mention_forms_and_ambiguous_words_in_plain_english(week: SimulatedWorld) -> None:
    texts = " ".join(
        orjson.loads(line)["item"].get("text", "") for w in week.windows[:12] for line in week.raw_lines("x", w)
        if line.startswith(b"{") and line.endswith(b"}")
    )  # fmt: skip
    for needle in ("$", "EUR/USD", "'s", "I'm ALL in", "🚀", "/s", "Not bullish"):
        assert needle in texts, needle


def test_price_bars_respect_market_hours(week: SimulatedWorld) -> None:
    lines = (line for w in week.windows for line in week.raw_lines("prices", w))
    bars = normalize_prices("prices", lines).table.to_pylist()
    for bar in bars:
        cls = bar["asset_id"].split(":")[0]
        assert trades_in_hour(cls, bar["ts"]), bar
        assert (
            bar["low"]
            <= min(bar["open"], bar["close"])
            <= max(bar["open"], bar["close"])
            <= bar["high"]
        )
    assert {b["asset_id"].split(":")[0] for b in bars} == {"stock", "etf", "crypto", "fx"}


def _coupling(beta: float) -> float:
    w = world(beta=beta, days=60, posts_per_window=1)
    latent = np.array(w.truth_windows().column("latent_sentiment").to_pylist()).reshape(
        len(w.assets), -1
    )
    crypto = [i for i, a in enumerate(w.assets) if a.asset_class == "crypto"]
    closes = {}
    for window in w.windows:
        for bar in normalize_prices("prices", w.raw_lines("prices", window)).table.to_pylist():
            closes[(bar["asset_id"], Window.containing(bar["ts"]).start)] = bar["close"]
    xs, ys = [], []
    for i in crypto:
        asset_id = w.assets[i].asset_id
        for t in range(1, len(w.windows) - 1):
            prev = closes[(asset_id, w.windows[t].start)]
            nxt = closes[(asset_id, w.windows[t + 1].start)]
            xs.append(latent[i, t])
            ys.append(np.log(nxt / prev))
    return float(np.corrcoef(xs, ys)[0, 1])


def test_planted_coupling_moves_next_window_returns() -> None:
    assert _coupling(0.6) > 0.15
    assert abs(_coupling(0.0)) < 0.08


def test_post_polarity_follows_the_latent_sentiment(week: SimulatedWorld) -> None:
    latent = {
        (r["window_start"], r["asset_id"]): r["latent_sentiment"]
        for r in week.truth_windows().to_pylist()
    }
    pairs = []
    for window in week.windows:
        truth = week.truth_documents(window)
        single = truth.filter(pc.equal(pc.list_value_length(truth.column("asset_ids")), 1))
        by_asset: dict[str, list[int]] = {}
        for row in single.to_pylist():
            if not row["spam"]:
                by_asset.setdefault(row["asset_ids"][0], []).append(row["polarity"])
        pairs += [
            (latent[(window.start, a)], np.mean(p)) for a, p in by_asset.items() if len(p) >= 5
        ]
    assert np.corrcoef(np.array(pairs).T)[0, 1] > 0.5


def test_simulated_news_comes_from_catalogued_outlets() -> None:
    from tickerpulse.sources._sim_text import NEWS_OUTLETS
    from tickerpulse.sources.outlets import load_outlets

    catalog = {o.outlet for o in load_outlets() if o.enabled}
    assert {outlet for outlet, _ in NEWS_OUTLETS} <= catalog


def test_the_demo_names_both_the_simulated_assets_and_the_universe(week: SimulatedWorld) -> None:
    from tickerpulse.cli import describe_world

    universe = load_universe()
    line = describe_world(week, len(universe))
    simulated = len(universe.demo_assets())
    assert simulated < len(universe)
    assert f"{simulated} simulated assets (the tagging universe has {len(universe)})" in line


def test_news_headlines_fit_the_asset_class_and_simulated_items_get_no_link(
    week: SimulatedWorld,
) -> None:
    company_words = ("shares", "quarterly", "earnings", "shareholder", "chief financial", "company")
    classes = {a.asset_id: str(a.asset_class) for a in week.assets}
    seen_classes = set()
    for window in week.windows[:8]:
        truth = {r["doc_id"]: r["asset_ids"] for r in week.truth_documents(window).to_pylist()}
        news = normalize_documents("news", week.raw_lines("news", window)).table.to_pylist()
        for doc in news:
            assert doc["url"] is None  # a made-up permalink is no page to open
            kinds = {classes[a] for a in truth.get(doc["doc_id"], [])}
            seen_classes |= kinds
            if kinds & {"crypto", "fx"}:
                text = f"{doc['title']} {doc['text']}".lower()
                assert not any(w in text for w in company_words), text
        for source in SOCIAL_SOURCES:
            posts = normalize_documents(source, week.raw_lines(source, window)).table
            assert set(posts.column("url").to_pylist()) <= {None}
    assert {"crypto", "stock"} <= seen_classes
