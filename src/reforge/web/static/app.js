// Draw every chart on the page: <div class="chart" data-option-id="ID"> + <script type="application/json" id="ID">.
(function () {
  // short numbers in the page's language: 1.2亿 / 3,500万 in Chinese, 120M / 35k in English
  var zh = (document.documentElement.lang || "").indexOf("zh") === 0;
  function trim(x) { return (Math.round(x * 100) / 100).toLocaleString(zh ? "zh-CN" : "en"); }
  function shortNum(v) {
    if (typeof v !== "number" || !isFinite(v)) { return v == null ? "–" : String(v); }
    var a = Math.abs(v);
    if (zh) {
      if (a >= 1e8) { return trim(v / 1e8) + "亿"; }
      if (a >= 1e4) { return trim(v / 1e4) + "万"; }
      return trim(v);
    }
    if (a >= 1e9) { return trim(v / 1e9) + "B"; }
    if (a >= 1e6) { return trim(v / 1e6) + "M"; }
    if (a >= 1e4) { return trim(v / 1e3) + "k"; }
    return trim(v);
  }
  window.reforgeShortNum = shortNum;
  // replace the "@num" markers of reforge.web.charts by the formatter
  function numbers(o) {
    if (Array.isArray(o)) { o.forEach(numbers); return; }
    if (!o || typeof o !== "object") { return; }
    Object.keys(o).forEach(function (k) {
      if (o[k] === "@num") { o[k] = shortNum; } else { numbers(o[k]); }
    });
  }
  function draw(root) {
    (root || document).querySelectorAll("div.chart[data-option-id]").forEach(function (el) {
      if (el.dataset.drawn) return;
      var src = document.getElementById(el.dataset.optionId);
      if (!src || !window.echarts) return;
      var chart = echarts.init(el);
      var opt = JSON.parse(src.textContent);
      numbers(opt);
      if (navigator.webdriver) { opt.animation = false; }  // deterministic screenshots in browser tests
      chart.setOption(opt);
      el.dataset.drawn = "1";
      if (el.dataset.clickItem) {
        chart.on("click", function (p) {
          if (p.dataType === "node" && p.data && p.data.id) {
            htmx.ajax("GET", el.dataset.clickItem.replace("__ID__", encodeURIComponent(p.data.id)), "#item-detail");
          }
        });
      }
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSwap", function (e) { draw(e.target); });
})();

// A 422 from a partial carries a message for the user (e.g. an unknown province): show it.
document.addEventListener("htmx:beforeSwap", function (e) {
  if (e.detail.xhr && e.detail.xhr.status === 422) { e.detail.shouldSwap = true; e.detail.isError = false; }
});

// <select data-autosubmit> submits its form on change (no inline handlers: the CSP forbids them).
document.addEventListener("change", function (e) {
  if (e.target.matches && e.target.matches("select[data-autosubmit]") && e.target.form) { e.target.form.submit(); }
});

// The chain page's simulator: outline the items the latest scenario hits on the chain map
// (#sim-hit, others faded) and keep the last four scenarios side by side (#sim-compare, kept in
// sessionStorage per language and chain, so a reload or a year change keeps them).
(function () {
  var MAX = 4;
  function table() { return document.getElementById("sim-compare"); }
  function restore() {
    var tb = table();
    if (!tb) return;
    try {
      var saved = sessionStorage.getItem(tb.dataset.key);
      if (saved) { tb.tBodies[0].innerHTML = saved; }
    } catch (e) { /* storage off: the table starts empty */ }
  }
  function highlight(hit) {
    var el = document.getElementById("c-chainmap");
    var chart = el && window.echarts ? echarts.getInstanceByDom(el) : null;
    if (!chart) return;
    var on = {};
    hit.forEach(function (i) { on[i] = true; });
    var data = chart.getOption().series[0].data.map(function (d) {
      var h = !!on[d.id];
      return Object.assign({}, d, {
        itemStyle: Object.assign({}, d.itemStyle, { borderColor: "#111", borderWidth: h ? 3 : 0, opacity: h ? 1 : 0.3 }),
        label: Object.assign({}, d.label, { fontWeight: h ? "bold" : "normal" })
      });
    });
    chart.setOption({ series: [{ data: data }] });
  }
  document.addEventListener("htmx:afterSwap", function (e) {
    if (!e.target || e.target.id !== "sim-result") return;
    var src = document.getElementById("sim-hit");
    if (src) { highlight(JSON.parse(src.textContent)); }
    var row = document.querySelector("#sim-new-row tr");
    var tb = table();
    if (row && tb) {
      var body = tb.tBodies[0];
      body.insertBefore(row.cloneNode(true), body.firstChild);
      while (body.rows.length > MAX) { body.deleteRow(body.rows.length - 1); }
      try { sessionStorage.setItem(tb.dataset.key, body.innerHTML); } catch (e2) { /* not kept */ }
    }
  });
  document.addEventListener("DOMContentLoaded", restore);
})();
