import numpy as np
import pytest

from tickerpulse.enrich.sentiment.features import FeatureExtractor, char_grams, lexicon_bucket
from tickerpulse.enrich.sentiment.linear import (
    LinearScorer,
    decode_vocabulary,
    encode_vocabulary,
)
from tickerpulse.enrich.sentiment.mentions import clauses, find_spans, mention_features
from tickerpulse.training.linear_fit import design_matrix, vocabulary


def test_negation_marks_the_words_in_its_scope_until_punctuation() -> None:
    words, _ = FeatureExtractor().tokens("not bullish on this, buying more")
    assert words[:2] == ["not", "neg_bullish"]
    assert "buying" in words and "neg_buying" not in words


def test_negation_scope_ends_after_four_words() -> None:
    words, _ = FeatureExtractor().tokens("never going to see this stock rally")
    assert words == ["never", "neg_going", "neg_to", "neg_see", "neg_this", "stock", "rally"]


def test_cashtags_links_and_numbers_only_have_no_content() -> None:
    extractor = FeatureExtractor()
    for text in ("$AAPL", "$TSLA $NVDA https://t.co/x 12.5", "@someone $BTC", ""):
        assert "_no_content" in extractor.tokens(text)[1], text
    assert "_no_content" not in extractor.tokens("$AAPL rallies")[1]


def test_cashtag_is_a_placeholder_not_the_ticker() -> None:
    words, _ = FeatureExtractor().tokens("$AAPL and $MSFT up")
    assert words == ["_cashtag", "and", "_cashtag", "up"]


def test_emoji_is_a_token_and_a_flag() -> None:
    words, flags = FeatureExtractor().tokens("to the moon 🚀🚀")
    assert words.count("🚀") == 2 and "_emoji" in flags


def test_repeated_letters_are_squeezed_and_flagged() -> None:
    words, flags = FeatureExtractor().tokens("soooo goooood")
    assert words == ["soo", "good"] and "_squeezed" in flags


def test_shouting_and_all_caps_are_flagged() -> None:
    extractor = FeatureExtractor()
    assert "_shout" in extractor.tokens("this is HUGE news")[1]
    assert "_all_caps" not in extractor.tokens("this is HUGE news")[1]
    assert "_all_caps" in extractor.tokens("SELL EVERYTHING NOW")[1]


def test_questions_and_sarcasm_are_flagged() -> None:
    extractor = FeatureExtractor()
    assert "_question" in extractor.tokens("is $GME going up?")[1]
    assert "_sarcasm" in extractor.tokens("great earnings /s")[1]
    assert "_sarcasm" not in extractor.tokens("great earnings")[1]


def test_signed_percentages_keep_their_direction() -> None:
    words, _ = FeatureExtractor().tokens("shares -4.5% today, index +1%")
    assert "_pct_down" in words and "_pct_up" in words


def test_lexicon_score_is_a_bucketed_feature() -> None:
    features = FeatureExtractor().features("record profits, strong growth")
    assert lexicon_bucket(0.9) in features
    assert lexicon_bucket(-0.9) == "_lex--" and lexicon_bucket(0.0) == "_lex0"


def test_char_grams_mark_word_boundaries() -> None:
    assert char_grams("up") == ["#<up", "#up>", "#<up>"]
    assert "#<up" not in FeatureExtractor(char_ngrams=False).features("up")


@pytest.mark.parametrize("counts", [False, True])
def test_scorer_matches_the_training_design_matrix(counts: bool) -> None:
    rows = [["a", "b", "b", "zz"], ["c"], [], ["unknown"]]
    vocab = vocabulary([["a", "b", "c"], ["a", "b", "c"]])
    rng = np.random.default_rng(0)
    weights, bias = rng.normal(size=(len(vocab), 3)), rng.normal(size=3)
    served = LinearScorer(vocab, weights, bias, counts=counts).logits(rows)
    trained = design_matrix(rows, vocab, counts=counts) @ weights + bias
    assert np.allclose(served, trained)


def test_counted_rows_weigh_repeats() -> None:
    vocab = ["a", "b"]
    binary = design_matrix([["a", "a", "b"]], vocab).toarray()[0]
    counted = design_matrix([["a", "a", "b"]], vocab, counts=True).toarray()[0]
    assert np.allclose(binary, [1 / np.sqrt(2)] * 2)
    assert np.allclose(counted, [2 / np.sqrt(3), 1 / np.sqrt(3)])


def test_vocabulary_survives_encoding() -> None:
    vocab = ["#<up", "neg_good", "🚀", "a b"]
    assert decode_vocabulary(encode_vocabulary(vocab)) == vocab


def test_clauses_split_at_punctuation_and_contrast_words() -> None:
    assert clauses(["_T", "gains", ",", "_O", "slips"]) == [["_T", "gains"], ["_O", "slips"]]
    assert clauses(["_T", "up", "but", "_O", "down"]) == [["_T", "up"], ["_O", "down"]]


def test_mention_features_mark_the_target_and_the_others() -> None:
    text = "Tata Steel gains 4%, Infosys slips"
    spans = find_spans(text, ["Tata Steel", "Infosys"])
    assert spans == [(0, 10), (21, 28)]
    first = mention_features(text, spans, 0)
    second = mention_features(text, spans, 1)
    assert "c:gains" in first and "c:slips" not in first and "r1:gains" in first
    assert "c:slips" in second and "c:gains" not in second and "_not_first" in second
    assert "x:slips" in first and "x:gains" in second


def test_missing_entity_has_no_span_and_no_clause_features() -> None:
    spans = find_spans("Markets rally", ["Infosys"])
    assert spans == [(-1, -1)]
    assert not [f for f in mention_features("Markets rally", spans, 0) if f.startswith("c:")]
