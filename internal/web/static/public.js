// CaMau-G public pages: the map's points and the survey form's live skip
// logic. Both pages work without this file: the list and the figures are
// in the page, and the form applies its skip logic when submitted.
(function () {
  "use strict";

  // The public map: points of the GeoJSON feed (same filters as the
  // list), clustered, each linking to its track page.
  var el = document.getElementById("pubmap");
  var status = document.getElementById("map-status");
  if (el && window.L) {
    var map = L.map(el, { scrollWheelZoom: false }).setView([9.18, 105.15], 10);
    var tiles = el.getAttribute("data-tiles");
    if (tiles) {
      L.tileLayer(tiles, { maxZoom: 19, attribution: "&copy; OpenStreetMap" }).addTo(map);
    }
    var group = L.markerClusterGroup ? L.markerClusterGroup() : L.layerGroup();
    group.addTo(map);
    var count = 0, bounds = [];
    var popup = function (p) {
      var box = document.createElement("div");
      var a = document.createElement("a");
      a.href = "/t/" + encodeURIComponent(p.tracking_code);
      a.textContent = p.tracking_code;
      var cat = document.createElement("div");
      cat.textContent = (p.category && p.category.name ? p.category.name : "") + (p.title ? " · " + p.title : "");
      var st = document.createElement("div");
      st.textContent = p.agency && p.agency.name ? p.agency.name : "";
      box.appendChild(a); box.appendChild(cat); box.appendChild(st);
      return box;
    };
    var load = function (url, pages) {
      fetch(url, { headers: { "Accept": "application/geo+json" } }).then(function (r) {
        if (!r.ok) { throw new Error("HTTP " + r.status); }
        return r.json();
      }).then(function (fc) {
        (fc.features || []).forEach(function (f) {
          var c = f.geometry && f.geometry.coordinates;
          if (!c) { return; }
          var m = L.marker([c[1], c[0]], { title: f.properties.tracking_code });
          m.bindPopup(popup(f.properties));
          group.addLayer(m);
          bounds.push([c[1], c[0]]);
          count++;
        });
        if (fc.next_cursor && pages < 10) {
          var u = new URL(el.getAttribute("data-geojson"), location.href);
          u.searchParams.set("cursor", fc.next_cursor);
          load(u.pathname + u.search, pages + 1);
          return;
        }
        if (bounds.length) { map.fitBounds(bounds, { maxZoom: 15, padding: [20, 20] }); }
        el.setAttribute("data-count", String(count));
        if (status) { status.textContent = status.getAttribute("data-loaded").replace("%d", String(count)); }
      }).catch(function () {
        el.setAttribute("data-count", "error");
      });
    };
    load(el.getAttribute("data-geojson"), 1);
  }

  // The survey form: ask the server which questions are asked given the
  // answers so far (the survey's own skip logic, one implementation), and
  // hide and disable the others so they are neither seen nor sent.
  var form = document.getElementById("survey-form");
  if (form && form.getAttribute("data-asked") && window.fetch && window.URLSearchParams) {
    var url = form.getAttribute("data-asked");
    var csrf = form.getAttribute("data-csrf");
    var seq = 0;
    var apply = function () {
      var mine = ++seq;
      var body = new URLSearchParams();
      Array.prototype.forEach.call(form.elements, function (x) {
        if (!x.name || x.name.indexOf("q.") !== 0) { return; }
        if ((x.type === "radio" || x.type === "checkbox") && !x.checked) { return; }
        body.append(x.name, x.value);
      });
      var headers = { "Content-Type": "application/x-www-form-urlencoded" };
      if (csrf) { headers["X-CSRF-Token"] = csrf; }
      fetch(url, { method: "POST", headers: headers, body: body.toString(), credentials: "same-origin" }).then(function (r) {
        if (!r.ok) { throw new Error("HTTP " + r.status); }
        return r.json();
      }).then(function (res) {
        if (mine !== seq) { return; }
        var asked = {};
        (res.asked || []).forEach(function (c) { asked[c] = true; });
        Array.prototype.forEach.call(form.querySelectorAll("fieldset.q"), function (fs) {
          var on = !!asked[fs.getAttribute("data-code")];
          fs.hidden = !on;
          fs.classList.remove("skipped");
          Array.prototype.forEach.call(fs.querySelectorAll("input, textarea, select"), function (x) { x.disabled = !on; });
        });
        form.setAttribute("data-live", "1");
      }).catch(function () { /* without an answer every question stays shown */ });
    };
    form.addEventListener("change", apply);
    apply();
  }
})();
