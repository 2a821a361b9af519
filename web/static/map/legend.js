// The map's legend: one entry for every kind of symbol the map draws, drawn with
// the same colours and shapes as the map itself. Entries appear as their symbols
// are first drawn (show(key)), always in the order of SYMBOLS; a page adds its own
// symbols with show(key, {label, svg}).

export const COLOURS = { key: "#ff5d5d", attention: "#f2b63c", general: "#3fa7ff", nofly: "#b03a5b" };
export const DRONE_COLOURS = { armed: "#3ccf7a", disarmed: "#e6edf3", lost: "#ff5d5d" };
export const PROPOSAL_COLOUR = "#9ad0ff";
export const TRAIL_COLOUR = "#3ccf7a";

const svg = (body, w = 22, h = 14) =>
  `<svg width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" aria-hidden="true">${body}</svg>`;
const arrow = (fill) =>
  svg(`<path transform="translate(11 7) scale(.55)" d="M0,-12 L8,10 L0,5 L-8,10 Z" fill="${fill}" stroke="#0f141a" stroke-width="2"/>`);

/** Every symbol a DronePatrol map can draw, in legend order: key -> {label, svg}. */
export const SYMBOLS = {
  "priority-key": { label: "key priority", svg: svg(`<rect x="4" y="2" width="14" height="10" rx="2" fill="${COLOURS.key}"/>`) },
  "priority-attention": { label: "attention priority", svg: svg(`<rect x="4" y="2" width="14" height="10" rx="2" fill="${COLOURS.attention}"/>`) },
  "priority-general": { label: "general priority", svg: svg(`<rect x="4" y="2" width="14" height="10" rx="2" fill="${COLOURS.general}"/>`) },
  grid: { label: "grid (area patrol)", svg: svg(`<rect x="2" y="2" width="18" height="10" fill="#c9d4df" fill-opacity=".15" stroke="#c9d4df" stroke-width="1.5"/>`) },
  line: { label: "line (route patrol)", svg: svg(`<path d="M1 10 L8 4 L14 9 L21 3" fill="none" stroke="#c9d4df" stroke-width="3"/>`) },
  point: { label: "point", svg: svg(`<circle cx="11" cy="7" r="4.5" fill="#c9d4df" fill-opacity=".7" stroke="#c9d4df" stroke-width="2"/>`) },
  nofly: { label: "no-fly zone", svg: svg(`<rect x="2" y="2" width="18" height="10" fill="${COLOURS.nofly}" fill-opacity=".25" stroke="${COLOURS.nofly}" stroke-dasharray="3 3"/>`) },
  station: { label: "station", svg: `<span class="station-icon legend-glyph" aria-hidden="true">&#9873;</span>` },
  overwatch: { label: "overwatch point (lockdown)", svg: svg(`<rect x="7" y="3" width="8" height="8" transform="rotate(45 11 7)" fill="rgba(230,237,243,.15)" stroke="#e6edf3" stroke-width="2"/>`) },
  zone: { label: "large-event zone", svg: svg(`<rect x="2" y="2" width="18" height="10" fill="#c18cff" fill-opacity=".06" stroke="#c18cff" stroke-width="2" stroke-dasharray="5 3"/>`) },
  proposal: { label: "proposed sortie", svg: svg(`<path d="M1 7 H21" stroke="${PROPOSAL_COLOUR}" stroke-width="2" stroke-dasharray="4 3"/>`) },
  "drone-armed": { label: "drone, armed", svg: arrow(DRONE_COLOURS.armed) },
  "drone-disarmed": { label: "drone, disarmed", svg: arrow(DRONE_COLOURS.disarmed) },
  "drone-lost": { label: "drone, link lost", svg: arrow(DRONE_COLOURS.lost) },
  trail: { label: "drone track", svg: svg(`<path d="M1 11 C7 2, 14 12, 21 3" fill="none" stroke="${TRAIL_COLOUR}" stroke-opacity=".6" stroke-width="2"/>`) },
};

/** A page's own symbol: a dot of `colour` (as circle markers draw it), its ring dashed or not. */
export function dotSymbol(label, colour, fillOpacity = 0.55, dash = null) {
  const ring = dash ? ` stroke-dasharray="${dash}"` : "";
  return { label, svg: svg(`<circle cx="11" cy="7" r="5" fill="${colour}" fill-opacity="${fillOpacity}" stroke="${colour}" stroke-width="2"${ring}/>`) };
}

/** A page's own symbol: a line of `colour`, dashed or solid. */
export function lineSymbol(label, colour, dashed = false) {
  const dash = dashed ? ` stroke-dasharray="4 3"` : "";
  return { label, svg: svg(`<path d="M1 7 H21" stroke="${colour}" stroke-width="2.5"${dash}/>`) };
}

/** Legend keys for one network feature: its shape and, for a target, its priority colour. */
export function featureSymbols(feature) {
  const p = (feature && feature.properties) || {};
  if (["grid", "line", "point"].includes(p.kind)) return [p.kind, `priority-${SYMBOLS[`priority-${p.priority}`] ? p.priority : "general"}`];
  return SYMBOLS[p.kind] ? [p.kind] : [];
}

/** A Leaflet control listing the symbols shown so far; collapses to a button. */
export function legendControl(L, options = {}) {
  const Legend = L.Control.extend({
    options: { position: "bottomright" },

    initialize(opts) {
      L.setOptions(this, opts);
      this._shown = new Map();
    },

    onAdd(map) {
      const box = L.DomUtil.create("details", "leaflet-control map-legend");
      box.open = map.getSize().x >= 600; // a small map (phone, video wall) starts with it folded
      const summary = L.DomUtil.create("summary", "", box);
      summary.textContent = "Legend";
      this._list = L.DomUtil.create("ul", "", box);
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      this._render();
      return box;
    },

    /** Show `key`'s entry (a SYMBOLS key, or a page's own with its {label, svg}). */
    show(key, symbol) {
      const entry = symbol || SYMBOLS[key];
      if (!entry || this._shown.has(key)) return this;
      this._shown.set(key, entry);
      this._render();
      return this;
    },

    /** The keys listed, in order. */
    keys() {
      return [...this._shown.keys()];
    },

    _render() {
      if (!this._list) return;
      const order = Object.keys(SYMBOLS);
      const rank = (k) => (order.includes(k) ? order.indexOf(k) : order.length);
      const keys = [...this._shown.keys()].sort((a, b) => rank(a) - rank(b));
      this._list.replaceChildren(
        ...keys.map((key) => {
          const item = document.createElement("li");
          item.dataset.symbol = key;
          const mark = document.createElement("span");
          mark.className = "legend-mark";
          mark.innerHTML = this._shown.get(key).svg; // our own markup, never data
          const text = document.createElement("span");
          text.textContent = this._shown.get(key).label;
          item.append(mark, text);
          return item;
        }),
      );
    },
  });
  return new Legend(options);
}
