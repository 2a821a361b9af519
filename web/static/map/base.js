// The map every page starts from: base tiles in their datum, the first view on
// the network (from the page, before the network's GeoJSON arrives), a scale bar,
// the layers control, the legend and the labels.

import { datumCrs, datumOf } from "./datum.js";
import { labelLayer } from "./labels.js";
import { PAGE_LAYERS, layerSwitch } from "./layers.js";
import { legendControl } from "./legend.js";

const kits = new WeakMap();

/** The {map, labels, legend, layers} that baseMap made for `map` (undefined for another map). */
export function kitOf(map) {
  return kits.get(map);
}

/** Where no network gives a first view: the whole world. */
const WORLD_VIEW = { center: [20, 0], zoom: 2 };

/** [[south, west], [north, east]] [deg] from a page's "south,west,north,east"; null if unusable. */
export function parseBounds(text) {
  const parts = String(text || "").split(",").map(Number);
  if (parts.length !== 4 || parts.some((v) => !Number.isFinite(v))) return null;
  const [south, west, north, east] = parts;
  if (south > north || west > east || Math.abs(south) > 90 || Math.abs(north) > 90) return null;
  return [[south, west], [north, east]];
}

/** Fit `map` to the page's start bounds (or the world); a lone point opens at zoom 16. */
export function startView(map, boundsText) {
  const bounds = parseBounds(boundsText);
  if (bounds) map.fitBounds(bounds, { padding: [20, 20], maxZoom: 16, animate: false });
  else map.setView(WORLD_VIEW.center, WORLD_VIEW.zoom, { animate: false });
  return bounds;
}

/**
 * A Leaflet map in `element` (its data-tile-url, data-map-datum, data-start-bounds
 * as the server set them). Returns {map, labels, legend, layers}.
 */
export function baseMap(L, element) {
  const map = L.map(element, { preferCanvas: true, crs: datumCrs(L, datumOf(element.dataset.mapDatum)) });
  // stations stand above drones parked on them; labels above both, below tooltips
  map.createPane("stationsPane").style.zIndex = 620;
  map.createPane("labelsPane").style.zIndex = 640;
  startView(map, element.dataset.startBounds);
  const tileUrl = element.dataset.tileUrl;
  if (tileUrl) L.tileLayer(tileUrl, { maxZoom: 20, attribution: "map tiles" }).addTo(map);
  L.control.scale({ metric: true, imperial: false, position: "bottomleft", maxWidth: 150 }).addTo(map);
  const layers = layerSwitch(L, map);
  const legend = legendControl(L).addTo(map);
  const labels = labelLayer(L).addTo(map);
  legend.getContainer().addEventListener("toggle", () => labels.controlsMoved()); // labels clear of it
  const kit = { map, labels, legend, layers };
  kits.set(map, kit);
  map.whenReady(() => layers.add(PAGE_LAYERS.labels, labels));
  return kit;
}
