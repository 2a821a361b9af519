// Operations map: patrol network, no-fly zones, stations and live drones.
// Data: GET /api/network (GeoJSON), GET /api/vehicles, then live updates
// from the server-sent event stream /api/events.
"use strict";

(function () {
  const PRIORITY_COLOURS = { key: "#ff5d5d", attention: "#f2b63c", general: "#3fa7ff" };
  const NOFLY = "#b03a5b";
  const TRAIL_POINTS = 300;

  const mapEl = document.getElementById("map");
  const map = L.map(mapEl, { zoomControl: true, preferCanvas: true }).setView([-35.3633, 149.1652], 14);
  const tileUrl = mapEl.dataset.tileUrl;
  if (tileUrl) {
    L.tileLayer(tileUrl, { maxZoom: 20, attribution: "map tiles" }).addTo(map);
  }

  function styleFor(feature) {
    const p = feature.properties || {};
    if (p.kind === "nofly") return { color: NOFLY, weight: 1, fillColor: NOFLY, fillOpacity: 0.25, dashArray: "4 4" };
    const colour = PRIORITY_COLOURS[p.priority || "general"] || PRIORITY_COLOURS.general;
    if (p.kind === "line") return { color: colour, weight: 4, opacity: 0.9 };
    return { color: colour, weight: 1.5, fillColor: colour, fillOpacity: 0.08 };
  }

  function pointFor(feature, latlng) {
    const p = feature.properties || {};
    if (p.kind === "station") {
      return L.marker(latlng, { icon: L.divIcon({ className: "station-icon", html: "&#9873;", iconSize: [18, 18] }), title: "station " + p.id });
    }
    const colour = PRIORITY_COLOURS[p.priority || "general"] || PRIORITY_COLOURS.general;
    return L.circleMarker(latlng, { radius: 5, color: colour, weight: 2, fillOpacity: 0.7 });
  }

  fetch("/api/network", { headers: { Accept: "application/json" } })
    .then((r) => (r.ok ? r.json() : null))
    .then((network) => {
      if (!network || !network.features || !network.features.length) return;
      const layer = L.geoJSON(network, {
        style: styleFor,
        pointToLayer: pointFor,
        onEachFeature: (f, l) => {
          const p = f.properties || {};
          l.bindTooltip(`${p.kind} ${p.id}${p.name ? " · " + p.name : ""}${p.priority ? " · " + p.priority : ""}`);
        },
      }).addTo(map);
      map.fitBounds(layer.getBounds(), { padding: [20, 20] });
    });

  const drones = new Map(); // id -> {marker, trail, card}
  const fleetEl = document.getElementById("fleet");

  function droneIcon(v) {
    const colour = v.link === "up" ? (v.armed ? "#3ccf7a" : "#e6edf3") : "#ff5d5d";
    return L.divIcon({
      className: "drone-icon",
      html: `<svg width="28" height="28" viewBox="-14 -14 28 28" style="transform: rotate(${v.heading_deg || 0}deg)">
               <path d="M0,-12 L8,10 L0,5 L-8,10 Z" fill="${colour}" stroke="#0f141a" stroke-width="1.5"/></svg>`,
      iconSize: [28, 28],
      iconAnchor: [14, 14],
    });
  }

  function fmt(x, digits, unit) {
    return x === null || x === undefined ? "–" : `${Number(x).toFixed(digits)}${unit}`;
  }

  function renderCard(v) {
    const b = v.battery || {};
    const m = v.mission || {};
    return `<div class="card" data-vehicle="${v.id}">
      <h3>${v.name} <span class="pill ${v.link}">${v.link}</span></h3>
      <div class="figures">
        <div><span>mode</span>${v.mode}</div>
        <div><span>armed</span>${v.armed ? "yes" : "no"}</div>
        <div><span>alt</span>${fmt(v.position && v.position.alt_rel_m, 0, " m")}</div>
        <div><span>speed</span>${fmt(v.groundspeed_mps, 1, " m/s")}</div>
        <div><span>battery</span>${fmt(b.remaining_pct, 0, " %")}</div>
        <div><span>mission</span>${m.total ? m.current_seq + "/" + m.total : "–"}</div>
      </div>
      ${v.statustext ? `<p class="muted">${v.statustext}</p>` : ""}
    </div>`;
  }

  function update(v) {
    let d = drones.get(v.id);
    if (!d) {
      d = { trail: L.polyline([], { color: "#3ccf7a", weight: 2, opacity: 0.6 }).addTo(map), marker: null };
      drones.set(v.id, d);
    }
    d.last = v;
    if (v.position) {
      const ll = [v.position.lat, v.position.lon];
      if (!d.marker) {
        d.marker = L.marker(ll, { icon: droneIcon(v), title: v.name, keyboard: true }).addTo(map);
      } else {
        d.marker.setLatLng(ll);
        d.marker.setIcon(droneIcon(v));
      }
      const pts = d.trail.getLatLngs();
      pts.push(ll);
      if (pts.length > TRAIL_POINTS) pts.shift();
      d.trail.setLatLngs(pts);
    }
    fleetEl.innerHTML = Array.from(drones.values()).map((x) => renderCard(x.last)).join("") || "<p>No drones connected.</p>";
  }

  fetch("/api/vehicles", { headers: { Accept: "application/json" } })
    .then((r) => (r.ok ? r.json() : { vehicles: [] }))
    .then((body) => (body.vehicles || []).forEach(update));

  const source = new EventSource("/api/events");
  source.addEventListener("telemetry", (e) => {
    const event = JSON.parse(e.data);
    if (event.data && event.data.vehicle) update(event.data.vehicle);
  });
})();
