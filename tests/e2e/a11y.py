"""Accessibility basics checked in a real browser, and the WCAG contrast arithmetic they use.

The browser collects facts (form controls without a name, images and SVGs
without a text alternative, headings, the document's language, the colours
of every visible text element and of what lies behind it); the verdicts are
computed here in plain Python, so the arithmetic is unit-tested without a
browser (``tests/e2e/test_contrast.py``). WCAG 2.x: relative luminance of
sRGB colours, contrast ``(L1 + 0.05) / (L2 + 0.05)``, AA needs 4.5:1 for
body text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Page

RGBA = tuple[float, float, float, float]
"""Red, green, blue in 0–255 and alpha in 0–1, as computed styles give them."""

WHITE: RGBA = (255.0, 255.0, 255.0, 1.0)
AA_BODY_TEXT = 4.5

_COLOUR = re.compile(
    r"rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)(?:\s*[,/]\s*([\d.]+%?))?\s*\)"
)


def parse_css_colour(text: str) -> RGBA:
    """An ``rgb()``/``rgba()`` computed colour (comma or space syntax) as RGBA.

    Raises:
        ValueError: For any other notation (computed styles use these two).
    """
    found = _COLOUR.fullmatch(text.strip())
    if found is None:
        raise ValueError(f"not an rgb()/rgba() colour: {text!r}")
    red, green, blue, alpha = found.groups()
    if alpha is None:
        opacity = 1.0
    elif alpha.endswith("%"):
        opacity = float(alpha[:-1]) / 100
    else:
        opacity = float(alpha)
    return float(red), float(green), float(blue), opacity


def composite(top: RGBA, bottom: RGBA) -> RGBA:
    """``top`` painted over an opaque ``bottom`` (source-over alpha blending)."""
    alpha = top[3]
    mixed = [alpha * t + (1 - alpha) * b for t, b in zip(top[:3], bottom[:3], strict=True)]
    return mixed[0], mixed[1], mixed[2], 1.0


def relative_luminance(colour: RGBA) -> float:
    """WCAG relative luminance of an opaque sRGB colour: 0 (black) to 1 (white)."""

    def linear(channel: float) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(c) for c in colour[:3])
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(foreground: RGBA, background: RGBA) -> float:
    """WCAG contrast ratio (1–21) of text over an opaque background; a translucent text
    colour is first blended onto that background."""
    text = composite(foreground, background)
    lighter, darker = sorted(
        (relative_luminance(text), relative_luminance(background)), reverse=True
    )
    return (lighter + 0.05) / (darker + 0.05)


def backdrop(layers: list[RGBA]) -> RGBA:
    """The opaque colour behind an element from its own background up to the root's.

    Args:
        layers: Background colours, the element's first and the root's last;
            the page itself is white below them all.
    """
    colour = WHITE
    for layer in reversed(layers):
        colour = composite(layer, colour)
    return colour


@dataclass(frozen=True)
class TextSample:
    """One visible text element with its colours, as the browser computed them."""

    text: str
    selector: str
    colour: RGBA
    layers: list[RGBA]

    @property
    def ratio(self) -> float:
        """Its contrast ratio against what lies behind it."""
        return contrast_ratio(self.colour, backdrop(self.layers))


_FACTS_JS = """
() => {
  const shown = (el) => {
    const r = el.getBoundingClientRect();
    const s = getComputedStyle(el);
    return r.width > 1 && r.height > 1 && r.right > 0 && r.bottom > 0
      && s.visibility !== "hidden" && s.display !== "none";
  };
  const path = (el) => {
    const parts = [];
    for (let e = el; e && e !== document.body && parts.length < 4; e = e.parentElement) {
      parts.unshift(e.tagName.toLowerCase() + (e.id ? "#" + e.id : "")
        + (e.classList.length ? "." + [...e.classList].join(".") : ""));
    }
    return parts.join(" > ");
  };
  const named = (el) => {
    if ((el.getAttribute("aria-label") || "").trim()) return true;
    const by = el.getAttribute("aria-labelledby");
    if (by && by.split(/\\s+/).some((id) => (document.getElementById(id)?.textContent || "").trim())) return true;
    if (el.labels && [...el.labels].some((l) => l.textContent.trim())) return true;
    if ((el.getAttribute("title") || "").trim()) return true;
    if (el.tagName === "BUTTON" && el.textContent.trim()) return true;
    if (el.tagName === "INPUT" && ["submit", "button", "reset"].includes(el.type) && el.value) return true;
    return false;
  };
  const controls = [...document.querySelectorAll("input, select, textarea, button")]
    .filter((el) => el.type !== "hidden" && !el.closest(".js-plotly-plot"))
    .filter((el) => !named(el)).map(path);
  const images = [...document.querySelectorAll("img, svg")].filter((el) => {
    if (el.closest("[aria-hidden=true]") || !shown(el)) return false;
    if (el.tagName === "IMG") return !el.hasAttribute("alt");
    if (el.closest("[role=img][aria-label]")) return false;  // a chart's container names it
    const role = el.getAttribute("role");
    // role=group: an SVG of links (the overview's treemap) names itself and each link
    return !((role === "img" || role === "group") && (el.getAttribute("aria-label") || el.querySelector("title")));
  }).map(path);
  const texts = [];
  for (const el of document.body.querySelectorAll("*")) {
    if (el.closest("svg, script, style, noscript, option, .js-plotly-plot, .visually-hidden")) continue;
    if (el.matches(":disabled")) continue;
    const own = [...el.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent).join("").trim();
    if (!own || !shown(el)) continue;
    const layers = [];
    for (let e = el; e; e = e.parentElement) layers.push(getComputedStyle(e).backgroundColor);
    texts.push({text: own.slice(0, 60), selector: path(el), colour: getComputedStyle(el).color, layers});
  }
  return {
    lang: document.documentElement.lang,
    h1: document.querySelectorAll("h1").length,
    title: document.title,
    controls, images, texts,
  };
}
"""


def page_facts(page: Page) -> dict[str, Any]:
    """The raw facts about the page in ``page`` (see :data:`_FACTS_JS`)."""
    facts: dict[str, Any] = page.evaluate(_FACTS_JS)
    return facts


def text_samples(facts: dict[str, Any]) -> list[TextSample]:
    """The page's visible text elements with parsed colours."""
    return [
        TextSample(
            text=t["text"],
            selector=t["selector"],
            colour=parse_css_colour(t["colour"]),
            layers=[parse_css_colour(c) for c in t["layers"]],
        )
        for t in facts["texts"]
    ]


