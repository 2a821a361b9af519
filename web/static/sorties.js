// Sorties: history with a filter; one sortie's track replayed on the map in
// sync with its recorded video; exports and the report.

import { api } from "./api.js";
import { on } from "./events.js";
import { distance, duration, escape, quantity } from "./format.js";
import { networkMap } from "./map.js";
import { dotSymbol, lineSymbol } from "./map/legend.js";
import { startAlerts } from "./alerts.js";

startAlerts();

const { map, kit } = await networkMap(document.getElementById("map"));
const rows = document.getElementById("sortie-rows");
const detail = document.getElementById("sortie-detail");
const video = document.getElementById("replay-video");
const filter = document.getElementById("vehicle-filter");
const replay = L.layerGroup().addTo(map);
let marker = null;
let track = [];
let trackBounds = null;

// The open sortie's track is fitted to the map as it is laid out: again whenever the map's
// box changes (the video panel taking its room once its size is known, a turned tablet).
// Leaflet drops a view asked for while a zoom animation runs (the network's own fit just
// after the page loads): then the fit waits for the animation's end.
function fitTrack() {
  map.invalidateSize();
  if (!trackBounds) return;
  if (map.getPane("mapPane").classList.contains("leaflet-zoom-anim")) {
    map.once("zoomend", fitTrack);
    return;
  }
  map.fitBounds(trackBounds, { padding: [20, 20], animate: false });
}
new ResizeObserver(() => fitTrack()).observe(map.getContainer());

async function load() {
  const q = filter.value.trim() ? `?vehicle=${encodeURIComponent(filter.value.trim())}` : "";
  const { sorties } = await api("GET", `/api/sorties${q}`);
  rows.innerHTML = sorties.map((s) => `<tr tabindex="0" data-id="${s.id}">
      <td class="sortie-name">${escape(s.label)}</td>
      <td>${escape((s.started || "").replace("T", " ").slice(0, 19))}</td>
      <td>${duration(s.duration_s)}</td>
      <td>${escape(s.status)}</td></tr>`).join("") || `<tr><td colspan="4">No sorties recorded yet.</td></tr>`;
}

function at(timeS) {
  let lo = 0;
  let hi = track.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (track[mid][0] <= timeS) lo = mid; else hi = mid - 1;
  }
  return track[lo];
}

async function open(id) {
  const record = await api("GET", `/api/sorties/${id}`);
  const s = record.sortie;
  track = record.track;
  replay.clearLayers();
  let line = null;
  if (track.length) {
    line = L.polyline(track.map((p) => [p[1], p[2]]), { color: "#3ccf7a", weight: 3 }).addTo(replay);
    marker = L.circleMarker([track[0][1], track[0][2]], { radius: 7, color: "#fff", fillColor: "#3ccf7a", fillOpacity: 1 }).addTo(replay);
    kit.legend.show("replay-track", lineSymbol("the sortie's flown track", "#3ccf7a"));
    kit.legend.show("replay-drone", dotSymbol("the drone at the video's time", "#3ccf7a", 1));
  }
  trackBounds = line ? line.getBounds() : null;
  const videoIndex = record.media.findIndex((m) => m.kind === "video");
  if (videoIndex >= 0) {
    video.src = `/sorties/${id}/media/${videoIndex}`;
    video.hidden = false;
    video.ontimeupdate = () => {
      if (!track.length || !marker) return;
      const p = at(s.started_s + video.currentTime);
      marker.setLatLng([p[1], p[2]]);
    };
  } else {
    video.hidden = true;
    video.removeAttribute("src");
  }
  requestAnimationFrame(fitTrack);
  const st = record.stats;
  detail.innerHTML = `<div class="card"><h3>${escape(s.label)} · ${escape((s.started || "").slice(11, 16))} UTC</h3>
    <div class="figures">
      <div><span>outcome</span>${escape(s.status)}</div>
      <div><span>distance</span>${distance(st.distance_m)}</div>
      <div><span>track</span>${quantity(st.track_rate_hz, 1, " Hz")}</div>
      <div><span>events</span>${Number(s.events)}</div>
      <div><span>detections</span>${Number(s.detections)}</div>
      <div><span>media</span>${Number(s.media)}</div>
    </div>
    <p><a href="/sorties/${id}/report" target="_blank" rel="noopener">Report</a> ·
      ${["geojson", "kml", "gpx", "csv"].map((f) => `<a href="/api/sorties/${id}/export.${f}">${f.toUpperCase()}</a>`).join(" · ")}</p>
    <ol class="events" start="${Math.max(1, record.events.length - 29)}">${record.events.slice(-30).map((e) => `<li>${escape((e.time || "").slice(11, 19))} ${escape(e.summary || e.kind)}</li>`).join("")}</ol>
  </div>`;
}

rows.addEventListener("click", (e) => {
  const row = e.target.closest("tr[data-id]");
  if (row) open(row.dataset.id);
});
rows.addEventListener("keydown", (e) => {
  const row = e.target.closest("tr[data-id]");
  if (row && e.key === "Enter") open(row.dataset.id);
});
filter.addEventListener("change", load);
await load();
on("disarmed", load);
