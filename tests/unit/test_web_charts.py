"""The pure chart builders and page filters: SVG sparklines, the asset figure, formatting."""

import json
from datetime import UTC, datetime, timedelta, timezone
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from tickerpulse.web import formatting
from tickerpulse.web.charts import asset_figure, figure_json, price_unit, sparkline_svg
from tickerpulse.web.records import AssetWindowRow

START = datetime(2026, 1, 1, tzinfo=UTC)


def window(i: int, close: float | None, social: float | None = 0.3, news: float | None = None,
           social_n: int = 10, news_n: int = 0) -> AssetWindowRow:  # fmt: skip
    ohlc = (None,) * 4 if close is None else (close - 1, close + 1, close - 2, close)
    return AssetWindowRow(
        START + timedelta(hours=6 * i), *ohlc, None, social, social_n, news, news_n
    )


def test_sparkline_scales_into_the_box_and_colours_by_direction() -> None:
    up = sparkline_svg([1.0, 2.0, 3.0], width=100, height=20)
    assert 'points="0.0,18.0 50.0,10.0 100.0,2.0"' in up and "#0a7d38" in up
    assert 'viewBox="0 0 100 20"' in up and 'role="img"' in up and "+200.0%" in up
    assert "#b42318" in sparkline_svg([3.0, 1.0])


def test_sparkline_needs_two_points_and_draws_a_flat_series_at_the_bottom() -> None:
    assert sparkline_svg([]) == "" and sparkline_svg([1.0]) == ""
    assert 'points="0.0,18.0 10.0,18.0"' in sparkline_svg([5.0, 5.0], width=10, height=20)


@given(st.lists(st.floats(min_value=0.01, max_value=1e6), min_size=2, max_size=60))
def test_sparkline_points_always_stay_inside_the_box(values: list[float]) -> None:
    svg = sparkline_svg(values, width=120, height=28)
    points = svg.split('points="')[1].split('"')[0].split()
    assert len(points) == len(values)
    for point in points:
        x, y = map(float, point.split(","))
        assert 0 <= x <= 120 and 2 <= y <= 26


def test_asset_figure_shares_one_time_axis_across_price_sentiment_and_volume() -> None:
    rows = [window(0, 10.0), window(1, 11.0), window(2, None, -0.2, 0.1, 4, 2), window(3, 9.0)]
    fig = asset_figure("X", rows, unit="USD")
    candles, social, news, social_n, news_n = fig["data"]
    assert candles["x"] == ["2026-01-01 00:00", "2026-01-01 06:00", "2026-01-01 18:00"]
    assert candles["close"] == [10.0, 11.0, 9.0] and candles["high"] == [11.0, 12.0, 10.0]
    assert social["x"] == news["x"] == social_n["x"] == news_n["x"] and len(social["x"]) == 4
    assert social["y"] == [0.3, 0.3, -0.2, 0.3] and news["y"] == [None, None, 0.1, None]
    assert social_n["y"][2] == 4 and news_n["y"][2] == 2
    assert {t["xaxis"] for t in fig["data"]} == {"x"}
    assert [t["yaxis"] for t in fig["data"]] == ["y", "y2", "y2", "y3", "y3"]
    assert all("hovertemplate" in t for t in fig["data"][1:])
    assert "Social mentions" in social_n["hovertemplate"]
    # one legend entry per source toggles its sentiment and mention bars together
    assert [t.get("showlegend", True) for t in fig["data"]] == [True, True, True, False, False]
    assert social["legendgroup"] == social_n["legendgroup"] != news["legendgroup"]


def test_asset_figure_titles_units_and_ranges() -> None:
    layout = asset_figure("EURUSD", [window(0, 1.1)], unit="USD")["layout"]
    assert "EURUSD" in layout["title"]["text"]
    assert layout["xaxis"]["title"]["text"] == "Window start (UTC)"
    assert layout["xaxis"]["rangeslider"] == {"visible": False}
    assert layout["yaxis"]["title"]["text"] == "Price (USD)"
    assert layout["yaxis2"]["range"] == [-1, 1] and "−1" in layout["yaxis2"]["title"]["text"]
    assert "6 h" in layout["yaxis3"]["title"]["text"]
    domains = [layout[a]["domain"] for a in ("yaxis3", "yaxis2", "yaxis")]
    assert all(low[1] < high[0] for low, high in pairwise(domains))


def test_figure_x_values_are_utc_wall_times_even_for_other_offsets() -> None:
    tokyo = timezone(timedelta(hours=9))
    row = AssetWindowRow(
        datetime(2026, 1, 1, 21, tzinfo=tokyo), 1, 2, 0.5, 1.5, 0.0, 0.1, 1, None, 0
    )
    assert asset_figure("X", [row], unit="USD")["data"][0]["x"] == ["2026-01-01 12:00"]


def test_figure_json_cannot_close_its_script_element() -> None:
    text = figure_json({"data": [], "layout": {"title": {"text": "</script><b>&"}}})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text)["layout"]["title"]["text"] == "</script><b>&"


def test_price_unit_is_the_quote_currency_of_fx_pairs() -> None:
    assert price_unit("fx", "USDJPY") == "JPY" and price_unit("fx", "EURUSD") == "USD"
    assert price_unit("stock", "AAPL") == "USD" and price_unit("crypto", "BTC") == "USD"


def test_formatting_reads_well_and_marks_unknowns() -> None:
    assert formatting.pct(0.02) == "+2.00 %" and formatting.pct(None) == "–"
    assert formatting.share(0.523) == "52 %" and formatting.score(-0.414) == "-0.41"
    assert (
        formatting.sentiment_label(0.62) == "bullish"
        and formatting.sentiment_label(None) == "no data"
    )
    assert formatting.sentiment_class(-0.3) == "s-somewhat-bearish"
    assert formatting.direction_class(0.0) == "flat" and formatting.direction_class(-1) == "bear"
    assert formatting.price(61200.0) == "61,200.00" and formatting.price(1.08321) == "1.0832"
    assert formatting.number(12345) == "12,345"


def test_formatting_shows_times_in_utc() -> None:
    start = datetime(2026, 10, 30, 21, tzinfo=timezone(timedelta(hours=9)))  # 12:00 UTC
    assert formatting.window_span(start) == "2026-10-30 12:00–18:00 UTC"
    assert formatting.utc(start) == "2026-10-30 12:00 UTC"
    assert formatting.iso(start) == "2026-10-30T12:00:00Z"
    assert formatting.iso(formatting.window_end(start)) == "2026-10-30T18:00:00Z"
    assert formatting.window_span(datetime(2026, 10, 30, 18, tzinfo=UTC)) == (
        "2026-10-30 18:00–00:00 UTC"
    )


def test_only_http_links_are_rendered() -> None:
    assert formatting.safe_url("https://example.com/a") == "https://example.com/a"
    assert formatting.safe_url("javascript:alert(1)") is None and formatting.safe_url(None) is None
