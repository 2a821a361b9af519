// The network map every map page starts from: a dark Leaflet map with the patrol
// network (grids, lines, points, stations, no-fly zones), and live drones on it.
// Leaflet is the vendored UMD build: its global ``L`` is the one global we use.

import { api } from "./api.js";
import { on } from "./events.js";
import { escape } from "./format.js";

/** Colours of the priority levels and no-fly zones (the legend's swatches match). */
export const COLOURS = { key: "#ff5d5d", attention: "#f2b63c", general: "#3fa7ff", nofly: "#b03a5b" };

/** The Leaflet style of a network feature (grid, line, no-fly zone) by kind and priority. */
export function styleFor(feature) {
  const p = feature.properties || {};
  if (p.kind === "nofly") return { color: COLOURS.nofly, weight: 1, fillColor: COLOURS.nofly, fillOpacity: 0.25, dashArray: "4 4" };
  const colour = COLOURS[p.priority || "general"] || COLOURS.general;
  if (p.kind === "line") return { color: colour, weight: 4, opacity: 0.9 };
  return { color: colour, weight: 1.5, fillColor: colour, fillOpacity: 0.08 };
}

/** The Leaflet layer of a point feature: a station flag, an overwatch mark, a target dot. */
export function pointFor(feature, latlng) {
  const p = feature.properties || {};
  if (p.kind === "station") {
    return L.marker(latlng, { icon: L.divIcon({ className: "station-icon", html: "&#9873;", iconSize: [18, 18] }), title: "station " + p.id });  // title is set as text by Leaflet
  }
  if (p.kind === "overwatch") {  // a lockdown plan's checkpoint, not a patrol target
    return L.marker(latlng, { icon: L.divIcon({ className: "overwatch-icon", html: "<i></i>", iconSize: [10, 10] }), title: "overwatch " + p.id });
  }
  const colour = COLOURS[p.priority || "general"] || COLOURS.general;
  return L.circleMarker(latlng, { radius: 5, color: colour, weight: 2, fillOpacity: 0.7 });
}

const EARTH_RADIUS_M = 6378137.0; // as the server's dronepatrol.geo and ArduPilot's RADIUS_OF_EARTH

/** Great-circle distance [m] between two positions [deg]: haversine, as the server measures. */
export function metresBetween(lat1, lon1, lat2, lon2) {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(a)));
}

const maps = new WeakMap();

/** The Leaflet map drawn in ``element`` by networkMap, or undefined. */
export function mapOf(element) {
  return maps.get(element);
}

/**
 * A dark map with the patrol network in ``element``; resolves to {map, network, layer}.
 * onFeatureClick(feature, layer) hears clicks on features; options.filter(feature)
 * keeps only the features it returns true for.
 */
export async function networkMap(element, onFeatureClick, options) {
  const map = L.map(element, { preferCanvas: true }).setView([-35.3633, 149.1652], 14);
  maps.set(element, map);
  const tileUrl = element.dataset.tileUrl;
  if (tileUrl) L.tileLayer(tileUrl, { maxZoom: 20, attribution: "map tiles" }).addTo(map);
  let network = null;
  let layer = null;
  try {
    network = await api("GET", "/api/network");
  } catch (e) {
    network = null;
  }
  if (network && network.features.length) {
    layer = L.geoJSON(network, {
      filter: (options && options.filter) || (() => true),
      style: styleFor,
      pointToLayer: pointFor,
      onEachFeature: (f, l) => {
        const p = f.properties || {};
        const plans = p.kind === "overwatch" ? ` · lockdown ${[].concat(p.lockdown || []).join(", ")}` : "";
        l.bindTooltip(escape(`${p.kind} ${p.id}${p.name ? " · " + p.name : ""}${p.priority ? " · " + p.priority : ""}${plans}`));
        if (onFeatureClick) l.on("click", () => onFeatureClick(f, l));
      },
    }).addTo(map);
    map.fitBounds(layer.getBounds(), { padding: [20, 20] });
  }
  return { map, network, layer };
}

function droneColour(v) {
  return v.link === "up" ? (v.armed ? "#3ccf7a" : "#e6edf3") : "#ff5d5d";
}

function droneIcon(v) {
  return L.divIcon({
    className: "drone-icon",
    html: `<svg width="28" height="28" viewBox="-14 -14 28 28" style="transform: rotate(${Number(v.heading_deg) || 0}deg)" aria-label="${escape(v.name)}">
             <path d="M0,-12 L8,10 L0,5 L-8,10 Z" fill="${droneColour(v)}" stroke="#0f141a" stroke-width="1.5"/></svg>`,
    iconSize: [28, 28],
    iconAnchor: [14, 14],
  });
}

/**
 * Live drones on ``map``: markers with heading and a trail; calls onUpdate(vehicle, clicked).
 * Telemetry of a city's fleet arrives in bursts (every drone a few times a second):
 * only each drone's newest snapshot is drawn, once per animation frame, and a marker's
 * icon is made again only when its name or colour changes (a turn rotates it).
 * Returns the drones by id ({marker, trail, last}).
 */
export function liveDrones(map, onUpdate) {
  const drones = new Map();
  const newest = new Map();
  let frame = 0;
  function update(v) {
    let d = drones.get(v.id);
    if (!d) {
      d = { trail: L.polyline([], { color: "#3ccf7a", weight: 2, opacity: 0.6 }).addTo(map), marker: null, look: "" };
      drones.set(v.id, d);
    }
    d.last = v;
    if (v.position) {
      const ll = [v.position.lat, v.position.lon];
      const look = `${droneColour(v)}|${v.name}`;
      if (!d.marker) {
        d.marker = L.marker(ll, { icon: droneIcon(v), title: v.name, keyboard: true }).addTo(map);
        d.marker.on("click", () => onUpdate && onUpdate(d.last, true));
      } else {
        d.marker.setLatLng(ll);
        if (look !== d.look) d.marker.setIcon(droneIcon(v));
        else {
          const svg = d.marker.getElement() && d.marker.getElement().firstElementChild;
          if (svg) svg.style.transform = `rotate(${Number(v.heading_deg) || 0}deg)`;
        }
      }
      d.look = look;
      const pts = d.trail.getLatLngs();
      const tail = pts[pts.length - 1];
      if (!tail || tail.lat !== ll[0] || tail.lng !== ll[1]) {  // a drone at rest: no new point
        pts.push(L.latLng(ll));
        if (pts.length > 300) pts.shift();
        d.trail.setLatLngs(pts);
      }
    }
    if (onUpdate) onUpdate(v, false);
  }
  function drawNewest() {
    frame = 0;
    const batch = Array.from(newest.values());
    newest.clear();
    batch.forEach(update);
  }
  function queue(v) {
    newest.set(v.id, v);
    if (!frame) frame = requestAnimationFrame(drawNewest);
  }
  api("GET", "/api/vehicles").then((body) => body.vehicles.forEach(queue));
  on("telemetry", (event) => event.data && event.data.vehicle && queue(event.data.vehicle));
  return drones;
}
