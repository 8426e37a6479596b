"""The WCAG contrast arithmetic the browser accessibility checks rely on (pure, no browser)."""

from __future__ import annotations

import pytest

from tests.e2e.a11y import (
    WHITE,
    backdrop,
    composite,
    contrast_ratio,
    parse_css_colour,
    relative_luminance,
)

BLACK = (0.0, 0.0, 0.0, 1.0)


def test_computed_colours_parse_in_comma_and_space_syntax() -> None:
    assert parse_css_colour("rgb(29, 41, 57)") == (29.0, 41.0, 57.0, 1.0)
    assert parse_css_colour("rgba(0, 0, 0, 0)") == (0.0, 0.0, 0.0, 0.0)
    assert parse_css_colour("rgb(255 255 255 / 50%)") == (255.0, 255.0, 255.0, 0.5)
    with pytest.raises(ValueError, match="not an rgb"):
        parse_css_colour("color(srgb 1 0 0)")


def test_luminance_runs_from_black_to_white() -> None:
    assert relative_luminance(BLACK) == 0.0
    assert relative_luminance(WHITE) == pytest.approx(1.0)


def test_black_on_white_is_21_and_order_does_not_matter() -> None:
    assert contrast_ratio(BLACK, WHITE) == pytest.approx(21.0)
    assert contrast_ratio(WHITE, BLACK) == pytest.approx(21.0)
    assert contrast_ratio(WHITE, WHITE) == pytest.approx(1.0)


def test_the_grey_that_just_passes_aa_and_the_one_that_just_fails() -> None:
    assert contrast_ratio((118.0, 118.0, 118.0, 1.0), WHITE) == pytest.approx(4.54, abs=0.01)
    assert contrast_ratio((119.0, 119.0, 119.0, 1.0), WHITE) == pytest.approx(4.48, abs=0.01)


def test_translucent_text_is_blended_onto_its_background_first() -> None:
    half_black = (0.0, 0.0, 0.0, 0.5)
    assert composite(half_black, WHITE)[:3] == (127.5, 127.5, 127.5)
    assert contrast_ratio(half_black, WHITE) == pytest.approx(
        contrast_ratio((127.5, 127.5, 127.5, 1.0), WHITE)
    )


def test_the_backdrop_stacks_layers_from_the_root_down_over_white() -> None:
    transparent = (0.0, 0.0, 0.0, 0.0)
    blue = (24.0, 73.0, 169.0, 1.0)
    assert backdrop([transparent, transparent]) == WHITE
    assert backdrop([transparent, blue, transparent]) == blue
    assert backdrop([(255.0, 255.0, 255.0, 0.5), BLACK])[:3] == (127.5, 127.5, 127.5)
