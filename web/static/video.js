// Video wall: every drone's annotated feed; one large beside the map;
// detections appear on the map as they are geotagged. The large feed plays
// over WebRTC from the media server when the station runs one (H.264, a few
// Mbit/s), else (or when that fails) as MJPEG from the app.

import { api } from "./api.js";
import { on } from "./events.js";
import { escape } from "./format.js";
import { liveDrones, networkMap } from "./map.js";
import { dotSymbol } from "./map/legend.js";
import { startAlerts } from "./alerts.js";
import { playWebRTC } from "./webrtc_player.js";

startAlerts();

const { map, kit } = await networkMap(document.getElementById("map"));
liveDrones(map);
const large = document.getElementById("large");
const largeVideo = document.getElementById("large-video");
const csrf = document.querySelector('meta[name="csrf-token"]').content;
let playing = null; // the WebRTC session of the large feed, if any
let selected = null;
const feeds = document.getElementById("feeds");
const shown = new Set();
const detections = L.layerGroup().addTo(map);

function showMjpeg(id) {
  largeVideo.hidden = true;
  large.src = `/video/${encodeURIComponent(id)}.mjpg`;
  large.alt = `Live video of ${id}`;
  large.hidden = false;
}

async function select(id) {
  selected = id;
  if (playing) { playing.close(); playing = null; }
  document.getElementById("no-video").hidden = true;
  feeds.querySelectorAll("button").forEach((b) => b.setAttribute("aria-pressed", b.dataset.vehicle === id));
  let player = null;
  try { player = await api("GET", `/video/${encodeURIComponent(id)}/player`); } catch (e) { player = null; }
  if (!player || !player.webrtc || !window.RTCPeerConnection) { showMjpeg(id); return; }
  try {
    const session = await playWebRTC(largeVideo, player.webrtc, csrf);
    if (selected !== id) { session.close(); return; }
    playing = session;
    large.hidden = true;
    large.removeAttribute("src");
    largeVideo.setAttribute("aria-label", `Live video of ${id}`);
    largeVideo.hidden = false;
  } catch (error) {
    console.warn(`WebRTC video of ${id} failed, showing MJPEG:`, error);
    if (selected === id) showMjpeg(id);
  }
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
  kit.legend.show("detection", dotSymbol("detection, where the camera saw it", "#ff5d5d", 0.5));
  L.circleMarker([d.lat_deg, d.lon_deg], { radius: 6, color: "#ff5d5d", weight: 2, fillOpacity: 0.5 })
    .bindTooltip(escape(`${d.class || d.label || "moving object"} · ${event.vehicle_id}`))
    .addTo(detections);
  if (detections.getLayers().length > 200) detections.removeLayer(detections.getLayers()[0]);
});
