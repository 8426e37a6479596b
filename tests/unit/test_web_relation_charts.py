import json

import pytest

from tickerpulse.web.records import EventRow, LagRow
from tickerpulse.web.relation_charts import (
    event_study_caption,
    event_study_figure,
    lag_words,
    lead_lag_caption,
    lead_lag_figure,
    relation_charts,
    significant_lags,
)


def lag(source: str, k: int, r: float | None, q: float | None = 0.5, half: float = 0.1) -> LagRow:
    low, high = (None, None) if r is None else (r - half, r + half)
    return LagRow(source, k, r, low, high, 400, q)


def quiet_lags() -> list[LagRow]:
    return [lag(s, k, 0.01 * k) for s in ("social", "news") for k in range(-4, 5)]


def event(source: str, kind: str, tau: int, car: float, n: int = 12, p: float = 0.4) -> EventRow:
    return EventRow(source, kind, tau, car, car - 0.01, car + 0.01, n, p)


def test_a_lag_is_significant_only_with_a_small_q_and_an_interval_clear_of_zero() -> None:
    rows = [
        lag("social", -1, -0.2, q=0.01),  # significant
        lag("social", 1, 0.2, q=0.2),  # q too large
        lag("news", 0, 0.05, q=0.01),  # interval −0.05 … +0.15 straddles 0
        lag("news", 2, 0.3, q=None),  # no q: not claimed
    ]
    assert significant_lags(rows) == [rows[0]]


def test_lead_lag_caption_says_no_lag_is_significant_when_none_is() -> None:
    caption = lead_lag_caption("TSLA", quiet_lags())
    assert caption.startswith("No lag is significant") and "TSLA" in caption


def test_lead_lag_caption_names_a_significant_lag_and_who_moved_first() -> None:
    rows = [*quiet_lags()[1:], lag("social", -1, -0.25, q=0.004)]
    caption = lead_lag_caption("BTC", rows)
    assert "social sentiment at lag -1" in caption and "r = -0.25" in caption
    assert "lag 0 " in lead_lag_caption("BTC", [lag("news", 0, 0.3, q=0.001)])
    assert "the price moved first, the talk followed 6 h later" in caption
    assert "not by itself a forecast" in caption
    assert lag_words(2) == "sentiment came first, the price moved 12 h later"


def test_lead_lag_empty_states_say_why() -> None:
    assert "yet" in lead_lag_caption("ETH", []) and lead_lag_figure("ETH", []) is None
    sparse = [lag("social", k, None) for k in range(-4, 5)]
    assert "Too few windows" in lead_lag_caption("ETH", sparse)
    assert lead_lag_figure("ETH", sparse) is None


def test_lead_lag_figure_draws_each_class_with_its_interval_and_hover_values() -> None:
    rows = quiet_lags()
    figure = lead_lag_figure("TSLA", rows)
    assert figure is not None
    social, news = figure["data"]
    assert social["name"] == "Social sentiment" and news["name"] == "News sentiment"
    assert social["y"] == pytest.approx([0.01 * k for k in range(-4, 5)])
    assert social["error_y"]["array"] == pytest.approx([0.1] * 9)
    assert social["error_y"]["arrayminus"] == pytest.approx([0.1] * 9)
    assert "95 % CI -0.140 … +0.060" in social["text"][0] and "400 windows" in social["text"][0]
    layout = figure["layout"]
    assert "UTC" in layout["title"]["text"] and "6-hour" in layout["xaxis"]["title"]["text"]
    assert layout["xaxis"]["tickvals"] == list(range(-4, 5))
    assert "−1 to +1" in layout["yaxis"]["title"]["text"]
    json.dumps(figure)  # plain JSON types only


def test_event_study_figure_is_in_percent_and_leaves_out_single_events() -> None:
    rows = [event("social", "mention_spike", t, 0.001 * t) for t in range(-4, 5)]
    rows += [event("news", "sentiment_spike", t, 0.002, n=1) for t in range(-4, 5)]
    figure = event_study_figure("TSLA", rows)
    assert figure is not None and len(figure["data"]) == 1
    trace = figure["data"][0]
    assert trace["name"] == "Social mention spikes (n = 12)"
    assert trace["x"] == list(range(-4, 5)) and trace["y"][-1] == pytest.approx(0.4)
    assert trace["error_y"]["array"] == pytest.approx([1.0] * 9)  # ±0.01 → ±1 %
    assert "+4 windows (+24 h) from the spike" in trace["text"][-1]
    assert "%" in figure["layout"]["yaxis"]["title"]["text"]
    assert "UTC" in figure["layout"]["title"]["text"]
    assert event_study_figure("TSLA", rows[9:]) is None  # only single events


def test_event_study_caption_reads_the_car_after_the_window_and_its_significance() -> None:
    quiet = [event("social", "mention_spike", t, 0.001 * t) for t in range(-4, 5)]
    caption = event_study_caption("TSLA", quiet)
    assert "social mention spikes (n = 12) +0.40 % (95 % CI -0.60 … +1.40 %)" in caption
    assert "from 4 windows before a spike to 4 after" in caption
    assert caption.endswith("No kind of spike is followed by a significant move.")
    strong = [event("news", "sentiment_spike", t, 0.02, p=0.001) for t in range(-4, 5)]
    caption = event_study_caption("TSLA", strong)
    assert "+2.00 % (95 % CI +1.00 … +3.00 %), significant." in caption
    assert caption.endswith("An association in past data, not by itself a forecast.")
    single = [event("news", "sentiment_spike", t, 0.02, n=1) for t in range(-4, 5)]
    assert event_study_caption("TSLA", single) == (
        "Only one event so far, too few to average: news sentiment spikes."
    )


def test_event_study_empty_states_tell_no_spikes_from_not_published() -> None:
    assert "No spike in TSLA's mentions or sentiment" in event_study_caption("TSLA", [])
    assert "No event study has been published" in event_study_caption("TSLA", [], published=False)


def test_relation_charts_bundle_figures_as_script_safe_json() -> None:
    charts = relation_charts("A<B", quiet_lags(), [])
    assert charts.lead_lag_json is not None and "<" not in charts.lead_lag_json
    assert charts.events_json is None and "No spike" in charts.events_caption
    assert charts.lead_lag_caption.startswith("No lag is significant")
