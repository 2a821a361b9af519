// Incidents: click the map to report one, see the proposed drone and its ETA,
// dispatch with one click, release when done; response times as they happen. Each
// incident's state reads in words on its card and has its own marker on the map.

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

// Each state in words and as a marker: its colour, and a dashed ring while no drone is
// on it yet, so the states differ without colour too.
const STATES = {
  open: { words: "waiting for a drone", colour: "#c9d4df", dash: "4 4", fill: 0.15 },
  dispatched: { words: "drone on its way", colour: "#f2b63c", dash: null, fill: 0.5 },
  on_scene: { words: "drone on scene", colour: "#3ccf7a", dash: null, fill: 0.7 },
  released: { words: "released", colour: "#6b7785", dash: null, fill: 0.2 },
  failed: { words: "failed", colour: "#ff5d5d", dash: "2 3", fill: 0.5 },
};
const stateOf = (i) => STATES[i.status] || { words: i.status, colour: "#c9d4df", dash: null, fill: 0.3 };
const what = (i) => (i.kind === "hold" ? "lockdown hold" : "incident");

function item(i) {
  const p = i.proposal;
  const options = p ? p.options.map((o) =>
    `<li>${escape(o.vehicle)}: ${o.feasible ? duration(o.eta_s) : escape(o.reason)}${o.vehicle === p.chosen ? " ← proposed" : ""}</li>`).join("") : "";
  // The server proposes a drone only where one may be sent: never to an answered incident
  // nor to a lockdown hold that is over (its lockdown flies holds).
  const action = canDispatch && p && p.chosen
    ? `<button type="button" data-dispatch="${i.id}">Dispatch ${escape(p.chosen)}</button>`
    : canRelease && ["dispatched", "on_scene"].includes(i.status)
      ? `<button type="button" data-release="${i.id}">Release ${escape(i.vehicle_id)}</button>` : "";
  return `<div class="card" data-incident="${i.id}" data-status="${escape(i.status)}" data-kind="${escape(i.kind)}">
    <h3>#${i.id} · ${escape(i.priority)}
      <span class="pill status-${escape(i.status)}">${escape(stateOf(i).words)}</span></h3>
    <p class="muted">${i.kind === "hold" ? "lockdown hold · " : ""}${escape(i.note || "")}</p>
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
  detailed.forEach((i) => {
    const state = stateOf(i);
    L.circleMarker([i.lat_deg, i.lon_deg], {
      radius: 8, color: state.colour, weight: 3, dashArray: state.dash, fillColor: state.colour, fillOpacity: state.fill,
    })
      .bindTooltip(escape(`#${i.id} ${i.priority} ${what(i)} · ${state.words}`))
      .addTo(markers);
  });
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
// Proposals change as drones become ready, fly and land: asked again every 10 s.
setInterval(load, 10000);
await load();
