// CaMau-G staff console: small enhancements on top of plain forms.
// Every page works without this file; it adds the map and the CSRF header
// for htmx requests.
(function () {
  "use strict";
  var csrf = document.body.getAttribute("data-csrf");
  document.body.addEventListener("htmx:configRequest", function (e) {
    if (csrf) { e.detail.headers["X-CSRF-Token"] = csrf; }
  });

  var el = document.getElementById("map");
  if (el && window.L) {
    var lat = parseFloat(el.getAttribute("data-lat"));
    var lng = parseFloat(el.getAttribute("data-lng"));
    if (isFinite(lat) && isFinite(lng)) {
      var map = L.map(el, { scrollWheelZoom: false }).setView([lat, lng], 16);
      var tiles = el.getAttribute("data-tiles");
      if (tiles) {
        L.tileLayer(tiles, { maxZoom: 19, attribution: "&copy; OpenStreetMap" }).addTo(map);
      }
      L.marker([lat, lng], { keyboard: false }).addTo(map);
      el.classList.add("ready");
    }
  }
})();
