// The command centre's map of what every station is dealing with: each station's open
// incidents (dots) and the overwatch points of its lockdown in force (diamonds), with
// tooltips, legend entries and a list beside the map, all from GET /api/city/situation.
// A stale station's are greyed and dashed and say "stale": they may be old. Every text
// comes from a station and is escaped before it is drawn (tooltips are HTML).

import { api } from "../api.js";
import { clock, escape } from "../format.js";
import { dotSymbol } from "./legend.js";

const POLL_MS = 1500;
const STALE_COLOUR = "#6b7785";
const CITY_ZOOM = 10; // below it the map shows no city yet (the world, a country)

// As the incident and lockdown pages draw them: a colour per state, dashed while no drone is there.
export const INCIDENT_STATES = {
  open: { words: "waiting for a drone", colour: "#c9d4df", dash: "4 4", fill: 0.15 },
  dispatched: { words: "drone on its way", colour: "#f2b63c", dash: null, fill: 0.5 },
  on_scene: { words: "drone on scene", colour: "#3ccf7a", dash: null, fill: 0.7 },
};
export const HOLD_STATES = {
  open: { words: "waiting", colour: "#c9d4df" },
  dispatched: { words: "drone on its way", colour: "#f2b63c" },
  on_scene: { words: "held", colour: "#3ccf7a" },
  released: { words: "released", colour: "#6b7785" },
  failed: { words: "failed", colour: "#ff5d5d" },
  uncovered: { words: "uncovered", colour: "#ff5d5d" },
};
const incidentState = (i) => INCIDENT_STATES[i.status] || { words: i.status, colour: "#c9d4df", dash: null, fill: 0.3 };
const holdState = (p) => HOLD_STATES[p.status] || { words: p.status, colour: "#c9d4df" };

function diamond(colour, stale) {
  const dash = stale ? ' stroke-dasharray="3 2"' : "";
  return `<svg width="20" height="20" viewBox="0 0 20 20" aria-hidden="true"><rect x="5" y="5" width="10" height="10" transform="rotate(45 10 10)" fill="${colour}" fill-opacity="${stale ? 0.25 : 0.55}" stroke="${colour}" stroke-width="2.5"${dash}/></svg>`;
}

/** The tooltip of one incident: which station, its number, priority, state and note. */
export function incidentTip(station, i, stale) {
  const drone = i.vehicle ? ` · ${i.vehicle}` : "";
  const note = i.note ? ` · ${i.note}` : "";
  return escape(`${station} · incident #${i.id} · ${i.priority} · ${incidentState(i).words}${drone}${note}${stale ? " (stale)" : ""}`);
}

/** The tooltip of one overwatch point: station, lockdown, point, who holds it and how. */
export function holdTip(station, lockdown, p, stale) {
  const who = p.vehicle ? ` · ${p.vehicle}` : "";
  return escape(`${station} · lockdown ${lockdown.name} · point ${p.name || p.id}${who} · ${holdState(p).words}${stale ? " (stale)" : ""}`);
}

function drawStation(L, kit, layer, s) {
  layer.clearLayers();
  for (const i of s.incidents) {
    const state = incidentState(i);
    const colour = s.stale ? STALE_COLOUR : state.colour;
    L.circleMarker([i.lat_deg, i.lon_deg], {
      className: `city-incident${s.stale ? " stale" : ""}`,
      radius: 8, color: colour, weight: 3, dashArray: s.stale ? "4 6" : state.dash,
      fillColor: colour, fillOpacity: s.stale ? 0.1 : state.fill,
    })
      .bindTooltip(incidentTip(s.station, i, s.stale))
      .addTo(layer);
    if (s.stale) kit.legend.show("city-incident-stale", dotSymbol("incident, stale (its station is unheard)", STALE_COLOUR, 0.1, "4 6"));
    else kit.legend.show(`city-incident-${i.status}`, dotSymbol(`incident: ${state.words}`, state.colour, state.fill, state.dash));
  }
  const lockdown = s.lockdown;
  if (!lockdown) return;
  for (const p of lockdown.points) {
    const state = holdState(p);
    const colour = s.stale ? STALE_COLOUR : state.colour;
    L.marker([p.lat_deg, p.lon_deg], {
      icon: L.divIcon({ className: `city-hold${s.stale ? " stale" : ""}`, html: diamond(colour, s.stale), iconSize: [20, 20], iconAnchor: [10, 10] }),
      keyboard: false,
      zIndexOffset: 500, // above the station network's own overwatch symbol at the same place
    })
      .bindTooltip(holdTip(s.station, lockdown, p, s.stale))
      .addTo(layer);
    const key = s.stale ? "city-hold-stale" : `city-hold-${p.status}`;
    const words = s.stale ? "stale (its station is unheard)" : state.words;
    kit.legend.show(key, { label: `overwatch point: ${words}`, svg: diamond(colour, s.stale) });
  }
}

