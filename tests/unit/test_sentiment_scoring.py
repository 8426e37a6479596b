"""Scoring that never fails: flags for odd texts, per-mention scores, SENTIMENT_SCHEMA rows."""

from collections.abc import Sequence

import pytest

from tickerpulse.domain import SENTIMENT_SCHEMA
from tickerpulse.enrich.sentiment import (
    MAX_SCORED_CHARS,
    LabelBands,
    LexiconModel,
    Span,
    load_model,
    score_documents,
    score_texts,
    text_flags,
)


class StanceModel:
    """Scores the words right after each mention: 'loading' +0.9, 'profits' -0.6.

    A stand-in for a trained per-mention model; the text score is the mean.
    """

    version = "stance-test-v0"

    def __init__(self) -> None:
        self.seen: list[str] = []

    def score(self, texts: Sequence[str]) -> list[float]:
        self.seen.extend(texts)
        return [0.1 for _ in texts]

    def score_mentions(
        self, texts: Sequence[str], spans: Sequence[Sequence[Span]]
    ) -> list[list[float]]:
        def stance(text: str, span: Span) -> float:
            before = text[max(0, span[0] - 20) : span[0]]
            return 0.9 if "loading" in before else -0.6 if "profits" in before else 0.0

        return [[stance(t, s) for s in found] for t, found in zip(texts, spans, strict=True)]


class BrokenModel:
    version = "broken"

    def score(self, texts: Sequence[str]) -> list[float]:
        return [float("nan"), 7.0][: len(texts)]


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("", "empty"),
        ("   \n\t ", "empty"),
        ("\x00\x01\x02 bullish \x03\x04", "binary"),
        (bytes(range(256)).decode("latin-1") * 3, "binary"),
        ("el mercado de la bolsa está muy bien hoy para los que compran", "non-english"),
        ("Рынок акций сегодня растёт, покупаю", "non-english"),
    ],
)
def test_odd_texts_are_neutral_with_a_flag_and_never_reach_the_model(text: str, flag: str) -> None:
    model = StanceModel()
    scored = score_texts(model, [text, "bullish"])
    assert scored.scores[0] == 0.0
    assert scored.flags[0] == (flag,)
    assert model.seen == ["bullish"]
    assert scored.flag_counts() == {flag: 1}


def test_a_huge_text_is_scored_on_its_prefix_and_flagged() -> None:
    model = StanceModel()
    huge = "strong buy " * 5_000
    scored = score_texts(model, [huge])
    assert scored.flags == [("huge",)]
    assert model.seen == [huge[:MAX_SCORED_CHARS]]
    assert score_texts(LexiconModel(), [huge]).scores[0] > 0.5


def test_cashtags_and_emoji_are_not_flagged() -> None:
    assert text_flags("$AAPL 🚀🚀") == ()
    assert text_flags("Apple beats earnings, shares up 5%") == ()


def test_scores_outside_the_range_are_clipped_and_nan_is_neutral_and_flagged() -> None:
    scored = score_texts(BrokenModel(), ["a", "b"])
    assert scored.scores == [0.0, 1.0]
    assert scored.flags == [("invalid-score",), ()]


def test_each_mention_gets_its_own_score_from_a_per_mention_model() -> None:
    text = "took profits on TSLA, loading NVDA"
    tsla, nvda = (text.index("TSLA"), text.index("TSLA") + 4), (text.index("NVDA"), len(text))
    scored = score_texts(StanceModel(), [text, ""], [[tsla, nvda], [(0, 1)]])
    assert scored.mentions == [[-0.6, 0.9], [0.0]]
    assert scored.scores == [0.1, 0.0]


def test_a_model_without_per_mention_scores_gives_each_mention_its_texts_score() -> None:
    model = LexiconModel()
    text = "took profits on TSLA, loading NVDA"
    scored = score_texts(model, [text], [[(16, 20), (30, 34)]])
    assert scored.mentions == [[scored.scores[0]] * 2]
    assert scored.scores == model.score([text])


def test_score_documents_rows_carry_model_and_flags() -> None:
    table = score_documents(LexiconModel(), ["d1", "d2"], ["bullish", ""], LabelBands())
    assert table.schema == SENTIMENT_SCHEMA
    rows = table.to_pylist()
    assert [r["flags"] for r in rows] == [None, "empty"]
    assert {r["model"] for r in rows} == {"lexicon-v1"}


def test_default_model_is_loadable_and_unknown_names_are_refused() -> None:
    assert load_model().version == load_model("default").version
    with pytest.raises(ValueError, match="unknown sentiment model 'nope'"):
        load_model("nope")
