// The patrol network drawn on a map: each kind in its own switchable layer, every
// feature labelled (shown by zoom) and listed in the legend.

import { featureAnchor, featureLabel } from "./labels.js";
import { splitByKind } from "./layers.js";
import { COLOURS, SYMBOLS, featureSymbols } from "./legend.js";

const FLAG_SVG = `<svg width="16" height="20" viewBox="0 0 16 20" aria-hidden="true">
  <path d="M2.5 19.5 V1" stroke="#0f141a" stroke-width="3.5"/><path d="M2.5 19.5 V1" stroke="#e6edf3" stroke-width="1.8"/>
  <path d="M3.5 1.5 H14.5 L11.5 5.5 L14.5 9.5 H3.5 Z" fill="#e6edf3" stroke="#0f141a" stroke-width="1"/></svg>`;
SYMBOLS.station.svg = FLAG_SVG;

/** Path style of a network feature (grids, lines, no-fly zones). */
export function styleFor(feature) {
  const p = feature.properties || {};
  if (p.kind === "nofly") return { color: COLOURS.nofly, weight: 1, fillColor: COLOURS.nofly, fillOpacity: 0.25, dashArray: "4 4" };
  const colour = COLOURS[p.priority || "general"] || COLOURS.general;
  if (p.kind === "line") return { color: colour, weight: 4, opacity: 0.9 };
  return { color: colour, weight: 1.5, fillColor: colour, fillOpacity: 0.08 };
}

/** The marker of a point feature: a flag for a station, a diamond for an overwatch point. */
export function pointFor(L, feature, latlng) {
  const p = feature.properties || {};
  if (p.kind === "station") {
    // the flag's pole stands on the station, in a pane above parked drones
    return L.marker(latlng, {
      pane: "stationsPane",
      icon: L.divIcon({ className: "station-icon", html: FLAG_SVG, iconSize: [16, 20], iconAnchor: [2, 19] }),
      title: `station ${p.id}`, // Leaflet sets the title as text
    });
  }
  if (p.kind === "overwatch") {
    return L.marker(latlng, { icon: L.divIcon({ className: "overwatch-icon", html: "<i></i>", iconSize: [10, 10] }), title: `overwatch ${p.id}` });
  }
  const colour = COLOURS[p.priority || "general"] || COLOURS.general;
  return L.circleMarker(latlng, { radius: 5, color: colour, weight: 2, fillOpacity: 0.7 });
}

/**
 * Draw `geojson` on a base map `kit` ({map, labels, legend, layers}). options:
 * filter(feature) keeps a feature; tooltip(feature) gives its hover text (plain
 * text); onFeatureClick(feature, layer). Returns the GeoJSON layer holding every
 * feature (off the map itself: the per-kind groups show them).
 */
export function drawNetwork(L, kit, geojson, options = {}) {
  const layer = L.geoJSON(geojson, {
    filter: options.filter || (() => true),
    style: styleFor,
    pointToLayer: (f, ll) => pointFor(L, f, ll),
    onEachFeature: (f, l) => {
      if (options.tooltip) {
        const tip = document.createElement("span");
        tip.textContent = options.tooltip(f);
        // above the symbol, never on it
        l.bindTooltip(tip, { direction: "top", offset: [0, f.properties.kind === "station" ? -18 : -8] });
      }
      if (options.onFeatureClick) l.on("click", () => options.onFeatureClick(f, l));
      const label = featureLabel(f);
      const anchor = featureAnchor(f);
      const path = f.geometry.type === "LineString" ? f.geometry.coordinates.map(([lon, lat]) => L.latLng(lat, lon)) : undefined;
      if (label && anchor) kit.labels.set(`f:${f.properties.id}`, { ...label, latlng: L.latLng(anchor), owner: l, path });
      featureSymbols(f).forEach((key) => kit.legend.show(key));
    },
  });
  splitByKind(L, kit.map, kit.layers, layer);
  return layer;
}
