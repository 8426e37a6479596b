"""Page weight and time to a drawn chart in a real browser: what a reader's first visit costs.

Builds two days of the simulated world into a throw-away home (embedded Postgres,
local lake), serves the site with uvicorn in a thread, and opens each chart page
in headless Debian chromium (Playwright, as the browser tests do; ``make browser``
installs it) with an empty cache, then again with the cache warm. For each visit
it reads the browser's own Resource Timing: bytes transferred (compressed, with
headers) for the document and every file it loaded, and the time from the start
of navigation until the page's first Plotly chart has drawn (the ``first-chart-drawn``
mark that ``static/site.js`` sets in the page's own performance timeline), which is
when the page is interactive.
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from fastapi import FastAPI

from bench.serving import serving
from tickerpulse.config import Settings
from tickerpulse.platform.tiers import Feature
from tickerpulse.runtime import cycle_context, open_runtime, simulated_sources, simulated_world
from tickerpulse.web.app import create_app
from tickerpulse.web.assets import PLOTLY_FILE, StaticAssets

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
PAGES = {
    "asset": "/asset/crypto:BTC",
    "compare": "/compare?assets=BTC,ETH,AAPL",
    "trending": "/",
}
VISITS = 5
BEFORE = "asset, full 4.8 MB Plotly bundle (as before, gzipped per request)"
BUDGET_BYTES = 1_000_000
BUDGET_MS = 500.0

TRANSFERRED_JS = """() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const files = performance.getEntriesByType("resource");
  return {bytes: nav.transferSize + files.reduce((sum, f) => sum + f.transferSize, 0),
          files: files.length + 1, dcl: nav.domContentLoadedEventEnd};
}"""


# When the page's own script finished drawing its first chart (site.js marks it), so the
# figure is the browser's timeline, not a round trip through the benchmark's driver.
DRAWN_MARK_JS = """() => {
  const mark = performance.getEntriesByName("first-chart-drawn")[0];
  return mark ? mark.startTime : null;
}"""


@dataclass(frozen=True)
class PageWeight:
    """One page's median visit, cold (empty cache) or warm."""

    page: str
    cold: bool
    transferred_bytes: int
    files: int
    content_loaded_ms: float
    drawn_ms: float


def _visit(browser: object, url: str, *, cold: bool) -> tuple[int, int, float, float]:
    """One visit in a fresh context (cold) or after a first visit in the same one (warm)."""
    context = browser.new_context()  # type: ignore[attr-defined]
    page = context.new_page()
    if not cold:
        page.goto(url)
        page.wait_for_load_state("load")
    page.goto(url)
    has_chart = page.locator(".chart").count() > 0
    if has_chart:
        page.locator(".chart .main-svg").first.wait_for()
        page.wait_for_function(DRAWN_MARK_JS)
    found = page.evaluate(TRANSFERRED_JS)
    drawn = float(page.evaluate(DRAWN_MARK_JS)) if has_chart else float(found["dcl"])
    context.close()
    return int(found["bytes"]), int(found["files"]), float(found["dcl"]), drawn


def with_full_plotly(app: FastAPI) -> FastAPI | None:
    """The app serving the full Plotly bundle under the same URL, as before this work.

    No gzip made in advance, so the gzip middleware compresses it on every request.

    The bundle comes from the ``plotly`` Python package; None when it is not installed.
    """
    spec = importlib.util.find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        return None
    full = Path(next(iter(spec.submodule_search_locations))) / "package_data/plotly.min.js"
    if not full.is_file():
        return None
    assets: StaticAssets = app.state.static_assets
    assets.files[PLOTLY_FILE] = replace(
        assets.files[PLOTLY_FILE], body=full.read_bytes(), gzipped=None
    )
    return app


