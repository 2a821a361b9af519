// Video wall: every drone's annotated MJPEG feed; one large beside the map;
// detections appear on the map as they are geotagged.

import { api } from "./api.js";
import { on } from "./events.js";
import { escape } from "./format.js";
import { liveDrones, networkMap } from "./map.js";
import { startAlerts } from "./alerts.js";

startAlerts();

const { map } = await networkMap(document.getElementById("map"));
liveDrones(map);
const large = document.getElementById("large");
const feeds = document.getElementById("feeds");
const shown = new Set();
const detections = L.layerGroup().addTo(map);

function select(id) {
  large.src = `/video/${encodeURIComponent(id)}.mjpg`;
  large.alt = `Live video of ${id}`;
  large.hidden = false;
  document.getElementById("no-video").hidden = true;
  feeds.querySelectorAll("button").forEach((b) => b.setAttribute("aria-pressed", b.dataset.vehicle === id));
}

async function refresh() {
  const { streams } = await api("GET", "/video/");
  for (const s of streams) {
    if (shown.has(s.vehicle_id)) continue;
    shown.add(s.vehicle_id);
    const button = document.createElement("button");
    button.type = "button";
    button.className = "feed";
    button.dataset.vehicle = s.vehicle_id;
    button.innerHTML = `<img src="/video/${encodeURIComponent(s.vehicle_id)}.jpg" alt="Snapshot of ${escape(s.vehicle_id)}"><span>${escape(s.vehicle_id)}</span>`;
    button.addEventListener("click", () => select(s.vehicle_id));
    feeds.appendChild(button);
    if (shown.size === 1) select(s.vehicle_id);
  }
  // thumbnails refresh as snapshots: one connection per large stream only
  feeds.querySelectorAll("img").forEach((img) => {
    img.src = img.src.replace(/(\?.*)?$/, `?t=${Date.now()}`);
  });
}
refresh();
setInterval(refresh, 3000);

on("detection", (event) => {
  const d = event.data || {};
  if (d.lat_deg == null) return;
  L.circleMarker([d.lat_deg, d.lon_deg], { radius: 6, color: "#ff5d5d", weight: 2, fillOpacity: 0.5 })
    .bindTooltip(escape(`${d.class || d.label || "moving object"} · ${event.vehicle_id}`))
    .addTo(detections);
  if (detections.getLayers().length > 200) detections.removeLayer(detections.getLayers()[0]);
});
