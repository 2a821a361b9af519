// The network map every map page starts from: a dark Leaflet map with the patrol
// network (grids, lines, points, stations, no-fly zones), and live drones on it.
// Leaflet is the vendored UMD build: its global ``L`` is the one global we use.
// The map's furniture (datum, first view, labels, legend, layer switch, scale bar)
// lives in ./map/.

import { api } from "./api.js";
import { on } from "./events.js";
import { escape } from "./format.js";
import { baseMap, kitOf } from "./map/base.js";
import { PAGE_LAYERS } from "./map/layers.js";
import { COLOURS, DRONE_COLOURS, TRAIL_COLOUR } from "./map/legend.js";
import { drawNetwork, pointFor as networkPoint, styleFor } from "./map/network.js";

export { COLOURS, kitOf, styleFor };

/** The Leaflet layer of a point feature: a station flag, an overwatch mark, a target dot. */
export function pointFor(feature, latlng) {
  return networkPoint(L, feature, latlng);
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

/** A feature's hover text: kind, id, name, priority, and an overwatch point's plans. */
function tooltipText(f) {
  const p = f.properties || {};
  const plans = p.kind === "overwatch" ? ` · lockdown ${[].concat(p.lockdown || []).join(", ")}` : "";
  return `${p.kind} ${p.id}${p.name ? " · " + p.name : ""}${p.priority ? " · " + p.priority : ""}${plans}`;
}

/**
 * The base map in ``element`` without this app's network (a command centre draws its
 * stations' networks instead); returns its kit, and mapOf(element) finds its map.
 */
export function plainMap(element) {
  const kit = baseMap(L, element);
  maps.set(element, kit.map);
  return kit;
}

/**
 * A dark map with the patrol network in ``element``; resolves to {map, network, layer,
 * kit} (kit: the map's labels, legend and layers control, see ./map/base.js).
 * The map opens on the network's bounds as the page gives them (data-start-bounds)
 * and draws in the base map's datum (data-map-datum). onFeatureClick(feature, layer)
 * hears clicks on features; options.filter(feature) keeps only the features it
 * returns true for.
 */
export async function networkMap(element, onFeatureClick, options) {
  const kit = plainMap(element);
  const { map } = kit;
  let network = null;
  let layer = null;
  try {
    network = await api("GET", "/api/network");
  } catch (e) {
    network = null;
  }
  if (network && network.features.length) {
    layer = drawNetwork(L, kit, network, {
      filter: options && options.filter,
      tooltip: tooltipText,
      onFeatureClick,
    });
    if (!element.dataset.startBounds) map.fitBounds(layer.getBounds(), { padding: [20, 20] });
  }
  return { map, network, layer, kit };
}

function droneState(v) {
  return v.link === "up" ? (v.armed ? "armed" : "disarmed") : "lost";
}

function droneIcon(v) {
  return L.divIcon({
    className: "drone-icon",
    html: `<svg width="28" height="28" viewBox="-14 -14 28 28" style="transform: rotate(${Number(v.heading_deg) || 0}deg)" aria-label="${escape(v.name)}">
             <path d="M0,-12 L8,10 L0,5 L-8,10 Z" fill="${DRONE_COLOURS[droneState(v)]}" stroke="#0f141a" stroke-width="1.5"/></svg>`,
    iconSize: [28, 28],
    iconAnchor: [14, 14],
  });
}

/**
 * Live drones on ``map``: markers with heading, name labels and a trail; calls
 * onUpdate(vehicle, clicked). Telemetry of a city's fleet arrives in bursts (every
 * drone a few times a second): only each drone's newest snapshot is drawn, once per
 * animation frame, and a marker's icon is made again only when its name or colour
 * changes (a turn rotates it). Returns the drones by id ({marker, trail, last}).
 */
export function liveDrones(map, onUpdate) {
  const kit = kitOf(map);
  const tracks = L.layerGroup().addTo(map);
  if (kit) kit.layers.add(PAGE_LAYERS.tracks, tracks);
  const drones = new Map();
  const newest = new Map();
  let frame = 0;
  function update(v) {
    let d = drones.get(v.id);
    if (!d) {
      d = { trail: L.polyline([], { color: TRAIL_COLOUR, weight: 2, opacity: 0.6, interactive: false }).addTo(tracks), marker: null, look: "" };
      drones.set(v.id, d);
    }
    d.last = v;
    if (v.position) {
      const ll = L.latLng(v.position.lat, v.position.lon);
      const look = `${droneState(v)}|${v.name}`;
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
      if (kit) {
        if (look !== d.look) {
          kit.labels.set(`d:${v.id}`, { text: v.name || v.id, level: "drone", gap: 14, latlng: ll, owner: d.marker });
          kit.legend.show(`drone-${droneState(v)}`);
        } else kit.labels.move(`d:${v.id}`, ll);
      }
      d.look = look;
      const pts = d.trail.getLatLngs();
      const tail = pts[pts.length - 1];
      if (!tail || !tail.equals(ll)) {  // a drone at rest: no new point
        pts.push(ll);
        if (pts.length > 300) pts.shift();
        d.trail.setLatLngs(pts);
        if (kit && pts.length > 1) kit.legend.show("trail");
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
