// The command centre's city: every station's patrol network and drones on one map,
// the stations and drones listed beside it, all from GET /api/city polled every
// POLL_MS. A stale station (unheard, or offline by its last will) and its drones are
// drawn greyed and dashed and say "stale" in words: what they show may be old.
// Roles that may command a station's drone get RTL / Land / Pause / Resume (and Go to
// and Orbit to a place on the map: city_orders.js), sent through its station; the
// station's answer (accepted, refused, expired), then the drone's (completed, failed),
// is shown on the drone's card.

import { api } from "./api.js";
import { escape, quantity } from "./format.js";
import { command, may } from "./meta.js";
import { plainMap } from "./map.js";
import { DRONE_COLOURS, SYMBOLS } from "./map/legend.js";
import { drawNetwork } from "./map/network.js";
import { placeOrders } from "./city_orders.js";
import { startCitySituation } from "./map/city_situation.js";
import { cityVideo } from "./city_video.js";

const POLL_MS = 1500;
const OUTCOME_WAIT_MS = 120000; // a command's result travels the station's outbox: seconds
const COMMANDS = ["rtl", "land", "pause", "resume"];
const COMMAND_OPERATION = "POST /api/city/stations/{station}/vehicles/{vehicle}/commands";
const STALE_COLOUR = "#6b7785";
const STALE_PATH = { dashArray: "4 6", opacity: 0.45, fillOpacity: 0.03 };

const mapElement = document.getElementById("map");
const stationRows = document.getElementById("stations");
const droneList = document.getElementById("drones");
const status = document.getElementById("city-status");
const canCommand = may(COMMAND_OPERATION);

// The centre flies nothing itself: each station's network is drawn on the base map as
// it arrives.
const kit = plainMap(mapElement);
const { map } = kit;
kit.legend.show("drone-stale", {
  label: "drone, stale (its station is unheard)",
  svg: SYMBOLS["drone-disarmed"].svg.replace(DRONE_COLOURS.disarmed, STALE_COLOUR),
});

const orders = canCommand ? placeOrders(map, kit, send) : null; // goto, orbit
// Every station's incidents and lockdown on the map and listed; a chosen drone's video.
startCitySituation(L, kit, document.getElementById("situation"));
const video = cityVideo({
  select: document.getElementById("city-video-drone"),
  video: document.getElementById("city-video"),
  message: document.getElementById("city-video-message"),
});

const networks = new Map(); // station id -> {layer, stale} once its network is drawn
const asked = new Set(); // stations whose network was asked for
const drones = new Map(); // "station/vehicle" -> {marker, card, look}
let fitted = false;

/** A station's network tooltip: which station, the feature's kind and id. */
function tooltipFor(station) {
  return (f) => {
    const p = f.properties || {};
    return `${station} · ${p.kind} ${p.id}${p.name ? " · " + p.name : ""}`;
  };
}

/** Grey and dash a station's network while it is stale; restore it when it is heard again. */
function markNetwork(station, stale) {
  const drawn = networks.get(station);
  if (!drawn || drawn.stale === stale) return;
  drawn.stale = stale;
  drawn.layer.eachLayer((l) => {
    if (l.setStyle) {
      if (stale) l.setStyle({ ...STALE_PATH, color: STALE_COLOUR, fillColor: STALE_COLOUR });
      else drawn.layer.resetStyle(l);
    } else if (l.setOpacity) l.setOpacity(stale ? 0.45 : 1);
  });
}

async function loadNetwork(station) {
  asked.add(station);
  let geojson;
  try {
    geojson = await api("GET", `/api/city/stations/${encodeURIComponent(station)}/network`);
  } catch (e) {
    asked.delete(station); // asked again on the next poll
    return;
  }
  const layer = drawNetwork(L, kit, geojson, { tooltip: tooltipFor(station) });
  networks.set(station, { layer, stale: false });
  if (!fitted && layer.getLayers().length) {
    fitted = true;
    map.fitBounds(layer.getBounds(), { padding: [20, 20], maxZoom: 16 });
  } else if (layer.getLayers().length) {
    map.fitBounds(map.getBounds().extend(layer.getBounds()), { padding: [20, 20], maxZoom: 16 });
  }
}

