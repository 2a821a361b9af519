// Lockdown ("close the city gates"): pick a plan of the patrol network, see its
// overwatch points, activate it (commanders), and follow every hold live from the
// dispatch events. Points no drone could take are drawn in red and listed.

import { api } from "./api.js";
import { on } from "./events.js";
import { clock, duration, escape } from "./format.js";
import { kitOf, liveDrones, networkMap } from "./map.js";
import { dotSymbol, lineSymbol } from "./map/legend.js";
import { startAlerts } from "./alerts.js";

startAlerts();

const side = document.querySelector("aside[data-can-act]");
const canAct = side.dataset.canAct === "yes";
const notOverwatch = (f) => (f.properties || {}).kind !== "overwatch";
const { map, layer } = await networkMap(document.getElementById("map"), null, { filter: notOverwatch });
const kit = kitOf(map);
const planSelect = document.getElementById("plan");
const info = document.getElementById("plan-info");
const answer = document.getElementById("lockdown-answer");
const summary = document.getElementById("lockdown-summary");
const uncoveredEl = document.getElementById("uncovered");
const rows = document.getElementById("points");
const activateButton = document.getElementById("activate");
const releaseButton = document.getElementById("release-all");
const pointLayer = L.layerGroup().addTo(map);
const routeLayer = L.layerGroup().addTo(map);
const routes = new Map(); // vehicle id -> dashed line to the point it flies to

const STATUS = {
  planned: { label: "not held", colour: "#c9d4df" },
  open: { label: "waiting", colour: "#c9d4df" },
  dispatched: { label: "on its way", colour: "#f2b63c" },
  on_scene: { label: "holding", colour: "#3ccf7a" },
  released: { label: "released", colour: "#6b7785" },
  failed: { label: "failed", colour: "#ff5d5d" },
  uncovered: { label: "uncovered", colour: "#ff5d5d" },
};

let plans = [];
let lockdown = null; // GET /api/lockdown's "lockdown": the latest one, or null
let fittedTo = null;

function label(p) {
  return p.name ? `${p.id} (${p.name})` : p.id;
}

// The lockdown in force, or the last one while its plan is picked; null shows the plan itself.
function shown() {
  if (lockdown && (lockdown.active || lockdown.name === planSelect.value)) return lockdown;
  return null;
}

function planPoints() {
  const plan = plans.find((p) => p.name === planSelect.value);
  if (!plan) return [];
  return plan.points.map((p) => ({ ...p, vehicle: null, eta_s: null, incident: null, status: "planned", reason: "" }));
}

function drawPoints(points) {
  pointLayer.clearLayers();
  kit.labels.clear("h:");
  points.forEach((p) => {
    const status = STATUS[p.status] || STATUS.planned;
    const fillOpacity = p.status === "planned" ? 0.12 : 0.55;
    const marker = L.circleMarker([p.lat, p.lon], { radius: 9, color: status.colour, weight: 3, fillColor: status.colour, fillOpacity })
      .bindPopup(`<strong>${escape(label(p))}</strong><br>${escape(status.label)}` +
        `${p.vehicle ? " · " + escape(p.vehicle) : ""}${p.reason ? "<br>" + escape(p.reason) : ""}`)
      .addTo(pointLayer);
    // named by a label placed with the map's others (never over a drone's or a station's)
    kit.labels.set(`h:${p.id}`, { text: p.id, level: "hold", gap: 12, latlng: marker.getLatLng(), owner: marker });
    kit.legend.show(`hold-${p.status}`, dotSymbol(`overwatch point: ${status.label}`, status.colour, fillOpacity));
  });
  const key = planSelect.value;
  if (points.length && fittedTo !== key) {
    const bounds = L.latLngBounds(points.map((p) => [p.lat, p.lon]));
    if (layer) bounds.extend(layer.getBounds());
    map.fitBounds(bounds, { padding: [30, 30] });
    fittedTo = key;
  }
}

function drawTable(points) {
  rows.innerHTML = points.map((p) => {
    const status = STATUS[p.status] || STATUS.planned;
    return `<tr data-point="${escape(p.id)}" data-status="${escape(p.status)}" tabindex="0">
      <td><strong>${escape(p.id)}</strong><span class="sub">${escape(p.name || "")}</span></td>
      <td>${escape(p.vehicle || "–")}</td>
      <td>${duration(p.eta_s)}</td>
      <td><span class="pill status-${escape(p.status)}">${escape(status.label)}</span></td>
    </tr>`;
  }).join("") || `<tr><td colspan="4" class="empty">No overwatch points.</td></tr>`;
}

function drawSummary(current, points) {
  if (!current) {
    summary.hidden = true;
    uncoveredEl.hidden = true;
    return;
  }
  const covered = points.filter((p) => p.vehicle).length;
  const holding = points.filter((p) => p.status === "on_scene").length;
  const started = clock(current.started_s);
  summary.hidden = false;
  summary.innerHTML = `<h3>${escape(current.name)}
      <span class="pill ${current.active ? "in-force" : ""}">${current.active ? "in force" : "ended"}</span></h3>
    <div class="figures">
      <div><span>covered</span>${covered} of ${points.length}</div>
      <div><span>holding</span>${holding}</div>
      <div><span>worst ETA</span>${duration(current.worst_eta_s)}</div>
    </div>
    <p class="muted">Activated by ${escape(current.started_by || "?")} at ${escape(started)}.</p>`;
  const open = points.filter((p) => p.status === "uncovered" || p.status === "failed");
  uncoveredEl.hidden = open.length === 0;
  if (open.length) {
    const noun = open.length === 1 ? "point" : "points";
    const byReason = new Map();
    open.forEach((p) => {
      const why = p.reason || p.status;
      byReason.set(why, [...(byReason.get(why) || []), p.id]);
    });
    const why = [...byReason].map(([reason, ids]) =>
      `<li>${escape(reason)}${byReason.size > 1 ? ` (${ids.map(escape).join(", ")})` : ""}</li>`);
    uncoveredEl.innerHTML = `<p><strong>${open.length} ${noun} ${current.active ? "uncovered" : "were left uncovered"}:</strong> ${open.map((p) => escape(label(p))).join(", ")}</p>
      <ul>${why.join("")}</ul>`;
  }
}