/** Show ``bounds`` (a station's first situation): zoom to it from a world view, else
 * widen the view just enough; later updates leave the commander's view alone. */
function bringIntoView(map, bounds) {
  if (!bounds.isValid()) return;
  if (map.getZoom() < CITY_ZOOM) map.fitBounds(bounds, { padding: [40, 40], maxZoom: 15, animate: false });
  else if (!map.getBounds().contains(bounds)) map.fitBounds(map.getBounds().extend(bounds), { padding: [20, 20], maxZoom: 16, animate: false });
}

function listStation(s) {
  const stale = s.stale ? ' <strong class="stale">stale</strong>' : "";
  const more = s.open_incidents > s.incidents.length ? ` (the ${s.incidents.length} most recent of ${s.open_incidents} shown)` : "";
  const incidents = s.incidents.map((i) => `<li data-incident="${escape(i.id)}" data-status="${escape(i.status)}">
      #${escape(i.id)} · ${escape(i.priority)} · ${escape(incidentState(i).words)}${i.vehicle ? ` · ${escape(i.vehicle)}` : ""}
      ${i.note ? `<br><span class="muted">${escape(i.note)}</span>` : ""}</li>`).join("");
  const l = s.lockdown;
  const lockdown = l ? `<p class="lockdown" data-lockdown="${escape(l.name)}">Lockdown <strong>${escape(l.name)}</strong>, started by ${escape(l.started_by)} at ${escape(clock(l.started_s))}</p>
      <ul class="events">${l.points.map((p) => `<li data-point="${escape(p.id)}" data-status="${escape(p.status)}">point ${escape(p.name || p.id)}: ${escape(p.vehicle || "no drone")} · ${escape(holdState(p).words)}</li>`).join("")}</ul>` : "";
  return `<section class="city-situation${s.stale ? " stale" : ""}" data-station="${escape(s.station)}">
    <h3>${escape(s.station)}${stale}: ${s.open_incidents} open incident${s.open_incidents === 1 ? "" : "s"}${more}</h3>
    ${incidents ? `<ul class="events">${incidents}</ul>` : ""}${lockdown}</section>`;
}

/**
 * Draw every station's incidents and lockdown on ``kit``'s map and list them in
 * ``listElement``, refreshed every POLL_MS. Returns ``{ stop }``.
 */
export function startCitySituation(L, kit, listElement) {
  const layers = new Map(); // station -> {layer, drawn: the JSON last drawn}
  let timer = null;

  function render(stations) {
    const seen = new Set();
    for (const s of stations) {
      seen.add(s.station);
      let entry = layers.get(s.station);
      if (!entry) {
        entry = { layer: L.featureGroup().addTo(kit.map), drawn: "", seen: false };
        layers.set(s.station, entry);
      }
      const look = JSON.stringify([s.stale, s.incidents, s.lockdown]);
      if (look !== entry.drawn) {
        drawStation(L, kit, entry.layer, s);
        entry.drawn = look;
        if (!entry.seen && entry.layer.getLayers().length) {
          entry.seen = true;
          bringIntoView(kit.map, entry.layer.getBounds());
        }
      }
    }
    for (const [station, entry] of layers) {
      if (!seen.has(station)) {
        entry.layer.remove();
        layers.delete(station);
      }
    }
    const shown = stations.filter((s) => s.incidents.length || s.lockdown);
    listElement.innerHTML = shown.length ? shown.map(listStation).join("")
      : '<p class="empty">No station has an open incident or a lockdown.</p>';
  }

  async function poll() {
    try {
      render((await api("GET", "/api/city/situation")).stations);
    } catch (e) {
      listElement.innerHTML = `<p class="answer error">The centre did not answer: ${escape(e.message)}</p>`;
    }
    timer = setTimeout(poll, POLL_MS);
  }

  poll();
  return { stop: () => clearTimeout(timer) };
}
