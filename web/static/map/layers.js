// Layers a user switches on and off: the network by kind (grids, lines, points,
// no-fly zones, stations, overwatch points) and what pages add (drone tracks,
// proposed sorties, labels), in one Leaflet layers control.

/** Network kinds that get a layer of their own, in the order the control lists them. */
export const NETWORK_LAYERS = [
  ["grid", "Grids"],
  ["line", "Lines"],
  ["point", "Points"],
  ["nofly", "No-fly zones"],
  ["station", "Stations"],
  ["overwatch", "Overwatch points"],
];

/** Names of the layers pages add, by role. */
export const PAGE_LAYERS = { tracks: "Drone tracks", proposals: "Proposed sorties", labels: "Labels" };

/** A layers control on `map`; add(name, layer) lists a layer under a fixed name. */
export function layerSwitch(L, map) {
  const order = [...NETWORK_LAYERS.map(([, name]) => name), PAGE_LAYERS.tracks, PAGE_LAYERS.proposals, PAGE_LAYERS.labels];
  const rank = (name) => (order.includes(name) ? order.indexOf(name) : order.length - 1);
  const control = L.control.layers(null, null, {
    collapsed: true,
    position: "topright",
    sortLayers: true, // in a fixed order, whenever each was added
    autoZIndex: false,
    sortFunction: (a, b, nameA, nameB) => rank(nameA) - rank(nameB),
  });
  control.addTo(map);
  const listed = new Map();
  return {
    control,
    add(name, layer) {
      if (listed.has(name)) return listed.get(name);
      listed.set(name, layer);
      control.addOverlay(layer, name); // names are ours, never data (Leaflet sets them as HTML)
      return layer;
    },
    get(name) {
      return listed.get(name);
    },
  };
}

/**
 * Spread the features of a drawn GeoJSON layer into one layer group per kind, each
 * on the map and in the control. The GeoJSON layer itself stays off the map: it
 * keeps every feature (for getBounds, eachLayer and resetStyle) while the groups
 * decide what is shown. Returns {kind: group} for the kinds present.
 */
export function splitByKind(L, map, switcher, geojsonLayer) {
  const groups = {};
  geojsonLayer.eachLayer((layer) => {
    const kind = (layer.feature && layer.feature.properties && layer.feature.properties.kind) || "other";
    if (!groups[kind]) groups[kind] = L.layerGroup();
    groups[kind].addLayer(layer);
  });
  for (const [kind, name] of NETWORK_LAYERS) {
    if (!groups[kind]) continue;
    groups[kind].addTo(map);
    switcher.add(name, groups[kind]);
  }
  for (const [kind, group] of Object.entries(groups)) {
    if (!NETWORK_LAYERS.some(([k]) => k === kind)) group.addTo(map);
  }
  return groups;
}
