// Operations: the map with the patrol network and live drones, and the fleet
// panel with each drone's figures and controls.

import { api } from "./api.js";
import { on, outcome } from "./events.js";
import { dateTime, duration, escape, percent, quantity } from "./format.js";
import { kitOf, liveDrones, networkMap, pointFor, styleFor } from "./map.js";
import { featureAnchor, featureLabel } from "./map/labels.js";
import { featureSymbols } from "./map/legend.js";
import { startAlerts } from "./alerts.js";
import { command, may } from "./meta.js";
import { schedulePanel } from "./schedule.js";

startAlerts();

const { map, layer } = await networkMap(document.getElementById("map"));
const kit = kitOf(map);
schedulePanel(map); // it draws the proposed sorties on this map
const toggle = document.getElementById("freshness-toggle");

function freshnessColour(t) {
  if (!t || t.staleness === null) return "#6b7785";
  if (t.overdue) return "#ff5d5d";
  return t.staleness > 0.75 ? "#f2b63c" : "#3ccf7a";
}

// Large events: active zones (dashed, with name and time left) and their targets.
const ZONE_STYLE = { color: "#c18cff", weight: 2.5, dashArray: "8 6", fillColor: "#c18cff", fillOpacity: 0.06 };
const eventLayer = L.geoJSON(null, {
  renderer: L.svg(), // zones as SVG paths, above the canvas-drawn network
  style: (f) => (f.properties.kind === "zone" ? ZONE_STYLE : styleFor(f)),
  pointToLayer: pointFor,
  onEachFeature: (f, l) => {
    const p = f.properties;
    const anchor = featureAnchor(f);
    if (p.kind === "zone") {
      // the zone's name and time left: a label placed with the others, never over them
      if (anchor) kit.labels.set(`z:${p.id}`, { text: zoneLabel(p), level: "zone", gap: 0, positions: ["center", "above", "below", "right", "left"], spread: 3, latlng: L.latLng(anchor), owner: l });
      kit.legend.show("zone");
    } else {
      const tip = document.createElement("span");
      tip.textContent = `${p.kind} ${p.id}${p.name ? " · " + p.name : ""} · ${p.priority}`;
      l.bindTooltip(tip, { direction: "top", offset: [0, -8] });
      const label = featureLabel(f);
      if (label && anchor) kit.labels.set(`z:${p.id}`, { ...label, latlng: L.latLng(anchor), owner: l });
      featureSymbols(f).forEach((key) => kit.legend.show(key));
    }
  },
}).addTo(map);

function zoneLabel(p) {
  return `${p.name} · ${duration(p.time_left_s)} left`; // set as text
}

function targetLayers() {
  return [layer, eventLayer].filter(Boolean);
}

async function paintFreshness() {
  if (!toggle.checked) {
    targetLayers().forEach((g) => g.eachLayer((l) => l.setStyle && g.resetStyle(l)));
    return;
  }
  try {
    const { targets } = await api("GET", "/api/freshness");
    const byId = Object.fromEntries(targets.map((t) => [t.id, t]));
    targetLayers().forEach((g) => g.eachLayer((l) => {
      const p = l.feature.properties;
      if (!byId[p.id] || !l.setStyle) return;
      const colour = freshnessColour(byId[p.id]);
      l.setStyle({ color: colour, fillColor: colour });
    }));
  } catch (e) {
    toggle.checked = false;
  }
}
toggle.addEventListener("change", paintFreshness);
on("freshness", paintFreshness);

const eventsEl = document.getElementById("large-events");
const canEnd = may("POST /api/large-events/{event_id}/end");

function eventCard(e) {
  const left = e.status === "active" ? `${duration(e.time_left_s)} left` : `starts ${dateTime(e.start_s)}`;
  const end = canEnd
    ? `<div class="controls"><button type="button" class="danger" data-end="${escape(e.id)}">${e.status === "active" ? "End now" : "Cancel"}</button></div>`
    : "";
  return `<div class="card event-card" data-event="${escape(e.id)}">
    <h3>${escape(e.name)} <span class="pill ${escape(e.status)}">${escape(e.status)}</span></h3>
    <p>${dateTime(e.start_s)} – ${dateTime(e.end_s)} · ${Number(e.targets)} targets · ${escape(left)}</p>
    ${end}</div>`;
}