function droneIcon(v) {
  const t = v.telemetry;
  const colour = v.stale ? STALE_COLOUR : t.armed ? DRONE_COLOURS.armed : DRONE_COLOURS.disarmed;
  const dash = v.stale ? ' stroke-dasharray="3 2"' : "";
  return L.divIcon({
    className: `drone-icon${v.stale ? " stale" : ""}`,
    html: `<svg width="28" height="28" viewBox="-14 -14 28 28" style="transform: rotate(${Number(t.heading_deg) || 0}deg)" aria-label="${escape(v.vehicle)}${v.stale ? " (stale)" : ""}">
             <path d="M0,-12 L8,10 L0,5 L-8,10 Z" fill="${colour}" fill-opacity="${v.stale ? 0.5 : 1}" stroke="#0f141a" stroke-width="1.5"${dash}/></svg>`,
    iconSize: [28, 28],
    iconAnchor: [14, 14],
  });
}

function stationState(s) {
  if (!s.stale) return "live";
  const heard = s.last_heard_age_s == null ? "never heard" : `heard ${quantity(s.last_heard_age_s, 0, " s")} ago`;
  return `STALE${s.online ? "" : " (offline)"}, ${heard}`;
}

function renderStations(stations) {
  if (!stations.length) {
    stationRows.innerHTML = '<tr><td colspan="7" class="empty">No station heard yet.</td></tr>';
    return;
  }
  stationRows.innerHTML = stations
    .map((s) => {
      const sum = s.summary || {};
      const lockdown = sum.lockdown ? escape(sum.lockdown.name || "active") : "—";
      return `<tr class="${s.stale ? "stale" : "fresh"}" data-station="${escape(s.station)}">
        <th scope="row">${escape(s.station)}</th>
        <td class="state">${s.stale ? `<strong>${escape(stationState(s))}</strong>` : "live"}</td>
        <td>${escape(s.vehicles.join(", "))}</td>
        <td>${(sum.open_incidents || []).length}</td>
        <td>${lockdown}</td>
        <td>${Number(sum.active_alerts) || 0}</td>
        <td>${s.outbox == null ? "?" : Number(s.outbox)}</td></tr>`;
    })
    .join("");
}

/**
 * Send ``name`` (with the arguments in ``body``) to a station's drone; the station's
 * answer goes in ``answer``, and an accepted reply to ``onAccepted``.
 */
async function send(v, name, answer, body = {}, onAccepted = null) {
  const info = command(name);
  const label = (info && info.label) || name;
  if (info && info.question && !window.confirm(`${info.question}: ${v.vehicle} of station ${v.station}?`)) return;
  // the card tells the newest command: an older one's outcome arriving later says nothing
  const ticket = (answer.dataset.ticket = String(Number(answer.dataset.ticket || 0) + 1));
  answer.className = "answer";
  answer.textContent = `${label}: sent to station ${v.station}…`;
  try {
    const reply = await api(
      "POST",
      `/api/city/stations/${encodeURIComponent(v.station)}/vehicles/${encodeURIComponent(v.vehicle)}/commands`,
      { command: name, ...body },
    );
    if (onAccepted) onAccepted(reply);
    if (answer.dataset.ticket !== ticket) return;
    const watching = reply.watch && reply.watch.from_outside ? ` (${reply.watch.message})` : "";
    answer.className = "answer ok";
    answer.textContent = `${label}: accepted by station ${reply.station}${watching}, waiting for the drone…`;
    await followOutcome(v, reply.command_id, label, answer, watching, ticket);
  } catch (e) {
    if (answer.dataset.ticket !== ticket) return;
    answer.className = "answer error";
    answer.textContent = `${label}: ${e.message}`;
  }
}

/**
 * Poll how an accepted command ended (the station's record at the centre) into
 * ``answer``, ``note`` (where a goto watches from) kept after it.
 */
async function followOutcome(v, commandId, label, answer, note = "", ticket = answer.dataset.ticket) {
  const path = `/api/city/stations/${encodeURIComponent(v.station)}/vehicles/${encodeURIComponent(v.vehicle)}/commands/${encodeURIComponent(commandId)}`;
  const until = Date.now() + OUTCOME_WAIT_MS;
  while (Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    const outcome = await api("GET", path);
    if (answer.dataset.ticket !== ticket) return; // a newer command has the card
    if (outcome.status === "pending") continue;
    const why = outcome.reason ? `: ${outcome.reason}` : "";
    answer.className = outcome.status === "completed" ? "answer ok" : "answer error";
    answer.textContent = `${label}: ${outcome.status} (${outcome.result || "no answer"})${why}${note}`;
    return;
  }
  if (answer.dataset.ticket !== ticket) return;
  answer.className = "answer error";
  answer.textContent = `${label}: accepted by station ${v.station}, but no result arrived within ${OUTCOME_WAIT_MS / 1000} s`;
}

