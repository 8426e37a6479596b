"""The overview's treemap: areas in proportion, tiles inside their box, a readable safe scale."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tickerpulse.web.insight_records import OverviewTile
from tickerpulse.web.treemap import (
    MAX_TILES_PER_CLASS,
    Rect,
    colour,
    contrast,
    drawn_tiles,
    legend,
    squarify,
    treemap_svg,
)


def tile(
    symbol: str, mentions: int, klass: str = "stock", sentiment: float | None = 0.2
) -> OverviewTile:
    return OverviewTile(f"{klass}:{symbol}", symbol, symbol, klass, mentions, sentiment)


@given(st.lists(st.integers(min_value=1, max_value=10_000), min_size=1, max_size=60))
def test_squarify_gives_each_size_its_share_of_the_box_and_stays_inside(sizes: list[int]) -> None:
    box = Rect(10, 20, 600, 400)
    ordered = sorted(sizes, reverse=True)
    rects = squarify(ordered, box)
    total = sum(ordered)
    for size, rect in zip(ordered, rects, strict=True):
        assert rect.w * rect.h == pytest.approx(box.w * box.h * size / total, rel=1e-6)
        assert box.x - 1e-6 <= rect.x and rect.x + rect.w <= box.x + box.w + 1e-6
        assert box.y - 1e-6 <= rect.y and rect.y + rect.h <= box.y + box.h + 1e-6


def test_colour_bands_follow_the_sentiment_labels() -> None:
    assert colour(-0.5) == colour(-0.9) == "#b35806"
    assert colour(0.0) == colour(0.05) == "#f7f7f7"
    assert colour(0.5) == colour(1.0) == "#542788"
    assert colour(None) == "#d0d5dd"
    assert len({colour(x / 100) for x in range(-100, 101)}) == 7


def test_every_band_has_a_label_colour_with_aa_contrast() -> None:
    for fill, ink, _ in legend():
        assert contrast(fill, ink) >= 4.5


def test_the_map_draws_the_busiest_per_class_and_links_each_tile() -> None:
    tiles = [tile(f"S{i}", 100 + i) for i in range(MAX_TILES_PER_CLASS + 5)]
    tiles += [tile("BTC", 50, "crypto", -0.7), tile("NONE", 0, "crypto")]
    drawn = drawn_tiles(tiles)
    assert len(drawn) == MAX_TILES_PER_CLASS + 1
    assert all(t.symbol not in ("S0", "S4", "NONE") for t in drawn)
    svg = str(treemap_svg(tiles))
    assert svg.count("<a href=") == len(drawn)
    assert 'href="/asset/crypto:BTC"' in svg and "sentiment -0.70" in svg


def test_symbols_are_escaped_in_the_svg() -> None:
    svg = str(treemap_svg([tile("<b>", 5)]))
    assert "<b>" not in svg and "&lt;b&gt;" in svg
