"""How numbers, verdicts and chart series read: the pure formatting helpers."""

from tickerpulse.web.charts import price_format, trailing_mean
from tickerpulse.web.formatting import q_value, sentence
from tickerpulse.web.records import LagRow
from tickerpulse.web.relation_charts import lead_lag_caption


def test_q_values_read_as_the_verdicts_write_them() -> None:
    assert q_value(0.0004) == "<0.001" and q_value(0.0123) == "0.012" and q_value(None) == "–"


def test_a_verdict_starts_with_a_capital_and_keeps_its_abbreviations() -> None:
    assert sentence("modestly better (AUC = 0.64, 95% CI 0.60…0.68)") == (
        "Modestly better (AUC = 0.64, 95% CI 0.60…0.68)"
    )


def test_prices_hover_in_full_with_their_assets_precision() -> None:
    assert price_format([57693.6, 60112.6]) == ",.2f"  # never "57.6936k"
    assert price_format([1.0834, 1.0851, None]) == ",.4f"
    assert price_format([]) == ",.2f"


def test_compare_sentiment_is_a_trailing_mean_that_skips_gaps() -> None:
    assert trailing_mean([1.0, None, 0.0, -1.0, 0.5], 4) == [1.0, 1.0, 0.5, 0.0, -0.167]
    assert trailing_mean([None, None], 4) == [None, None]


def test_the_lead_lag_caption_writes_q_as_the_table_does() -> None:
    row = LagRow(
        source_class="social", lag=1, r=0.3, ci_low=0.2, ci_high=0.4, n=400, q_value=0.0002
    )
    caption = lead_lag_caption("BTC", [row])
    assert "q = <0.001" in caption and "0.000" not in caption