def problems(page: Page) -> list[str]:
    """What the page gets wrong of the basics: empty list when it passes.

    Checks: ``<html lang>``, a title, exactly one ``h1``, an accessible name on
    every form control, a text alternative on every image and SVG, and body
    text contrast of at least 4.5:1.
    """
    facts = page_facts(page)
    found: list[str] = []
    if not facts["lang"]:
        found.append("<html> has no lang attribute")
    if not facts["title"]:
        found.append("the page has no <title>")
    if facts["h1"] != 1:
        found.append(f"{facts['h1']} h1 headings (want exactly one)")
    found += [f"form control without a label: {c}" for c in facts["controls"]]
    found += [f"image/SVG without a text alternative: {i}" for i in facts["images"]]
    for sample in text_samples(facts):
        if sample.ratio < AA_BODY_TEXT:
            found.append(
                f"contrast {sample.ratio:.2f}:1 < {AA_BODY_TEXT}:1 for “{sample.text}” ({sample.selector})"
            )
    return found


_FOCUS_JS = """
() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const s = getComputedStyle(el);
  const outline = s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0;
  const shadow = s.boxShadow && s.boxShadow !== "none";
  return {
    tag: el.tagName.toLowerCase(), text: (el.textContent || el.value || "").trim().slice(0, 40),
    href: el.getAttribute("href"), inMainNav: !!el.closest("nav[aria-label=Main]"),
    firstSubmit: el === document.querySelector("main form [type=submit], main form button:not([type])"),
    visible: outline || shadow,
  };
}
"""


def keyboard_problems(page: Page, *, max_tabs: int = 80) -> list[str]:
    """Tab through the page from the top: every main nav link and the first form's submit
    button in ``main`` must be reached, each with a visible focus style."""
    page.locator("body").focus()
    nav_links = page.locator("nav[aria-label=Main] a").count()
    has_form = page.locator("main form [type=submit], main form button:not([type])").count() > 0
    reached_nav, reached_submit = 0, not has_form
    found: list[str] = []
    for _ in range(max_tabs):
        page.keyboard.press("Tab")
        focus = page.evaluate(_FOCUS_JS)
        if focus is None:
            continue
        if not focus["visible"]:
            found.append(f"no visible focus style on <{focus['tag']}> “{focus['text']}”")
        reached_nav += focus["inMainNav"]
        reached_submit = reached_submit or focus["firstSubmit"]
        if reached_nav >= nav_links and reached_submit:
            break
    if reached_nav < nav_links:
        found.append(f"Tab reached {reached_nav} of {nav_links} main nav links")
    if not reached_submit:
        found.append(f"Tab did not reach the first form's submit button in {max_tabs} presses")
    return found


def horizontal_overflow(page: Page) -> int:
    """How many CSS pixels the page body is wider than the viewport (0: no sideways scroll)."""
    overflow: int = page.evaluate(
        "() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
        " - document.documentElement.clientWidth"
    )
    return max(overflow, 0)
