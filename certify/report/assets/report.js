/* Filters (status, paper, unexpected, text), expand/collapse, deep links. No libraries. */
(function () {
  "use strict";
  var rows = Array.prototype.slice.call(document.querySelectorAll("#summary tbody tr[data-status]"));
  var cards = Array.prototype.slice.call(document.querySelectorAll("details.claim"));
  var statusBoxes = Array.prototype.slice.call(document.querySelectorAll("input[data-filter-status]"));
  var paperSel = document.getElementById("filter-paper");
  var unexpectedBox = document.getElementById("filter-unexpected");
  var search = document.getElementById("filter-text");
  var shown = document.getElementById("shown-count");

  function wanted(el) {
    var ok = {};
    statusBoxes.forEach(function (b) { ok[b.getAttribute("data-filter-status")] = b.checked; });
    if (ok[el.getAttribute("data-status")] === false) { return false; }
    if (paperSel && paperSel.value && el.getAttribute("data-paper") !== paperSel.value) { return false; }
    if (unexpectedBox && unexpectedBox.checked && el.getAttribute("data-unexpected") !== "1") { return false; }
    var q = search && search.value ? search.value.trim().toLowerCase() : "";
    if (q && (el.getAttribute("data-text") || "").indexOf(q) < 0) { return false; }
    return true;
  }

  function apply() {
    var n = 0;
    rows.forEach(function (r) { var w = wanted(r); r.hidden = !w; if (w) { n += 1; } });
    cards.forEach(function (c) { c.hidden = !wanted(c); });
    if (shown) { shown.textContent = n + " of " + rows.length + " claims shown"; }
    var empty = document.getElementById("no-match");
    if (empty) { empty.hidden = n !== 0; }
  }

  statusBoxes.forEach(function (b) { b.addEventListener("change", apply); });
  if (paperSel) { paperSel.addEventListener("change", apply); }
  if (unexpectedBox) { unexpectedBox.addEventListener("change", apply); }
  if (search) { search.addEventListener("input", apply); }

  var reset = document.getElementById("filter-reset");
  if (reset) {
    reset.addEventListener("click", function () {
      statusBoxes.forEach(function (b) { b.checked = true; });
      if (paperSel) { paperSel.value = ""; }
      if (unexpectedBox) { unexpectedBox.checked = false; }
      if (search) { search.value = ""; }
      apply();
    });
  }

  function setAll(open) {
    cards.forEach(function (c) { if (!c.hidden) { c.open = open; } });
  }
  var ex = document.getElementById("expand-all");
  var co = document.getElementById("collapse-all");
  if (ex) { ex.addEventListener("click", function () { setAll(true); }); }
  if (co) { co.addEventListener("click", function () { setAll(false); }); }

  /* Shareable views: report.html#status=refuted,error&paper=gao2023&unexpected&q=hessian ; #all opens every card */
  function filtersFromHash(h) {
    if (h.indexOf("=") < 0 && h !== "unexpected") { return false; }
    h.split("&").forEach(function (kv) {
      var i = kv.indexOf("=");
      var k = i < 0 ? kv : kv.slice(0, i);
      var v = i < 0 ? "" : kv.slice(i + 1);
      if (k === "status") {
        var want = v.split(",");
        statusBoxes.forEach(function (b) { b.checked = want.indexOf(b.getAttribute("data-filter-status")) >= 0; });
      } else if (k === "paper" && paperSel) {
        paperSel.value = v;
      } else if (k === "unexpected" && unexpectedBox) {
        unexpectedBox.checked = true;
      } else if (k === "q" && search) {
        search.value = v;
      }
    });
    apply();
    return true;
  }

  function openHash() {
    var id = decodeURIComponent((location.hash || "").slice(1));
    if (!id) { return; }
    if (id === "all") { setAll(true); return; }
    if (filtersFromHash(id)) { return; }
    var el = document.getElementById(id);
    if (el && el.tagName === "DETAILS") {
      el.hidden = false;
      el.open = true;
      el.scrollIntoView({block: "start"});
    }
  }
  window.addEventListener("hashchange", openHash);

  /* copy buttons for commands (clipboard may be unavailable on file://: then select the text) */
  Array.prototype.forEach.call(document.querySelectorAll("button[data-copy]"), function (btn) {
    btn.addEventListener("click", function () {
      var target = document.getElementById(btn.getAttribute("data-copy"));
      if (!target) { return; }
      var text = target.textContent;
      var sel = window.getSelection();
      var range = document.createRange();
      range.selectNodeContents(target);
      sel.removeAllRanges();
      sel.addRange(range);
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(function () { btn.textContent = "copied"; },
                                                 function () { btn.textContent = "selected"; });
      } else {
        btn.textContent = "selected";
      }
    });
  });

  /* sortable summary table: click a header (again to reverse); missing values sort last */
  var tbody = document.querySelector("#summary tbody");
  Array.prototype.forEach.call(document.querySelectorAll("#summary th[data-sort]"), function (th, col) {
    th.style.cursor = "pointer";
    th.title = (th.title ? th.title + " — " : "") + "click to sort";
    th.addEventListener("click", function () {
      var numeric = th.getAttribute("data-sort") === "num";
      var dir = th.getAttribute("data-dir") === "asc" ? -1 : 1;
      Array.prototype.forEach.call(th.parentNode.children, function (h) { h.removeAttribute("data-dir"); });
      th.setAttribute("data-dir", dir === 1 ? "asc" : "desc");
      var keyed = rows.map(function (r, i) {
        var cell = r.children[col];
        var v = numeric ? cell.getAttribute("data-v") : cell.textContent.trim().toLowerCase();
        return {r: r, i: i, v: numeric ? (v === "" || v === null ? null : parseFloat(v)) : v};
      });
      keyed.sort(function (a, b) {
        if (a.v === null && b.v === null) { return a.i - b.i; }
        if (a.v === null) { return 1; }
        if (b.v === null) { return -1; }
        if (a.v < b.v) { return -dir; }
        if (a.v > b.v) { return dir; }
        return a.i - b.i;
      });
      keyed.forEach(function (k) { tbody.appendChild(k.r); });
    });
  });

  apply();
  openHash();

  /* a marker for tests: the script ran to the end */
  var ready = document.createElement("div");
  ready.id = "js-ready";
  ready.hidden = true;
  ready.setAttribute("data-cards", String(cards.length));
  ready.setAttribute("data-rows", String(rows.length));
  ready.setAttribute("data-badges", String(document.querySelectorAll(".badge[data-status]").length));
  document.body.appendChild(ready);
})();
