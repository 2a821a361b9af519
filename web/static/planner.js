// Planner: pick a station (and targets), plan, preview each sortie with its
// figures, upload one to a drone at the station, start it.

import { api } from "./api.js";
import { outcome } from "./events.js";
import { distance, duration, escape, percent } from "./format.js";
import { liveDrones, networkMap } from "./map.js";
import { lineMiddle } from "./map/labels.js";
import { lineSymbol } from "./map/legend.js";
import { startAlerts } from "./alerts.js";

startAlerts();

const targetsInput = document.getElementById("targets");
const { map, network, kit } = await networkMap(document.getElementById("map"), (feature) => {
  const p = feature.properties;
  if (!["grid", "line", "point"].includes(p.kind)) return;
  const ids = targetsInput.value.split(",").map((s) => s.trim()).filter(Boolean);
  if (!ids.includes(p.id)) ids.push(p.id);
  targetsInput.value = ids.join(",");
});
const stationSelect = document.getElementById("station");
const status = document.getElementById("plan-status");
const list = document.getElementById("sorties");
const previews = L.layerGroup().addTo(map);
let vehicles = [];

(network ? network.features : [])
  .filter((f) => f.properties.kind === "station")
  .forEach((f) => {
    const option = document.createElement("option");
    option.value = f.properties.id;
    option.textContent = `${f.properties.id} · ${f.properties.name || ""}`;
    stationSelect.appendChild(option);
  });
liveDrones(map, (v) => {
  const i = vehicles.findIndex((x) => x.id === v.id);
  if (i < 0) vehicles.push(v); else vehicles[i] = v;
});

function render(plan) {
  previews.clearLayers();
  kit.labels.clear("s:");
  const rows = plan.summary.sorties.map((s, i) => {
    const colour = ["#3ccf7a", "#c084fc", "#fb923c", "#22d3ee"][i % 4];
    // the preview takes no pointer (targets under it stay clickable); a placed label names it
    const line = L.polyline(plan.tracks[s.id], { color: colour, weight: 3, interactive: false }).addTo(previews);
    const middle = plan.tracks[s.id].length ? lineMiddle(plan.tracks[s.id].map(([lat, lon]) => [lon, lat])) : null;
    if (middle) kit.labels.set(`s:${s.id}`, { text: s.label, level: "proposal", gap: 4, positions: ["above", "below", "right", "left"], latlng: L.latLng(middle), owner: line });
    kit.legend.show("sortie", lineSymbol("planned sortie (its card's colour)", colour));
    const options = vehicles.map((v) => `<option value="${escape(v.id)}">${escape(v.name)}</option>`).join("");
    return `<div class="card" data-sortie="${escape(s.id)}" data-label="${escape(s.label)}">
      <h3>${escape(s.label)} <span class="swatch" style="background:${colour}"></span></h3>
      <div class="figures">
        <div><span>length</span>${distance(s.length_m)}</div>
        <div><span>duration</span>${duration(s.duration_s)}</div>
        <div><span>battery</span>${percent(s.energy_frac)}</div>
        <div><span>items</span>${Number(s.items)}</div>
        <div><span>targets</span>${s.targets.length}</div>
      </div>
      <div class="controls">
        <label>Drone <select class="vehicle">${options}</select></label>
        <button type="button" data-action="upload">Upload</button>
        <button type="button" data-action="start">Arm &amp; start</button>
      </div>
      <p class="answer" role="status" aria-live="polite"></p>
    </div>`;
  });
  const skipped = Object.entries(plan.summary.targets).filter(([, t]) => t.status === "skipped");
  list.innerHTML = rows.join("") + (skipped.length
    ? `<h2>Skipped</h2><ul>${skipped.map(([id, t]) => `<li>${escape(id)}: ${escape(t.reason)}</li>`).join("")}</ul>`
    : "");
  const bounds = previews.getLayers().map((l) => l.getBounds());
  if (bounds.length) map.fitBounds(bounds.reduce((a, b) => a.extend(b)), { padding: [20, 20] });
}

let plan = null;
document.getElementById("plan-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const body = { stations: [stationSelect.value] };
  const ids = targetsInput.value.split(",").map((s) => s.trim()).filter(Boolean);
  if (ids.length) body.targets = ids;
  status.textContent = "Planning…";
  try {
    plan = await api("POST", "/api/plans", body);
    const t = plan.summary.totals;
    status.textContent = `Plan ${plan.id}: ${t.sorties} sorties, ${distance(t.length_m)}, ${t.targets_planned} targets planned, ${t.targets_skipped} skipped`;
    render(plan);
  } catch (err) {
    status.textContent = `Planning failed: ${err.message}`;
  }
});

function said(answer, d) {
  if (d.result !== "DONE") answer.textContent = `${d.name} refused: ${d.reason}`;
  return d.result === "DONE";
}

list.addEventListener("click", async (e) => {
  const button = e.target.closest("button[data-action]");
  if (!button || !plan) return;
  const cardEl = button.closest(".card");
  const answer = cardEl.querySelector(".answer");
  const vehicle = encodeURIComponent(cardEl.querySelector(".vehicle").value);
  try {
    if (button.dataset.action === "upload") {
      const queued = await api("POST", `/api/vehicles/${vehicle}/mission`, { plan: plan.id, sortie: cardEl.dataset.sortie });
      answer.textContent = "Uploading…";
      if (said(answer, await outcome(queued.request_id))) answer.textContent = "Uploaded and verified.";
    } else {
      if (!window.confirm(`Arm ${decodeURIComponent(vehicle)} and start ${cardEl.dataset.label}?`)) return;
      const armed = await api("POST", `/api/vehicles/${vehicle}/commands`, { command: "arm", confirm: true });
      answer.textContent = "Arming…";
      if (!said(answer, await outcome(armed.request_id))) return;
      const started = await api("POST", `/api/vehicles/${vehicle}/commands`, { command: "start", confirm: true });
      answer.textContent = "Starting…";
      if (said(answer, await outcome(started.request_id))) answer.textContent = "Flying the sortie.";
    }
  } catch (err) {
    answer.textContent = err.message;
  }
});
