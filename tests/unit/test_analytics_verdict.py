import pandas as pd

from tickerpulse.analytics.stats import Estimate
from tickerpulse.analytics.verdict import frame_verdicts, verdict


def test_interval_through_zero_is_called_not_significant_with_its_numbers() -> None:
    text = verdict(Estimate(0.04, -0.05, 0.13, 480, 0.38, None, "pearson"))
    assert text == "no significant relation (r = 0.04, 95% CI −0.05…0.13, n = 480, p = 0.380)"


def test_significant_relation_is_an_association_never_a_prediction() -> None:
    text = verdict(Estimate(0.21, 0.12, 0.30, 480, 1e-6, 2e-5, "spearman"))
    assert text.startswith("weak positive relation (ρ = 0.21, 95% CI 0.12…0.30, n = 480")
    assert "BH q = <0.001" in text and "not by itself a forecast" in text
    assert "predict" not in text


def test_small_p_without_correction_surviving_is_not_significant() -> None:
    # raw p looks good but the Benjamini-Hochberg q over many assets does not
    text = verdict(Estimate(0.15, 0.01, 0.29, 200, 0.03, 0.4, "pearson"))
    assert text.startswith("no significant relation") and "BH q = 0.400" in text


def test_too_little_data_is_said_plainly() -> None:
    assert verdict(Estimate(0.9, 0.1, 0.99, 8, 0.01, None, "pearson")).startswith(
        "too little data to judge"
    )


def test_auc_verdicts_compare_with_a_coin_flip() -> None:
    coin = verdict(Estimate(0.51, 0.49, 0.53, 9000, 0.2, None, "auc"))
    edge = verdict(Estimate(0.57, 0.56, 0.58, 9000, 1e-9, None, "auc"))
    assert coin.startswith("no better than a coin flip out of sample (AUC = 0.51")
    assert edge.startswith("modestly better than a coin flip") and "before the costs" in edge


def test_results_tables_get_one_verdict_per_row() -> None:
    frame = pd.DataFrame(
        {
            "r": [0.3, 0.01],
            "ci_low": [0.2, -0.1],
            "ci_high": [0.4, 0.12],
            "n": [400, 400],
            "p_value": [1e-9, 0.8],
            "q_value": [1e-8, 0.8],
            "method": ["pearson", "pearson"],
        }
    )
    texts = frame_verdicts(frame)
    assert texts[0].startswith("moderate positive relation") and texts[1].startswith(
        "no significant"
    )


def test_a_tiny_auc_edge_is_not_sold_as_one_even_when_n_makes_it_significant() -> None:
    text = verdict(Estimate(0.5017, 0.5008, 0.5026, 1_400_000, 1e-4, None, "auc"))
    assert text.startswith(
        "no useful edge over a coin flip out of sample (AUC = 0.502, 95% CI 0.501…0.503"
    )


def test_trading_verdicts_say_profit_or_loss_after_costs_and_hedge_the_profit() -> None:
    flat = verdict(Estimate(0.0001, -0.0002, 0.0004, 500, 0.5, None, "mean_net_return"))
    loss = verdict(Estimate(-0.0003, -0.0004, -0.0002, 500, 1e-5, None, "mean_net_return"))
    gain = verdict(Estimate(0.0045, 0.004, 0.005, 500, 1e-9, None, "mean_net_return"))
    assert flat.startswith(
        "no significant profit or loss after costs (mean per window = +0.01%, 95% CI −0.02%…+0.04%"
    )
    assert loss.startswith("lost money on average after costs")
    assert "not a promise" in gain
