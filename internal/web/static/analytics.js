// The analyst dashboard's charts and map. Every figure is already on the
// page in a table (which screen readers and printers read); this file only
// draws those tables as charts with Chart.js and colours the areas' map
// with Leaflet. Nothing here computes a figure.
(function () {
  "use strict";

  function num(td) {
    if (!td || td.hasAttribute("data-toofew")) return null;
    var v = td.getAttribute("data-v");
    return v === null || v === "" ? null : parseFloat(v);
  }

  // rows reads a table's rows as {label, value, lo, hi, toofew}, by the
  // column keys the table names.
  function rows(table) {
    var keys = {};
    table.querySelectorAll("thead th").forEach(function (th, i) { keys[th.getAttribute("data-key")] = i; });
    var want = function (attr) { var k = table.getAttribute(attr); return k && k in keys ? keys[k] : -1; };
    var li = want("data-label"), vi = want("data-value"), loi = want("data-lo"), hii = want("data-hi");
    var out = [];
    var skip = table.hasAttribute("data-total-first") ? 1 : 0;
    table.querySelectorAll("tbody tr").forEach(function (tr, i) {
      if (i < skip) return;
      var td = tr.children;
      out.push({
        label: li >= 0 ? td[li].textContent.trim() : "",
        value: vi >= 0 ? num(td[vi]) : null,
        lo: loi >= 0 ? num(td[loi]) : null,
        hi: hii >= 0 ? num(td[hii]) : null,
        toofew: vi >= 0 && td[vi].hasAttribute("data-toofew")
      });
    });
    return out;
  }

  var blue = "#1d5fa8", faint = "rgba(29,95,168,0.25)", grey = "#9aa3ad";

  function draw(canvas) {
    var table = document.getElementById(canvas.getAttribute("data-table"));
    if (!table || typeof Chart === "undefined") return;
    var kind = table.getAttribute("data-chart");
    var data = rows(table);
    var labels = data.map(function (d) { return d.label.length > 48 ? d.label.slice(0, 47) + "…" : d.label; });
    var values = data.map(function (d) { return d.value; });
    var box = canvas.parentNode;
    var datasets = [];
    var options = { responsive: true, maintainAspectRatio: false, animation: false,
      plugins: { legend: { display: false }, tooltip: { enabled: true } } };
    if (kind === "hbar") {
      box.style.height = Math.max(120, 26 * data.length + 40) + "px";
      options.indexAxis = "y";
      options.scales = { x: { beginAtZero: true }, y: { stacked: true, ticks: { autoSkip: false } } };
      datasets.push({ data: values, backgroundColor: data.map(function (d) { return d.toofew ? grey : blue; }), barPercentage: 0.6, grouped: false, order: 1 });
      if (table.getAttribute("data-lo")) {
        datasets.push({ data: data.map(function (d) { return d.lo === null || d.hi === null ? null : [d.lo, d.hi]; }),
          backgroundColor: faint, barPercentage: 0.95, grouped: false, order: 2 });
      }
    } else if (kind === "line") {
      box.style.height = "260px";
      options.scales = { y: { beginAtZero: true } };
      options.spanGaps = false;
      datasets.push({ data: values, borderColor: blue, backgroundColor: blue, pointRadius: 4 });
    } else {
      box.style.height = "260px";
      options.scales = { y: { beginAtZero: true } };
      datasets.push({ data: values, backgroundColor: blue });
    }
    var max = parseFloat(table.getAttribute("data-max"));
    if (max > 0) (kind === "hbar" ? options.scales.x : options.scales.y).max = max;
    new Chart(canvas, { type: kind === "line" ? "line" : "bar", data: { labels: labels, datasets: datasets }, options: options });
    canvas.setAttribute("data-drawn", "1");
  }

  function colour(v, lo, hi) {
    if (v === null) return grey;
    var t = hi > lo ? (v - lo) / (hi - lo) : 1;
    // light to dark blue
    var r = Math.round(222 - t * (222 - 8)), g = Math.round(235 - t * (235 - 69)), b = Math.round(247 - t * (247 - 148));
    return "rgb(" + r + "," + g + "," + b + ")";
  }

  function map(el) {
    if (typeof L === "undefined") return;
    var table = document.getElementById(el.getAttribute("data-table"));
    var byCode = {};
    if (table) {
      table.querySelectorAll("tbody tr").forEach(function (tr) {
        var td = tr.children; // rank, code, name, value, n, ...
        byCode[td[1].textContent.trim()] = { value: num(td[3]), toofew: td[3].hasAttribute("data-toofew"), text: td[3].textContent.trim(), n: td[4].textContent.trim() };
      });
    }
    var vals = Object.keys(byCode).map(function (k) { return byCode[k].value; }).filter(function (v) { return v !== null; });
    var lo = Math.min.apply(null, vals.concat([100])), hi = Math.max.apply(null, vals.concat([0]));
    fetch(el.getAttribute("data-geojson"), { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (fc) {
      var m = L.map(el, { scrollWheelZoom: false, attributionControl: false });
      var layer = L.geoJSON(fc, {
        style: function (f) {
          var d = byCode[f.properties.code];
          return { color: "#fff", weight: 1, fillOpacity: 0.85, fillColor: colour(d ? d.value : null, lo, hi) };
        },
        onEachFeature: function (f, l) {
          var d = byCode[f.properties.code];
          var text = d ? (d.toofew ? el.getAttribute("data-toofew") : d.text + " % (n = " + d.n + ")") : "—";
          var tip = document.createElement("span"); // text, never HTML: names are data
          tip.textContent = f.properties.name + ": " + text;
          l.bindTooltip(tip);
          if (l.getElement) l.on("add", function () { var p = l.getElement(); if (p) p.setAttribute("data-code", f.properties.code); });
        }
      }).addTo(m);
      if (layer.getLayers().length) m.fitBounds(layer.getBounds());
      // The legend: the scale's ends and the grey of withheld areas.
      var legend = L.control({ position: "bottomright" });
      legend.onAdd = function () {
        var div = L.DomUtil.create("div", "an-legend");
        [[lo, colour(lo, lo, hi)], [hi, colour(hi, lo, hi)], [null, grey]].forEach(function (x) {
          if (x[0] !== null && !vals.length) return;
          var row = L.DomUtil.create("div", "", div);
          var sw = L.DomUtil.create("span", "swatch", row);
          sw.style.background = x[1];
          row.appendChild(document.createTextNode(x[0] === null ? el.getAttribute("data-grey") : x[0].toFixed(1) + " %"));
        });
        return div;
      };
      legend.addTo(m);
      el.setAttribute("data-drawn", String(layer.getLayers().length));
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("canvas[data-table]").forEach(draw);
    var el = document.getElementById("an-map");
    if (el) map(el);
    var p = document.getElementById("print");
    if (p) p.addEventListener("click", function () { window.print(); });
  });
})();