function render() {
  const current = shown();
  const points = current ? current.points : planPoints();
  const inForce = Boolean(lockdown && lockdown.active);
  planSelect.disabled = inForce;
  if (activateButton) activateButton.disabled = inForce || !planSelect.value;
  if (releaseButton) releaseButton.disabled = !inForce;
  const plan = plans.find((p) => p.name === planSelect.value);
  if (inForce) {
    info.textContent = `Lockdown ${lockdown.name} is in force: release it before activating another plan.`;
  } else if (plan) {
    info.textContent = `${plan.points.length} overwatch points. Activating sends the available drones to hold ` +
      "as many as they can, the last arrival as early as possible; each circles its point until released.";
  }
  drawPoints(points);
  drawTable(points);
  drawSummary(current, points);
  routes.forEach((line, vehicle) => {
    if (!points.some((p) => p.vehicle === vehicle && p.status === "dispatched")) line.setLatLngs([]);
  });
}

async function refresh() {
  try {
    lockdown = (await api("GET", "/api/lockdown")).lockdown;
  } catch (err) {
    answer.className = "answer error";
    answer.textContent = err.message;
    return;
  }
  if (lockdown && lockdown.active) {
    if (![...planSelect.options].some((o) => o.value === lockdown.name)) {
      planSelect.add(new Option(`${lockdown.name} · ${lockdown.points.length} points`, lockdown.name));
    }
    planSelect.value = lockdown.name;
  }
  render();
}

// One refresh for a burst of dispatch events (a lockdown starts several flights at once).
let pending = null;
function refreshSoon() {
  if (pending) return;
  pending = setTimeout(() => {
    pending = null;
    refresh();
  }, 200);
}
on("dispatch", (event) => {
  const d = event.data || {};
  if (d.stage === "lockdown" || d.stage === "lockdown_released") refreshSoon();
  else if (lockdown && lockdown.points.some((p) => p.incident === d.incident)) refreshSoon();
});

// A dashed line from each drone on its way to the point it will hold.
liveDrones(map, (v) => {
  const current = shown();
  const hold = current && current.points.find((p) => p.vehicle === v.id && p.status === "dispatched");
  let line = routes.get(v.id);
  if (!hold || !v.position) {
    if (line) line.setLatLngs([]);
    return;
  }
  const path = [[v.position.lat, v.position.lon], [hold.lat, hold.lon]];
  if (!line) {
    line = L.polyline(path, { color: "#f2b63c", weight: 2, dashArray: "6 6", opacity: 0.85 }).addTo(routeLayer);
    kit.legend.show("hold-route", lineSymbol("drone's way to its point", "#f2b63c", true));
    routes.set(v.id, line);
  } else {
    line.setLatLngs(path);
  }
});

rows.addEventListener("click", (e) => {
  const row = e.target.closest("tr[data-point]");
  const point = row && (shown() ? shown().points : planPoints()).find((p) => p.id === row.dataset.point);
  if (point) map.panTo([point.lat, point.lon]);
});
planSelect.addEventListener("change", render);

if (activateButton) {
  activateButton.addEventListener("click", async () => {
    const plan = plans.find((p) => p.name === planSelect.value);
    if (!plan) return;
    const question = `Activate lockdown "${plan.name}"? The available drones leave their patrols ` +
      `to hold its ${plan.points.length} overwatch points until released.`;
    if (!window.confirm(question)) return;
    activateButton.disabled = true;
    try {
      const body = await api("POST", "/api/lockdown", { plan: plan.name });
      lockdown = body.lockdown;
      answer.className = "answer ok";
      answer.textContent = `Lockdown ${plan.name} activated: ${body.assignments.length} of ${plan.points.length} points covered.`;
    } catch (err) {
      answer.className = "answer error";
      answer.textContent = err.message;
    }
    render();
  });
}
if (releaseButton) {
  releaseButton.addEventListener("click", async () => {
    if (!lockdown || !window.confirm(`Release every drone holding for lockdown ${lockdown.name}?`)) return;
    releaseButton.disabled = true;
    try {
      const body = await api("POST", "/api/lockdown/release", {});
      answer.className = "answer ok";
      answer.textContent = `Lockdown ${body.name} released: ${body.released.length} drones go back to their patrols or home.`;
    } catch (err) {
      answer.className = "answer error";
      answer.textContent = err.message;
    }
    await refresh();
  });
}

try {
  plans = (await api("GET", "/api/lockdown/plans")).plans;
} catch (err) {
  info.textContent = err.message;
}
planSelect.innerHTML = plans
  .map((p) => `<option value="${escape(p.name)}">${escape(p.name)} · ${Number(p.points.length)} points</option>`)
  .join("");
if (!plans.length && !info.textContent) {
  info.textContent = "The patrol network has no lockdown plans: give overwatch features a 'lockdown' property.";
}
if (!canAct) side.classList.add("read-only");
await refresh();