function droneCard(v) {
  const card = document.createElement("div");
  card.className = "card";
  card.dataset.station = v.station;
  card.dataset.vehicle = v.vehicle;
  card.innerHTML = `<h3><span>${escape(v.vehicle)}</span><span class="pill where"></span></h3>
    <div class="figures"></div>
    ${canCommand ? '<div class="controls"></div>' : ""}
    <p class="answer" role="status" aria-live="polite"></p>`;
  const answer = card.querySelector(".answer");
  const controls = card.querySelector(".controls");
  if (controls) {
    COMMANDS.forEach((name) => {
      const info = command(name);
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.command = name;
      button.textContent = (info && info.label) || name;
      if (info && info.risky) button.className = "danger";
      button.addEventListener("click", () => send(drones.get(`${v.station}/${v.vehicle}`).last, name, answer));
      controls.appendChild(button);
    });
    if (orders) orders.addButtons(controls, () => drones.get(`${v.station}/${v.vehicle}`).last, answer);
  }
  return card;
}

function renderDrone(v) {
  const key = `${v.station}/${v.vehicle}`;
  let d = drones.get(key);
  if (!d) {
    d = { card: droneCard(v), marker: null, look: "" };
    drones.set(key, d);
  }
  d.last = v;
  const t = v.telemetry;
  d.card.classList.toggle("stale", v.stale);
  d.card.querySelector(".where").textContent = v.stale ? `${v.station} · stale` : v.station;
  d.card.querySelector(".figures").innerHTML = `
    <div><span>Mode</span>${escape(t.mode || "—")}</div>
    <div><span>Armed</span>${t.armed ? "yes" : "no"}</div>
    <div><span>Altitude</span>${escape(quantity(t.alt_rel_m, 1, " m"))}</div>
    <div><span>Battery</span>${escape(quantity(t.battery_pct, 0, " %"))}</div>`;
  d.card.querySelectorAll(".controls button").forEach((b) => (b.disabled = v.stale));
  if (t.lat_deg == null || t.lon_deg == null) return d.card;
  const ll = L.latLng(t.lat_deg, t.lon_deg);
  const look = `${v.stale}|${Boolean(t.armed)}|${Math.round(Number(t.heading_deg) || 0)}`;
  if (!d.marker) {
    d.marker = L.marker(ll, { icon: droneIcon(v), title: `${v.vehicle} (${v.station})`, keyboard: true }).addTo(map);
  } else {
    d.marker.setLatLng(ll);
    if (look !== d.look) d.marker.setIcon(droneIcon(v));
  }
  if (look !== d.look) {
    kit.labels.set(`d:${key}`, { text: v.stale ? `${v.vehicle} (stale)` : v.vehicle, level: "drone", gap: 14, latlng: ll, owner: d.marker });
    kit.legend.show(v.stale ? "drone-stale" : t.armed ? "drone-armed" : "drone-disarmed");
  } else kit.labels.move(`d:${key}`, ll);
  d.look = look;
  return d.card;
}

function renderDrones(vehicles) {
  if (!vehicles.length) {
    droneList.innerHTML = '<p class="empty">No drone heard yet.</p>';
    return;
  }
  const cards = vehicles.map(renderDrone);
  if (droneList.querySelector(".empty")) droneList.textContent = "";
  cards.forEach((card, i) => {
    if (droneList.children[i] !== card) droneList.insertBefore(card, droneList.children[i] || null);
  });
}

async function poll() {
  try {
    const city = await api("GET", "/api/city");
    status.className = "answer";
    status.textContent = "";
    renderStations(city.stations);
    renderDrones(city.vehicles);
    video.update(city.vehicles);
    city.stations.forEach((s) => {
      if (s.has_network && !asked.has(s.station)) loadNetwork(s.station);
      markNetwork(s.station, s.stale);
    });
  } catch (e) {
    status.className = "answer error";
    status.textContent = `The centre did not answer: ${e.message}`;
  }
  setTimeout(poll, POLL_MS);
}

poll();
