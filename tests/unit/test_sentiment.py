import pytest

from tickerpulse.enrich.sentiment import LabelBands, LexiconModel, score_documents


@pytest.mark.parametrize(
    ("text", "sign"),
    [
        ("$TSLA to the moon 🚀🚀", 1),
        ("Strong quarter, record profits, upgrade", 1),
        ("Got rekt, this is going to zero 📉", -1),
        ("Shares plunge after guidance miss", -1),
        ("not bullish on this at all", -1),
        ("$AAPL", 0),
    ],
)
def test_lexicon_direction(text: str, sign: int) -> None:
    score = LexiconModel().score_one(text)
    assert -1 <= score <= 1
    if sign == 0:
        assert score == 0
    else:
        assert score * sign > 0.1


def test_negation_flips_and_sarcasm_dampens() -> None:
    model = LexiconModel()
    assert model.score_one("bullish") > 0 > model.score_one("not bullish")
    assert model.score_one("great, another moon mission /s") < model.score_one("great moon mission")


def test_bands_are_symmetric_and_ordered() -> None:
    bands = LabelBands()
    labels = [bands.label(s) for s in (-0.9, -0.3, 0.0, 0.3, 0.9)]
    assert labels == ["bearish", "somewhat-bearish", "neutral", "somewhat-bullish", "bullish"]
    assert bands.label(-0.15) == bands.label(0.15) == "neutral"


def test_score_documents_keeps_ids_and_model_version() -> None:
    table = score_documents(LexiconModel(), ["d1", "d2"], ["bullish", ""], LabelBands())
    rows = table.to_pylist()
    assert [r["doc_id"] for r in rows] == ["d1", "d2"]
    assert rows[1]["score"] == 0.0 and rows[1]["label"] == "neutral"
    assert {r["model"] for r in rows} == {"lexicon-v1"}
