// Draw every chart on the page: <div class="chart" data-option-id="ID"> + <script type="application/json" id="ID">.
(function () {
  function draw(root) {
    (root || document).querySelectorAll("div.chart[data-option-id]").forEach(function (el) {
      if (el.dataset.drawn) return;
      var src = document.getElementById(el.dataset.optionId);
      if (!src || !window.echarts) return;
      var chart = echarts.init(el);
      var opt = JSON.parse(src.textContent);
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
