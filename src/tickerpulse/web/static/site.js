// What every page runs: local times beside UTC windows, and the Plotly charts whose figures
// the page carries as JSON (<script type="application/json" id="<name>-figure"> for the
// <div id="<name>-chart">).
// A file, not inline scripts, so the site's Content-Security-Policy can forbid inline scripts;
// deferred after the page's plotly.min.js, it runs once the document is parsed.
"use strict";
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
  const fig = JSON.parse(el.textContent), chart = el.id.replace(/-figure$/, "-chart");
  Plotly.newPlot(chart, fig.data, fig.layout, {responsive: true, displaylogo: false}).then(function () {
    if (i === 0) performance.mark("first-chart-drawn");
    setTimeout(function () { drawCharts(figures, i + 1); }, 0);
  });
}
