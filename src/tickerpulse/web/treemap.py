"""The market overview's heatmap: a squarified treemap of assets by class, drawn as server-side SVG.

Each class gets an area in proportion to its mentions, each asset a tile in
its class in proportion to its own; tiles are coloured by sentiment on a
colour-blind-safe diverging scale (ColorBrewer's PuOr: orange for bearish,
purple for bullish, grey-white for neutral, which readers with any common
colour-vision deficiency still tell apart) with labels whose contrast with
the tile is at least 4.5:1. Every tile is a link to its asset page. No
script: the SVG is part of the page, so it works under the site's CSP and
without JavaScript. Pure: rows in, markup strings and rectangles out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from tickerpulse.web.insight_records import OverviewTile

WIDTH, HEIGHT = 1000.0, 560.0
MAX_TILES_PER_CLASS = 40
"""Busiest assets drawn per class; the rest would be slivers (the table lists them all)."""

SCALE: tuple[tuple[str, str], ...] = (
    ("#b35806", "bearish (≤ −0.50)"),
    ("#f1a340", "somewhat bearish (−0.50…−0.15)"),
    ("#fee0b6", "leaning bearish (−0.15…−0.05)"),
    ("#f7f7f7", "neutral (−0.05…+0.05)"),
    ("#d8daeb", "leaning bullish (+0.05…+0.15)"),
    ("#998ec3", "somewhat bullish (+0.15…+0.50)"),
    ("#542788", "bullish (≥ +0.50)"),
)
"""Fill and legend words per band, bearish to bullish (ColorBrewer PuOr, 7 classes)."""
NO_SENTIMENT = ("#d0d5dd", "no score")


@dataclass(frozen=True)
class Rect:
    """A rectangle in SVG user units."""

    x: float
    y: float
    w: float
    h: float


def colour(sentiment: float | None) -> str:
    """The fill of a tile for a mean sentiment (grey without one)."""
    if sentiment is None:
        return NO_SENTIMENT[0]
    band = (
        0 if sentiment <= -0.5 else 1 if sentiment < -0.15 else 2 if sentiment < -0.05
        else 3 if sentiment <= 0.05 else 4 if sentiment <= 0.15 else 5 if sentiment < 0.5
        else 6
    )  # fmt: skip
    return SCALE[band][0]


def _luminance(fill: str) -> float:
    channels = [int(fill[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    """The WCAG contrast ratio of two ``#rrggbb`` colours."""
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def label_colour(fill: str) -> str:
    """Black or white, whichever contrasts more with ``fill``."""
    return "#000000" if contrast(fill, "#000000") >= contrast(fill, "#ffffff") else "#ffffff"


def squarify(sizes: Sequence[float], box: Rect) -> list[Rect]:
    """Lay out ``sizes`` (largest first for good aspect ratios) in ``box``, areas proportional.

    The squarified algorithm of Bruls, Huizing and van Wijk: fill rows along the
    shorter side while the worst aspect ratio in the row improves.

    Args:
        sizes: Positive sizes.
        box: The rectangle to fill.

    Returns:
        One rectangle per size, in the same order.
    """
    total = sum(sizes)
    if total <= 0 or not sizes:
        return [Rect(box.x, box.y, 0.0, 0.0) for _ in sizes]
    scale = box.w * box.h / total
    areas = [s * scale for s in sizes]
    out: list[Rect] = []
    x, y, w, h = box.x, box.y, box.w, box.h
    i = 0
    while i < len(areas):
        side = min(w, h)
        row = [areas[i]]
        i += 1
        while i < len(areas) and _worst([*row, areas[i]], side) <= _worst(row, side):
            row.append(areas[i])
            i += 1
        thickness = sum(row) / side if side > 0 else 0.0
        offset = 0.0
        for area in row:
            length = area / thickness if thickness > 0 else 0.0
            if w >= h:  # the row is a column on the left
                out.append(Rect(x, y + offset, thickness, length))
            else:  # the row is a band on top
                out.append(Rect(x + offset, y, length, thickness))
            offset += length
        if w >= h:
            x, w = x + thickness, w - thickness
        else:
            y, h = y + thickness, h - thickness
    return out


def _worst(row: Sequence[float], side: float) -> float:
    total = sum(row)
    if total <= 0 or side <= 0:
        return float("inf")
    ratios = (side * side * a / (total * total) for a in row)
    return max(max(r, 1 / r) if r > 0 else float("inf") for r in ratios)