def _measure(browser: object, name: str, url: str, *, cold: bool) -> PageWeight:
    """The median of :data:`VISITS` visits (after one that warms the server)."""
    _visit(browser, url, cold=True)
    runs = [_visit(browser, url, cold=cold) for _ in range(VISITS)]
    result = PageWeight(
        name, cold, int(_median([r[0] for r in runs])), runs[0][1],
        _median([r[2] for r in runs]), _median([r[3] for r in runs]),
    )  # fmt: skip
    print(result, flush=True)
    return result


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def measure(days: int = 2) -> list[PageWeight]:
    """Build the data, serve it and load every page :data:`VISITS` times cold and warm."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        raise RuntimeError("chromium is missing: run `make browser`")
    results: list[PageWeight] = []
    with tempfile.TemporaryDirectory(prefix="tp-weight-bench-") as home:
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None, home=Path(home), sim_days=days, secret_key="weight-bench",
            tier_overrides={feature.value: "free" for feature in Feature},
        )  # fmt: skip
        runtime = open_runtime(settings)
        world = simulated_world(runtime)
        ctx = cycle_context(runtime, simulated_sources(world))
        from tickerpulse.jobs.cycle import run_cycle

        for window in world.windows:
            run_cycle(ctx, window)
        try:
            with serving(create_app(settings, runtime.engine)) as base, sync_playwright() as p:
                browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
                for name, path in PAGES.items():
                    for cold in (True, False):
                        results.append(_measure(browser, name, base + path, cold=cold))
                before = with_full_plotly(create_app(settings, runtime.engine))
                if before is not None:
                    with serving(before) as old:
                        results.append(_measure(browser, BEFORE, old + PAGES["asset"], cold=True))
                browser.close()
        finally:
            runtime.engine.dispose()
    return results


def page_weight_section(results: list[PageWeight]) -> str:
    """The section for docs/benchmarks.md."""
    from bench.report import machine_line

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    lines = [
        "## Page weight: bytes and time to a drawn chart in the browser",
        "",
        machine_line(),
        f"_Load average while measuring: {load} (the machine is shared; times grow with it)._",
        "",
        "Two days of the simulated world; the site served by uvicorn on loopback; each page",
        f"opened {VISITS} times in headless Debian chromium with an empty cache (cold) and",
        "after a first visit (warm); medians. Bytes are the browser's Resource Timing",
        "`transferSize` (compressed, headers included) of the document and every file;",
        '"drawn" is the time from navigation start until the first Plotly chart has drawn',
        "(the page's own `first-chart-drawn` mark; for a page without a chart:",
        "DOMContentLoaded); further charts are drawn one per task after it. Before this work",
        "the asset page sent the full 4.8 MB Plotly bundle uncompressed (the last row serves",
        "it again, in the same run, gzipped per request); now the vendored finance partial bundle",
        "(1.3 MB, ~430 kB gzipped), gzip on pages and files, and year-long caching of",
        "fingerprinted files (`web/assets.py`).",
        f"Budget for a cold asset page: < {BUDGET_BYTES / 1e6:.0f} MB and < {BUDGET_MS:.0f} ms.",
        "",
        "| page | cache | transferred kB | files | DOMContentLoaded ms | drawn ms |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.page} | {'cold' if r.cold else 'warm'} | {r.transferred_bytes / 1000:,.0f} |"
            f" {r.files} | {r.content_loaded_ms:.0f} | {r.drawn_ms:.0f} |"
        )
    asset = next(r for r in results if r.page == "asset" and r.cold)
    met = asset.transferred_bytes < BUDGET_BYTES and asset.drawn_ms < BUDGET_MS
    warm = next(r for r in results if r.page == "asset" and not r.cold)
    lines += [
        "",
        f"Cold asset page: {asset.transferred_bytes / 1000:,.0f} kB, chart drawn at"
        f" {asset.drawn_ms:.0f} ms — budget {'met' if met else '**not met**'}. Most of the cold",
        "time is chromium compiling and running the Plotly bundle on first sight (the warm",
        f"visit, with the browser's code cache, draws at {warm.drawn_ms:.0f} ms); it is CPU time,",
        "so it shrinks on a machine that is not shared.",
    ]
    return "\n".join(lines)
