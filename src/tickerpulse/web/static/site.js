// What every page runs: local times beside UTC windows, and the Plotly charts whose figures
// the page carries as JSON (<script type="application/json" id="<name>-figure"> for the
// <div id="<name>-chart">).
// A file, not inline scripts, so the site's Content-Security-Policy can forbid inline scripts;
// deferred after the page's plotly.min.js, it runs once the document is parsed.
"use strict";
// The figures are built with the light scheme's colours (charts.py); in the dark scheme
// (prefers-color-scheme) each of those is swapped for its dark counterpart (site.css), so
// charts and page read alike. live.js themes its figures with the same function.
const DARK_CHART_COLOURS = {
  "#ffffff": "#0c111d", "#1d2939": "#f2f4f7", "#e4e7ec": "#333741", "#98a2b3": "#85888e",
  "#d0d5dd": "#61646c", "#0a7d38": "#47cd89", "#b42318": "#f97066", "#1570ef": "#53b1fd",
  "#c4320a": "#fd853a", "#6941c6": "#bdb4fe", "#b54708": "#fdb022",
};
window.tickerpulseTheme = function (fig) {
  if (!window.matchMedia || !window.matchMedia("(prefers-color-scheme: dark)").matches) return fig;
  const swap = function (value) {
    if (typeof value === "string") return DARK_CHART_COLOURS[value.toLowerCase()] || value;
    if (Array.isArray(value)) return value.map(swap);
    if (value && typeof value === "object") {
      for (const key of Object.keys(value)) value[key] = swap(value[key]);
    }
    return value;
  };
  swap(fig.data);
  swap(fig.layout);
  return fig;
};
window.addEventListener("DOMContentLoaded", function () {
  const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const fmt = new Intl.DateTimeFormat(undefined, {month: "short", day: "numeric", hour: "2-digit", minute: "2-digit"});
  const hm = new Intl.DateTimeFormat(undefined, {hour: "2-digit", minute: "2-digit"});
  for (const el of document.querySelectorAll(".local-time[data-start][data-end]")) {
    const start = new Date(el.dataset.start), end = new Date(el.dataset.end);
    el.textContent = "(" + fmt.format(start) + "–" + hm.format(end) + " your time, " + tz + ")";
  }
  drawCharts(Array.from(document.querySelectorAll('script[type="application/json"][id$="-figure"]')), 0);
});

// One chart per task: the first one paints before the next is built (a page with three
// charts shows its top one sooner). The first marks "first-chart-drawn" in the page's
// performance timeline, which the page-weight benchmark reads.
function drawCharts(figures, i) {
  if (i >= figures.length) return;
  const el = figures[i];
  const fig = window.tickerpulseTheme(JSON.parse(el.textContent));
  const chart = el.id.replace(/-figure$/, "-chart");
  Plotly.newPlot(chart, fig.data, fig.layout, {responsive: true, displaylogo: false}).then(function () {
    if (i === 0) performance.mark("first-chart-drawn");
    setTimeout(function () { drawCharts(figures, i + 1); }, 0);
  });
}