let eventsAsked = 0;
async function loadEvents() {
  const asked = ++eventsAsked;
  try {
    const [{ events }, zones] = await Promise.all([
      api("GET", "/api/large-events"),
      api("GET", "/api/large-events/active"),
    ]);
    if (asked !== eventsAsked) return; // a newer answer is on its way
    const current = events.filter((e) => e.status === "active" || e.status === "scheduled");
    eventsEl.innerHTML = current.length ? current.map(eventCard).join("") : `<p class="empty">No large event on or coming.</p>`;
    eventLayer.clearLayers();
    kit.labels.clear("z:");
    eventLayer.addData(zones);
    if (!layer && zones.features.length) map.fitBounds(eventLayer.getBounds(), { padding: [20, 20] });
    paintFreshness();
  } catch (e) {
    eventsEl.innerHTML = `<p class="answer error">${escape(e.message)}</p>`;
  }
}

eventsEl.addEventListener("click", async (e) => {
  const button = e.target.closest("button[data-end]");
  if (!button || !window.confirm(`End the large event ${button.dataset.end} now?`)) return;
  try {
    await api("POST", `/api/large-events/${encodeURIComponent(button.dataset.end)}/end`);
  } catch (err) {
    window.alert(err.message);
  }
  loadEvents();
});

const form = document.getElementById("event-form");
if (form) {
  const fileInput = document.getElementById("event-file");
  const startInput = document.getElementById("event-start");
  const endInput = document.getElementById("event-end");
  const answer = document.getElementById("event-answer");
  let eventData = null;
  const localInput = (iso) => {
    const d = new Date(iso);
    if (isNaN(d)) return "";
    return new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
  };
  const zoneOf = (data) => (data.features || []).find((f) => f.properties && f.properties.kind === "zone");
  fileInput.addEventListener("change", async () => {
    answer.textContent = "";
    answer.className = "answer";
    eventData = null;
    try {
      eventData = JSON.parse(await fileInput.files[0].text());
      const zone = zoneOf(eventData);
      if (!zone) throw new Error("the file has no feature of kind 'zone'");
      startInput.value = localInput(zone.properties.start);
      endInput.value = localInput(zone.properties.end);
    } catch (e) {
      answer.textContent = `Not an event file: ${e.message}`;
      answer.className = "answer error";
    }
  });
  // a file chosen while the map was still loading is read now
  if (fileInput.files.length) fileInput.dispatchEvent(new Event("change"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!eventData || !zoneOf(eventData)) return;
    const zone = zoneOf(eventData);
    zone.properties.start = new Date(startInput.value).toISOString();
    zone.properties.end = new Date(endInput.value).toISOString();
    try {
      const added = await api("POST", "/api/large-events", eventData);
      const warnings = added.warnings.map((w) => ` ${w.feature}: ${w.message}`).join(";");
      answer.textContent = `Added ${added.name} (${added.status}).${warnings ? " Warnings:" + warnings : ""}`;
      answer.className = "answer ok";
      form.reset();
      eventData = null;
      loadEvents();
    } catch (err) {
      answer.textContent = err.message;
      answer.className = "answer error";
    }
  });
}

loadEvents();
on("large_event", loadEvents);
setInterval(loadEvents, 30000);
const fleetEl = document.getElementById("fleet");
const cards = new Map();
const canFly = may("POST /api/vehicles/{vehicle_id}/commands");
// The fleet card's buttons, in order; their labels, confirmations and preconditions
// are the server's (GET /api/meta).
const PANEL = ["arm", "takeoff", "start", "pause", "resume", "rtl", "land"];
const GROUND_CREW = "battery_swapped";
const labelOf = (name) => (command(name) ? command(name).label : name);

