from datetime import UTC, datetime, timedelta

from tickerpulse.web.charts import asset_figure, sparkline_svg
from tickerpulse.web.queries import AssetWindowRow


def test_sparkline_scales_into_the_box_and_colours_by_direction() -> None:
    up = sparkline_svg([1.0, 2.0, 3.0], width=100, height=20)
    assert "0.0,18.0" in up and "100.0,2.0" in up and "#0a7d38" in up
    assert "#b42318" in sparkline_svg([3.0, 1.0])
    assert sparkline_svg([1.0]) == ""
    flat = sparkline_svg([5.0, 5.0], width=10, height=20)
    assert 'points="0.0,18.0 10.0,18.0"' in flat


def test_asset_figure_aligns_price_sentiment_and_volume_on_one_axis() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [
        AssetWindowRow(start + timedelta(hours=6 * i), 1.0, 2.0, 0.5, 1.5, 0.1, 0.3, 10, None, 0)
        for i in range(3)
    ] + [AssetWindowRow(start + timedelta(hours=18), None, None, None, None, None, -0.2, 4, 0.1, 2)]
    figure = asset_figure("X", rows)
    candle, social, news, social_n, news_n = figure["data"]
    assert len(candle["x"]) == 3  # the window without a price has no candle
    assert social["x"] == news["x"] == social_n["x"] == news_n["x"] and len(social["x"]) == 4
    assert social["y"][-1] == -0.2 and news_n["y"][-1] == 2
    assert figure["layout"]["yaxis2"]["range"] == [-1, 1]
    assert "UTC" in figure["layout"]["xaxis"]["title"]["text"]
