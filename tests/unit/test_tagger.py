import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tickerpulse.enrich.tagger import MAX_TEXT, Tagger
from tickerpulse.universe import load_universe


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return Tagger(load_universe())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$AAPL to the moon", {"stock:AAPL": "cashtag"}),
        ("Apple's earnings beat and Teslas sold out", {"stock:AAPL": "name", "stock:TSLA": "name"}),
        ("loading up on NVDA calls", {"stock:NVDA": "ticker"}),
        ("EUR/USD breaks out while the yen slides", {"fx:EURUSD": "pair", "fx:USDJPY": "alias"}),
        ("eur-usd and GBPUSD", {"fx:EURUSD": "pair", "fx:GBPUSD": "pair"}),
        ("bitcoin and ether pumping", {"crypto:BTC": "name", "crypto:ETH": "alias"}),
        ("eth and btc ripping", {"crypto:ETH": "ticker", "crypto:BTC": "ticker"}),
        ("$F earnings; Ford Motor guidance", {"stock:F": "cashtag"}),
        ("ON shares up 5%, bought F", {"stock:ON": "ticker", "stock:F": "ticker"}),
        ("shares of T jumped", {"stock:T": "ticker"}),
        ("AT&T and Bank of America", {"stock:T": "name", "stock:BAC": "name"}),
        ("$BRK.B vs the S&P 500", {"stock:BRK.B": "cashtag", "index:SPX": "name"}),
        ("$STX staking on the chain", {"crypto:STX": "cashtag"}),
        ("$STX beat on earnings", {"stock:STX": "cashtag"}),
    ],
)
def test_finds_assets_with_their_method(
    tagger: Tagger, text: str, expected: dict[str, str]
) -> None:
    found = tagger.mentions_in(text)
    assert {asset: method for asset, (method, _) in found.items()} == expected


@pytest.mark.parametrize(
    "text",
    [
        "I'm ALL in, NOW is the time, call IT support, ON my way",
        "F this market, T minus 5 minutes",
        "GM frens, GL everyone, DD is in the comments",
        "paid $5 for coffee and $100k for a car",
        "see https://example.com/AAPL or mail tsla@example.com or apple.com/iphone",
        "an apple a day, the amazon rainforest",
        "",
    ],
)
def test_common_words_amounts_and_links_are_not_mentions(tagger: Tagger, text: str) -> None:
    assert tagger.mentions_in(text) == {}


def test_channel_context_picks_the_coin_over_the_stock(tagger: Tagger) -> None:
    assert set(tagger.mentions_in("$STX looks strong", channel="CryptoCurrency")) == {"crypto:STX"}
    assert set(tagger.mentions_in("$STX looks strong", channel="stocks")) == {"stock:STX"}
    table = tagger.tag(["a", "b"], ["$DASH up", "$DASH up"], ["CryptoMarkets", "investing"])
    assert table.column("asset_id").to_pylist() == ["crypto:DASH", "stock:DASH"]


def test_one_row_per_asset_per_document_with_higher_relevance_when_repeated_early(
    tagger: Tagger,
) -> None:
    table = tagger.tag(["a", "b"], ["$TSLA $TSLA Tesla", "x" * 300 + " Tesla"])
    rows = table.to_pylist()
    assert [(r["doc_id"], r["asset_id"]) for r in rows] == [
        ("a", "stock:TSLA"),
        ("b", "stock:TSLA"),
    ]
    assert rows[0]["relevance"] > rows[1]["relevance"]
    assert all(0 < r["relevance"] <= 1 for r in rows)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_text_tags_without_error_into_known_assets(tagger: Tagger, text: str) -> None:
    universe = load_universe()
    for asset_id, (method, relevance) in tagger.mentions_in(text).items():
        assert asset_id in universe.by_id and method in {
            "cashtag",
            "ticker",
            "name",
            "alias",
            "pair",
        }
        assert 0 < relevance <= 1


def test_huge_and_binary_texts_are_read_only_up_to_the_bound(tagger: Tagger) -> None:
    huge = "$AAPL " + "lorem ipsum " * 500_000 + "$TSLA"  # ~6 MB; TSLA lies past the bound
    found = tagger.mentions_in(huge)
    assert "stock:AAPL" in found and "stock:TSLA" not in found
    assert len("lorem ipsum " * 500_000) > MAX_TEXT
    assert tagger.mentions_in(bytes(range(256)).decode("latin-1") * 4000) == {}
    assert tagger.mentions_in("🚀" * 100_000 + "中文" * 10_000) == {}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # lower-case tickers in a text about markets
        ("tsla calls printing, up 6% today", {"stock:TSLA"}),
        ("sold half my amd for more nvda", {"stock:AMD", "stock:NVDA"}),
        ("googl and meta both green", {"stock:GOOGL", "stock:META"}),  # "meta" joined to googl
        ("msft to 500 by summer", {"stock:MSFT"}),  # a number is market talk
        ("this thread is so meta", set()),  # a word without context
        ("anyway i'm off to see the doctor now", set()),
        ("smoke-free now 40% of revenue at $PM", {"stock:PM"}),  # "now 40%" is not NOW
        # tickers that are English words, in lower case next to market words
        ("Sold all my GameStop's, this chart looks terrible", {"stock:GME"}),  # not ALL
        ("buy now before earnings, $AAPL to the moon", {"stock:AAPL"}),  # not NOW
        ("went all in on tsla calls", {"stock:TSLA"}),
        # short company names that are ordinary words, in context
        ("Target's earnings disappointed, stock down 9%", {"stock:TGT"}),
        ("Target Corp raised its outlook", {"stock:TGT"}),
        ("Meta up 8% after hours", {"stock:META"}),
        ("Facebook stock is cheap again", {"stock:META"}),
        ("Amazon.com Inc. said it will hire seasonal workers", {"stock:AMZN"}),
        # ... and out of it
        ("Target practice at the range, then brunch", set()),
        ("Apple pie is the only dessert that matters", set()),
        ("Smoke over the Amazon rainforest again", set()),
        ("The Oracle of Omaha would never buy this", set()),
        ("my aunt shares recipes on Facebook all day", {"stock:META"}),  # "shares" is context
        ("Harrison Ford was great in that film", set()),
        # coin and currency names that are ordinary words
        ("the ripple effect hit every supplier", set()),
        ("avalanche warning in the Alps", set()),
        ("spent my last euro on coffee", set()),
        ("the euro fell against the dollar", {"fx:EURUSD"}),
        ("Ripple rallies as XRP volumes spike", {"crypto:XRP"}),
    ],
)
def test_context_decides_lowercase_tickers_and_names_that_are_words(
    tagger: Tagger, text: str, expected: set[str]
) -> None:
    assert set(tagger.find(text)) == expected


def test_a_name_found_by_context_keeps_its_span(tagger: Tagger) -> None:
    text = "Shares of Target fell 4% after the call"
    found = tagger.find(text)["stock:TGT"]
    assert text[found.start : found.end] == "Target" and found.method == "name"
