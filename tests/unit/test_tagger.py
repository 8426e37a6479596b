import pytest

from tickerpulse.enrich.tagger import Tagger
from tickerpulse.universe import load_universe


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return Tagger(load_universe())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$AAPL to the moon", {"stock:AAPL": "cashtag"}),
        (
            "Apple's earnings beat and Teslas sold out",
            {"stock:AAPL": "alias", "stock:TSLA": "alias"},
        ),
        ("loading up on NVDA calls", {"stock:NVDA": "ticker"}),
        ("EUR/USD breaks out while the yen slides", {"fx:EURUSD": "pair", "fx:USDJPY": "alias"}),
        ("bitcoin and ether pumping", {"crypto:BTC": "alias", "crypto:ETH": "alias"}),
        ("$F earnings; Ford Motor guidance", {"stock:F": "cashtag"}),
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
        "paid $5 for coffee",
        "see https://example.com/AAPL or mail tsla@example.com",
        "",
    ],
)
def test_common_words_amounts_and_links_are_not_mentions(tagger: Tagger, text: str) -> None:
    assert tagger.mentions_in(text) == {}


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