function card(v) {
  const b = v.battery || {};
  const m = v.mission || {};
  // the ground crew's button: only when the server says the drone can take it now
  const commands = v.ready_for.includes(GROUND_CREW) ? [...PANEL, GROUND_CREW] : PANEL;
  const controls = canFly
    ? `<div class="controls" role="group" aria-label="Controls of ${escape(v.name)}">
        ${commands
          .map((c) => `<button type="button" data-command="${c}" class="${c === "land" ? "danger" : ""}"
            title="${escape(command(c) ? `needs: ${command(c).needs}` : "")}">${escape(labelOf(c))}</button>`)
          .join("")}
      </div>`
    : "";
  const ready = v.ekf_ok ? `<span class="pill ready">position ok</span>` : `<span class="pill waiting">no position yet</span>`;
  return `<h3>${escape(v.name)} <span>${ready} <span class="pill ${escape(v.link)}">${escape(v.link)}</span></span></h3>
    <div class="figures">
      <div><span>mode</span>${escape(v.mode)}</div>
      <div><span>armed</span>${v.armed ? "yes" : "no"}</div>
      <div><span>alt</span>${quantity(v.position && v.position.alt_rel_m, 0, " m")}</div>
      <div><span>speed</span>${quantity(v.groundspeed_mps, 1, " m/s")}</div>
      <div class="charge charge-${escape(v.charge)}"><span>battery</span>${percent(b.remaining_pct == null ? null : b.remaining_pct / 100)}</div>
      <div class="charge charge-${escape(v.charge)}" title="cruise flight left before the reserve, from the drone's own pack and consumption"><span>flight left</span>${quantity(v.endurance_min, 0, " min")}</div>
      <div><span>mission</span>${m.total ? m.current_seq + "/" + (m.total - 1) : "–"}</div>
    </div>
    <p class="statustext">${escape(v.statustext || "")}</p>
    ${controls}
    <p class="answer" role="status" aria-live="polite"></p>`;
}

async function send(v, name) {
  const answer = cards.get(v.id).querySelector(".answer");
  const body = { command: name };
  const label = labelOf(name);
  const served = command(name);
  if (served && served.risky) {
    if (!window.confirm(`${served.question}: ${v.name}?`)) return;
    body.confirm = true;
  }
  try {
    const queued = await api("POST", `/api/vehicles/${encodeURIComponent(v.id)}/commands`, body);
    answer.textContent = `${label}: sent`;
    const d = await outcome(queued.request_id);
    const now = cards.get(v.id).querySelector(".answer");
    now.textContent = `${label}: ${d.result === "DONE" ? "done" : "refused: " + d.reason}`;
    now.className = d.result === "DONE" ? "answer ok" : "answer error";
  } catch (e) {
    answer.textContent = `${label}: ${e.message}`;
    answer.className = "answer error";
  }
}

function update(v) {
  let el = cards.get(v.id);
  if (!el) {
    fleetEl.querySelector(".empty")?.remove();
    el = document.createElement("div");
    el.className = "card";
    el.dataset.vehicle = v.id;
    fleetEl.appendChild(el);
    cards.set(v.id, el);
    el.addEventListener("click", (e) => {
      const button = e.target.closest("button[data-command]");
      if (button) send(el.vehicle, button.dataset.command);
    });
  }
  el.vehicle = v;
  const html = card(v);
  if (html === el.lastHtml) return;  // a drone at rest: its card stays as it is
  el.lastHtml = html;
  const answer = el.querySelector(".answer");
  const keep = answer ? [answer.textContent, answer.className] : null;
  el.innerHTML = html;
  if (keep) [el.querySelector(".answer").textContent, el.querySelector(".answer").className] = keep;
}

liveDrones(map, (v, clicked) => {
  update(v);
  if (clicked) cards.get(v.id).scrollIntoView({ behavior: "smooth" });
});
