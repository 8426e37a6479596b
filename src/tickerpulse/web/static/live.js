// The live page: draws the 1-minute bars and calls as they stream in over /live/stream.
// A file of its own (not inline) so the site's Content-Security-Policy can forbid inline scripts.
"use strict";
window.addEventListener("DOMContentLoaded", function () {
  const symbols = JSON.parse(document.getElementById("live-symbols").textContent);
  const keep = 240, series = {}, dirty = new Set();
  const status = document.getElementById("live-status"), note = document.getElementById("live-note");
  const pct = (v) => v === null || v === undefined ? "—" : (v * 100).toFixed(1) + "%";
  const minute = (iso) => iso.slice(0, 16).replace("T", " ");
  symbols.forEach(function (s, i) {
    const div = "live-" + (i + 1) + "-chart";
    const fig = window.tickerpulseTheme(
      JSON.parse(document.getElementById("live-" + (i + 1) + "-figure").textContent));
    series[s] = {div: div, trace: fig.data[0], layout: fig.layout};
  });
  function load(shot) {
    for (const s of symbols) {
      const t = series[s].trace;
      t.x = []; t.open = []; t.high = []; t.low = []; t.close = [];
      for (const b of (shot.bars[s] || [])) upsert(b, false);
      dirty.add(s);
      const c = shot.calls[s];
      if (c) row(s, c.close, c.prob_up, shot.metrics[s]);
    }
    if (shot.overall) row("*", null, null, shot.overall);
    schedule();
  }
  function upsert(b, draw) {
    const s = series[b.symbol];
    if (!s) return;
    const t = s.trace, x = minute(b.bar_start);
    let i = t.x.lastIndexOf(x);
    if (i < 0) {
      t.x.push(x); t.open.push(b.open); t.high.push(b.high); t.low.push(b.low); t.close.push(b.close);
      if (t.x.length > keep) { for (const k of ["x", "open", "high", "low", "close"]) t[k].shift(); }
    } else {
      t.open[i] = b.open; t.high[i] = b.high; t.low[i] = b.low; t.close[i] = b.close;
    }
    if (draw) { dirty.add(b.symbol); schedule(); }
  }
  function row(symbol, close, prob, m) {
    const tr = document.querySelector('#live-calls tr[data-symbol="' + symbol + '"]');
    if (!tr) return;
    const set = (cls, text) => { const td = tr.querySelector("." + cls); if (td) td.textContent = text; };
    if (prob !== null) {
      set("close", Number(close).toPrecision(4)); set("prob", pct(prob));
      const cell = tr.querySelector(".call");
      cell.innerHTML = "";
      const pill = document.createElement("span");
      pill.className = "pill " + (prob >= 0.5 ? "bull" : "bear");
      pill.textContent = prob >= 0.5 ? "up" : "down";
      cell.appendChild(pill);
    }
    if (m) {
      set("acc", pct(m.accuracy)); set("recent", pct(m.recent_accuracy));
      set("loss", m.log_loss === null ? "—" : m.log_loss.toFixed(3)); set("n", String(m.n));
    }
  }
  let pending = false;
  function schedule() {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(function () {
      pending = false;
      for (const s of dirty) Plotly.react(series[s].div, [series[s].trace], series[s].layout);
      dirty.clear();
    });
  }
  const source = new EventSource("/live/stream?symbols=" + encodeURIComponent(symbols.join(",")));
  source.addEventListener("snapshot", (e) => { load(JSON.parse(e.data)); status.textContent = "live"; note.textContent = ""; });
  source.addEventListener("bar", (e) => upsert(JSON.parse(e.data), true));
  source.addEventListener("prediction", function (e) {
    const p = JSON.parse(e.data);
    row(p.symbol, p.close, p.prob_up, p.metrics);
    row("*", null, null, p.overall);
    note.textContent = "last call " + minute(p.based_on) + " UTC";
  });
  source.onerror = function () { status.textContent = "reconnecting…"; };
  load(JSON.parse(document.getElementById("live-snapshot").textContent));
});