def _tile(tile: OverviewTile, rect: Rect) -> str:
    fill = colour(tile.sentiment)
    ink = label_colour(fill)
    tone = "no sentiment score" if tile.sentiment is None else f"sentiment {tile.sentiment:+.2f}"
    words = f"{tile.symbol} ({tile.asset_class}): {tile.mentions:,} mentions, {tone}"
    text = ""
    if rect.w >= 34 and rect.h >= 18:
        size = max(10.0, min(22.0, rect.w / max(3, len(tile.symbol)) * 0.9, rect.h * 0.45))
        text = (
            f'<text x="{rect.x + rect.w / 2:.1f}" y="{rect.y + rect.h / 2:.1f}" fill="{ink}"'
            f' font-size="{size:.0f}" text-anchor="middle" dominant-baseline="central"'
            f' aria-hidden="true">{escape(tile.symbol)}</text>'
        )
    return (
        f'<a href="/asset/{escape(tile.asset_id)}" aria-label="{escape(words)}">'
        f"<title>{escape(words)}</title>"
        f'<rect x="{rect.x:.1f}" y="{rect.y:.1f}" width="{rect.w:.1f}" height="{rect.h:.1f}"'
        f' fill="{fill}" stroke="#ffffff" stroke-width="1.5"/>{text}</a>'
    )


def drawn_tiles(tiles: Sequence[OverviewTile]) -> list[OverviewTile]:
    """The tiles the map draws: mentioned ones, the busiest :data:`MAX_TILES_PER_CLASS` per class.

    Returns:
        Them busiest first.
    """
    kept: dict[str, int] = {}
    out = []
    for tile in sorted(tiles, key=lambda t: (-t.mentions, t.asset_id)):
        if tile.mentions > 0 and kept.get(tile.asset_class, 0) < MAX_TILES_PER_CLASS:
            kept[tile.asset_class] = kept.get(tile.asset_class, 0) + 1
            out.append(tile)
    return out


def treemap_svg(tiles: Sequence[OverviewTile]) -> Markup:
    """The overview heatmap as an inline SVG element (empty markup without tiles).

    Args:
        tiles: Assets with their class, mentions and sentiment (any order).

    Returns:
        ``<svg>`` markup: one group per class, headed by its name, holding
        linked tiles.
    """
    by_class: dict[str, list[OverviewTile]] = {}
    for tile in drawn_tiles(tiles):
        by_class.setdefault(tile.asset_class, []).append(tile)
    if not by_class:
        return Markup("")
    classes = sorted(by_class, key=lambda c: -sum(t.mentions for t in by_class[c]))
    boxes = squarify(
        [sum(t.mentions for t in by_class[c]) for c in classes], Rect(0, 0, WIDTH, HEIGHT)
    )
    parts = [
        f'<svg class="treemap" viewBox="0 0 {WIDTH:.0f} {HEIGHT:.0f}" role="group"'
        ' aria-label="Assets by class, sized by mentions, coloured by sentiment"'
        ' xmlns="http://www.w3.org/2000/svg">'
    ]
    for name, box in zip(classes, boxes, strict=True):
        head = 20.0 if box.h > 60 and box.w > 60 else 0.0
        inner = Rect(box.x + 2, box.y + head + 2, max(box.w - 4, 0), max(box.h - head - 4, 0))
        members = by_class[name]
        rects = squarify([t.mentions for t in members], inner)
        parts.append(f'<g aria-label="{escape(name)}" role="group">')
        parts.append(
            f'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="{box.w:.1f}" height="{box.h:.1f}"'
            ' fill="#1d2939"/>'
        )
        if head:
            parts.append(
                f'<text x="{box.x + 6:.1f}" y="{box.y + 14:.1f}" fill="#ffffff" font-size="13"'
                f' font-weight="700">{escape(name.upper())}</text>'
            )
        parts += [_tile(t, r) for t, r in zip(members, rects, strict=True)]
        parts.append("</g>")
    parts.append("</svg>")
    return Markup("".join(parts))


def legend() -> list[tuple[str, str, str]]:
    """The scale's bands as ``(fill, label colour, words)``, bearish to bullish, then no score."""
    bands = [(fill, label_colour(fill), words) for fill, words in SCALE]
    return [*bands, (NO_SENTIMENT[0], label_colour(NO_SENTIMENT[0]), NO_SENTIMENT[1])]
