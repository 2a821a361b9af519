// Lockdown ("close the city gates"): pick a plan of the patrol network, see its
// overwatch points, activate it (commanders), and follow every hold live from the
// dispatch events. Points no drone could take are drawn in red and listed. Each ETA
// counts down every second: from the drone's live position and speed while it flies
// there, else from the planned arrival. Once released, the map shows the plan again.

import { api, serverNowS } from "./api.js";
import { on } from "./events.js";
import { clock, distance, duration, escape } from "./format.js";
import { kitOf, liveDrones, metresBetween, networkMap } from "./map.js";
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
kit.layers.add("Overwatch points", pointLayer); // the plan's points stand in for the network's
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

const LIVE_FOR_MS = 5000; // older telemetry is not used for an ETA
const MOVING_MPS = 2; // slower (launching, climbing): the planned arrival is nearer the truth
const seen = new Map(); // vehicle id -> its newest {lat, lon, speed [m/s], at [ms, our clock]}

let plans = [];
let lockdown = null; // GET /api/lockdown's "lockdown": the latest one, or null
// Reads of the lockdown are numbered as they are asked: under load their answers can come
// back out of order, and an older one shown last would undo a hold's later status for good
// (no event follows a drone's arrival on scene until it is released).
let asked = 0;
let shownRead = 0;

// Keep ``read``'s answer unless a later-asked read is already shown; true when kept.
function adopt(read, answered) {
  if (read < shownRead) return false;
  shownRead = read;
  lockdown = answered;
  return true;
}
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

/**
 * A hold's time to arrival now [s] (negative once late), or null: from the drone's
 * live position at its present ground speed while it flies there, else from the
 * planned arrival (activation + the plan's ETA, on the server's clock).
 */
function etaNow(current, p) {
  if (!current || !current.active || !p.vehicle || !["open", "dispatched"].includes(p.status)) return null;
  const v = seen.get(p.vehicle);
  const fresh = v && Date.now() - v.at < LIVE_FOR_MS;
  const toGoM = fresh ? metresBetween(v.lat, v.lon, p.lat, p.lon) : null;
  if (p.status === "dispatched" && fresh && v.speed >= MOVING_MPS) {
    return { s: toGoM / v.speed, live: true, toGoM };
  }
  if (p.eta_s === null || p.eta_s === undefined) return null;
  return { s: current.started_s + p.eta_s - serverNowS(), live: false, toGoM };
}

function etaCell(current, p) {
  if (current && current.active && p.status === "on_scene") return { text: "on scene", title: "", s: "" };
  const eta = etaNow(current, p);
  if (!eta) return { text: "–", title: "", s: "" };
  const text = eta.s < 0 ? `late ${duration(-eta.s)}` : duration(eta.s);
  const togo = eta.toGoM === null ? "" : `${distance(eta.toGoM)} to go`;
  const title = eta.live ? "at its present speed" : "planned arrival";
  return { text, togo, title, s: String(Math.round(eta.s)) };
}

function etaHtml(cell) {
  return `${escape(cell.text)}${cell.togo ? `<span class="sub">${escape(cell.togo)}</span>` : ""}`;
}

/** Every ETA on the page counted again: the table's cells and the summary's worst. */
function tick() {
  const current = shown();
  if (!current) return;
  for (const p of current.points) {
    const td = rows.querySelector(`tr[data-point="${CSS.escape(p.id)}"] td.eta`);
    if (!td) continue;
    const cell = etaCell(current, p);
    td.innerHTML = etaHtml(cell);
    td.title = cell.title;
    td.dataset.etaS = cell.s;
  }
  const worst = summary.querySelector("[data-worst-eta]");
  if (worst) worst.textContent = worstEta(current);
}

function worstEta(current) {
  if (!current.active) return "–";
  const etas = current.points.map((p) => etaNow(current, p)).filter(Boolean).map((e) => e.s);
  if (etas.length) {
    const s = Math.max(...etas);
    return s < 0 ? `late ${duration(-s)}` : duration(s);
  }
  return current.points.some((p) => p.status === "on_scene") ? "all on scene" : "–";
}
setInterval(tick, 1000);

function drawPoints(points, current) {
  pointLayer.clearLayers();
  kit.labels.clear("h:");
  const ended = Boolean(current && !current.active); // released: the plan as it stands, no alarm
  points.forEach((p) => {
    const status = ended ? STATUS.planned : STATUS[p.status] || STATUS.planned;
    const fillOpacity = ended || p.status === "planned" ? 0.12 : 0.55;
    const marker = L.circleMarker([p.lat, p.lon], { className: "overwatch-hold", radius: 9, color: status.colour, weight: 3, fillColor: status.colour, fillOpacity })
      .bindPopup(`<strong>${escape(label(p))}</strong><br>${escape((STATUS[p.status] || STATUS.planned).label)}` +
        `${p.vehicle ? " · " + escape(p.vehicle) : ""}${p.reason ? "<br>" + escape(p.reason) : ""}`)
      .addTo(pointLayer);
    // named by a label placed with the map's others (never over a drone's or a station's)
    kit.labels.set(`h:${p.id}`, { text: p.id, level: "hold", gap: 12, latlng: marker.getLatLng(), owner: marker });
    kit.legend.show(`hold-${ended ? "planned" : p.status}`, dotSymbol(`overwatch point: ${status.label}`, status.colour, fillOpacity));
  });
  const key = planSelect.value;
  if (points.length && fittedTo !== key) {
    const bounds = L.latLngBounds(points.map((p) => [p.lat, p.lon]));
    if (layer) bounds.extend(layer.getBounds());
    map.fitBounds(bounds, { padding: [30, 30] });
    fittedTo = key;
  }
}

// The rows as last drawn (point, status, drone): kept while these stay, so a row keeps
// its focus and place while only its ETA changes.
let drawnRows = "";

function drawTable(points, current) {
  const key = JSON.stringify(points.map((p) => [p.id, p.name, p.status, p.vehicle]));
  if (key === drawnRows && rows.querySelector("tr[data-point]")) {
    tick();
    return;
  }
  drawnRows = key;
  rows.innerHTML = points.map((p) => {
    const status = STATUS[p.status] || STATUS.planned;
    const eta = etaCell(current, p);
    return `<tr data-point="${escape(p.id)}" data-status="${escape(p.status)}" tabindex="0">
      <td><strong>${escape(p.id)}</strong><span class="sub">${escape(p.name || "")}</span></td>
      <td>${escape(p.vehicle || "–")}</td>
      <td class="eta" data-eta-s="${eta.s}" title="${escape(eta.title)}">${etaHtml(eta)}</td>
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
      <div><span>worst ETA</span><output data-worst-eta>${escape(worstEta(current))}</output></div>
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
  drawPoints(points, current);
  drawTable(points, current);
  drawSummary(current, points);
  routes.forEach((line, vehicle) => {
    if (!points.some((p) => p.vehicle === vehicle && p.status === "dispatched")) line.setLatLngs([]);
  });
}

async function refresh() {
  const read = ++asked;
  try {
    if (!adopt(read, (await api("GET", "/api/lockdown")).lockdown)) return;
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
  if (v.position) {
    seen.set(v.id, { lat: v.position.lat, lon: v.position.lon, speed: Number(v.groundspeed_mps) || 0, at: Date.now() });
  }
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
    const read = ++asked;
    try {
      const body = await api("POST", "/api/lockdown", { plan: plan.name });
      adopt(read, body.lockdown);
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
