// Incidents: click the map to report one, see the proposed drone and its ETA,
// dispatch with one click, release when done; response times as they happen.

import { api } from "./api.js";
import { on } from "./events.js";
import { between, duration, escape } from "./format.js";
import { liveDrones, networkMap } from "./map.js";
import { startAlerts } from "./alerts.js";
import { may } from "./meta.js";

startAlerts();

const { map } = await networkMap(document.getElementById("map"));
liveDrones(map);
const canDispatch = may("POST /api/incidents/{incident_id}/dispatch");
const canRelease = may("POST /api/incidents/{incident_id}/release");
const pos = document.getElementById("incident-pos");
const status = document.getElementById("incident-status");
const list = document.getElementById("incident-list");
const markers = L.layerGroup().addTo(map);
let pick = null;

map.on("click", (e) => {
  pos.value = `${e.latlng.lat.toFixed(6)}, ${e.latlng.lng.toFixed(6)}`;
  if (pick) pick.remove();
  pick = L.circleMarker(e.latlng, { radius: 9, color: "#ff5d5d", weight: 3, fill: false }).addTo(map);
});

function item(i) {
  const p = i.proposal;
  const options = p ? p.options.map((o) =>
    `<li>${escape(o.vehicle)}: ${o.feasible ? duration(o.eta_s) : escape(o.reason)}${o.vehicle === p.chosen ? " ← proposed" : ""}</li>`).join("") : "";
  // a lockdown hold is flown by its lockdown: once over, it is not dispatched again
  const dispatchable = i.kind !== "hold" && ["open", "failed", "released"].includes(i.status);
  const action = canDispatch && dispatchable && p && p.chosen
    ? `<button type="button" data-dispatch="${i.id}">Dispatch ${escape(p.chosen)}</button>`
    : canRelease && ["dispatched", "on_scene"].includes(i.status)
      ? `<button type="button" data-release="${i.id}">Release ${escape(i.vehicle_id)}</button>` : "";
  return `<div class="card" data-incident="${i.id}">
    <h3>#${i.id} · ${escape(i.priority)} <span class="pill">${escape(i.status)}</span></h3>
    <p class="muted">${escape(i.note || "")}</p>
    <div class="figures">
      <div><span>drone</span>${escape(i.vehicle_id || "–")}</div>
      <div><span>to dispatch</span>${between(i.created_s, i.dispatched_s)}</div>
      <div><span>to scene</span>${between(i.created_s, i.on_scene_s)}</div>
    </div>
    ${i.watch && i.watch.from_outside ? `<p class="answer">${escape(i.watch.message)}</p>` : ""}
    ${i.refused ? `<p class="answer error">${escape(i.refused)}</p>` : ""}
    ${options ? `<ul class="events">${options}</ul>` : ""}
    ${i.failure ? `<p class="answer error">${escape(i.failure)}</p>` : ""}
    <div class="controls">${action}</div>
  </div>`;
}

async function load() {
  const { incidents } = await api("GET", "/api/incidents");
  const detailed = await Promise.all(incidents.slice(0, 20).map((i) =>
    ["open", "failed", "released"].includes(i.status) ? api("GET", `/api/incidents/${i.id}`) : i));
  list.innerHTML = detailed.map(item).join("") || "<p class='empty'>No incidents.</p>";
  markers.clearLayers();
  detailed.forEach((i) => L.circleMarker([i.lat_deg, i.lon_deg], { radius: 8, color: "#ff5d5d", fillOpacity: 0.6 })
    .bindTooltip(escape(`#${i.id} ${i.priority} · ${i.status}`)).addTo(markers));
}

document.getElementById("incident-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const [lat, lon] = pos.value.split(",").map((x) => parseFloat(x));
  try {
    const incident = await api("POST", "/api/incidents", {
      lat, lon,
      priority: document.getElementById("incident-priority").value,
      note: document.getElementById("incident-note").value,
    });
    status.textContent = `Incident #${incident.id} created.`;
    await load();
  } catch (err) {
    status.textContent = err.message;
  }
});

list.addEventListener("click", async (e) => {
  const dispatch = e.target.closest("button[data-dispatch]");
  const release = e.target.closest("button[data-release]");
  try {
    if (dispatch) {
      const sent = await api("POST", `/api/incidents/${dispatch.dataset.dispatch}/dispatch`, {});
      status.textContent = `${sent.vehicle} dispatched to incident #${sent.incident}.`;
    } else if (release) {
      await api("POST", `/api/incidents/${release.dataset.release}/release`, {});
      status.textContent = `Incident #${release.dataset.release} released.`;
    } else {
      return;
    }
  } catch (err) {
    status.textContent = err.message;
  }
  await load();
});

on("dispatch", load);
on("incident", load);
await load();
