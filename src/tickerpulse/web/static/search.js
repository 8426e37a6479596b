// The header's ticker search: suggestions from /search/suggest as the reader types, in an
// ARIA 1.2 combobox (input + listbox popup). Arrow keys move through the suggestions, Enter
// opens the chosen asset, Escape closes the list (a second Escape clears the field).
// Without JavaScript, or with no suggestion chosen, Enter submits the form to /search.
"use strict";
window.addEventListener("DOMContentLoaded", function () {
  const input = document.getElementById("site-search");
  const list = document.getElementById("site-search-list");
  const status = document.getElementById("site-search-status");
  if (!input || !list) return;
  let items = [], active = -1, timer = null, asked = "";

  function close() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }
  function highlight(i) {
    const options = list.querySelectorAll('[role="option"]');
    options.forEach(function (el, n) { el.setAttribute("aria-selected", n === i ? "true" : "false"); });
    active = i;
    if (i >= 0 && options[i]) {
      input.setAttribute("aria-activedescendant", options[i].id);
      options[i].scrollIntoView({block: "nearest"});
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }
  function open(i) { window.location.href = items[i].url; }
  function render(results) {
    items = results;
    list.replaceChildren();
    results.forEach(function (r, i) {
      const li = document.createElement("li");
      li.id = "site-search-option-" + i;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      const symbol = document.createElement("strong");
      symbol.textContent = r.symbol;
      const name = document.createElement("span");
      name.className = "muted";
      name.textContent = " " + r.name + " · " + r.asset_class;
      li.append(symbol, name);
      li.addEventListener("mousedown", function (event) { event.preventDefault(); open(i); });
      list.append(li);
    });
    active = -1;
    if (results.length) {
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    } else {
      close();
    }
    if (status) status.textContent = results.length ? results.length + " suggestions" : "No match";
  }
  async function suggest() {
    const q = input.value.trim();
    if (!q) { close(); return; }
    asked = q;
    const answer = await fetch("/search/suggest?q=" + encodeURIComponent(q), {headers: {accept: "application/json"}});
    if (!answer.ok || input.value.trim() !== asked) return;  // a newer keystroke wins
    render((await answer.json()).results);
  }
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(suggest, 120);
  });
  input.addEventListener("keydown", function (event) {
    const shown = !list.hidden && items.length > 0;
    if (event.key === "ArrowDown") {
      event.preventDefault();
      if (shown) highlight((active + 1) % items.length); else suggest();
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      if (shown) highlight(active <= 0 ? items.length - 1 : active - 1);
    } else if (event.key === "Enter" && shown && active >= 0) {
      event.preventDefault();
      open(active);
    } else if (event.key === "Escape") {
      if (shown) { event.preventDefault(); close(); } else { input.value = ""; }
    }
  });
  input.addEventListener("blur", function () { setTimeout(close, 150); });
});
