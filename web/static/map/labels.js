// Map labels: target ids and names, station names, drone names; shown as one zooms
// in, and never on top of one another.
//
// Each label has a least zoom (stations before key targets before the rest) and a
// priority. On every view change the labels in view are placed greedily, most
// important first: a label takes the first of its candidate positions (right of
// its symbol, left, above, below) whose box meets no label placed before it, no
// labelled symbol and no open tooltip; a label with no free position stays hidden.
// The placement itself (placeLabels) is a pure function of boxes in screen pixels.

/** Least zoom at which each kind of label shows (drones and stations first). */
export const MIN_ZOOM = {
  hold: 0, // a page's own subject (a lockdown's overwatch points): named at every zoom
  drone: 10,
  zone: 10,
  station: 11,
  proposal: 13,
  key: 14,
  attention: 15,
  general: 16,
  nofly: 15,
  overwatch: 15,
};

/** Placement order: lower goes first and wins a contested spot. */
export const PRIORITY = {
  drone: 0,
  zone: 1,
  hold: 1,
  station: 2,
  proposal: 3,
  key: 4,
  attention: 5,
  nofly: 6,
  overwatch: 7,
  general: 8,
};

const SIDES = ["right", "left", "above", "below"];
const SYMBOL_GAP_PX = { drone: 14, station: 16, point: 8, overwatch: 7 };
const PAD_PX = 2; // clear space kept around each label

/** The text, zoom, priority and placement of a network feature's label; null for none. */
export function featureLabel(feature) {
  const p = (feature && feature.properties) || {};
  const named = (id, name) => (name ? `${id} · ${name}` : String(id));
  if (p.kind === "station") {
    return { text: named(p.id, p.name), level: "station", gap: SYMBOL_GAP_PX.station, positions: SIDES };
  }
  if (p.kind === "overwatch") {
    return { text: String(p.id), level: "overwatch", gap: SYMBOL_GAP_PX.overwatch, positions: SIDES };
  }
  if (p.kind === "nofly") {
    return { text: p.name ? `no-fly · ${p.name}` : `no-fly ${p.id}`, level: "nofly", gap: 0, positions: ["center", "above", "below"], spread: 2 };
  }
  if (!["grid", "line", "point"].includes(p.kind)) return null;
  const level = ["key", "attention", "general"].includes(p.priority) ? p.priority : "general";
  if (p.kind === "point") return { text: named(p.id, p.name), level, gap: SYMBOL_GAP_PX.point, positions: SIDES };
  if (p.kind === "line") return { text: named(p.id, p.name), level, gap: 5, positions: ["above", "below"] };
  return { text: named(p.id, p.name), level, gap: 0, positions: ["center", "above", "below"], spread: 2 };
}

/**
 * Where a feature's label hangs, [lat, lon] [deg]: a point itself, the middle of a
 * line by length, the centroid of a polygon's outer ring (areas weighted in a local
 * flat frame; fine at city scale).
 */
export function featureAnchor(feature) {
  const g = feature && feature.geometry;
  if (!g) return null;
  if (g.type === "Point") return [g.coordinates[1], g.coordinates[0]];
  if (g.type === "LineString") return lineMiddle(g.coordinates);
  if (g.type === "MultiLineString") return lineMiddle(longest(g.coordinates));
  if (g.type === "Polygon") return ringCentroid(g.coordinates[0]);
  if (g.type === "MultiPolygon") return ringCentroid(longest(g.coordinates.map((p) => p[0])));
  return null;
}

function longest(parts) {
  return parts.reduce((a, b) => (b.length > a.length ? b : a), parts[0] || []);
}

/** The point half-way along a [lon, lat] line by length, [lat, lon]. */
export function lineMiddle(coords) {
  if (!coords.length) return null;
  const k = Math.cos((coords[0][1] * Math.PI) / 180);
  const seg = [];
  let total = 0;
  for (let i = 1; i < coords.length; i++) {
    const d = Math.hypot((coords[i][0] - coords[i - 1][0]) * k, coords[i][1] - coords[i - 1][1]);
    seg.push(d);
    total += d;
  }
  let left = total / 2;
  for (let i = 1; i < coords.length; i++) {
    if (left <= seg[i - 1] && seg[i - 1] > 0) {
      const t = left / seg[i - 1];
      const [a, b] = [coords[i - 1], coords[i]];
      return [a[1] + t * (b[1] - a[1]), a[0] + t * (b[0] - a[0])];
    }
    left -= seg[i - 1];
  }
  return [coords[0][1], coords[0][0]];
}

/** Centroid of a closed [lon, lat] ring, [lat, lon] (its vertex mean when it has no area). */
export function ringCentroid(ring) {
  if (!ring.length) return null;
  const k = Math.cos((ring[0][1] * Math.PI) / 180);
  const [lon0, lat0] = ring[0]; // sums taken about the first vertex, for precision
  let area = 0;
  let cx = 0;
  let cy = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [x0, y0] = [(ring[j][0] - lon0) * k, ring[j][1] - lat0];
    const [x1, y1] = [(ring[i][0] - lon0) * k, ring[i][1] - lat0];
    const cross = x0 * y1 - x1 * y0;
    area += cross;
    cx += (x0 + x1) * cross;
    cy += (y0 + y1) * cross;
  }
  if (Math.abs(area) < 1e-18) {
    const n = ring.length;
    return [ring.reduce((s, c) => s + c[1], 0) / n, ring.reduce((s, c) => s + c[0], 0) / n];
  }
  return [lat0 + cy / (3 * area), lon0 + cx / (3 * area) / k];
}

/** The box of a w x h label at side `side` of an anchor (x, y) with `gap` px to spare. */
export function boxAt(side, x, y, w, h, gap) {
  if (side === "right") return { x: x + gap, y: y - h / 2, w, h };
  if (side === "left") return { x: x - gap - w, y: y - h / 2, w, h };
  if (side === "above") return { x: x - w / 2, y: y - gap - h, w, h };
  if (side === "below") return { x: x - w / 2, y: y + gap, w, h };
  return { x: x - w / 2, y: y - h / 2, w, h }; // center
}

export function overlaps(a, b) {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

/** Boxes indexed by a grid of square cells, for overlap queries in near-constant time. */
class BoxIndex {
  constructor(cell) {
    this.cell = cell;
    this.cells = new Map();
  }

  *keys(b) {
    const c = this.cell;
    for (let i = Math.floor(b.x / c); i <= Math.floor((b.x + b.w) / c); i++) {
      for (let j = Math.floor(b.y / c); j <= Math.floor((b.y + b.h) / c); j++) yield `${i},${j}`;
    }
  }

  add(box) {
    for (const k of this.keys(box)) {
      if (!this.cells.has(k)) this.cells.set(k, []);
      this.cells.get(k).push(box);
    }
  }

  hits(box, ignore) {
    for (const k of this.keys(box)) {
      for (const other of this.cells.get(k) || []) {
        if (ignore !== undefined && other.owner === ignore) continue; // a label's own symbol
        if (overlaps(box, other)) return true;
      }
    }
    return false;
  }
}

/**
 * The first candidate box of `label` that meets nothing taken and no obstacle, or
 * null. An area's label (spread > 0) also tries rings further out, a label height
 * apart, so a cluster of symbols at the centre does not leave the area unnamed.
 */
function firstFree(label, taken, blocked) {
  for (let ring = 0; ring <= (label.spread || 0); ring++) {
    const gap = (label.gap || 0) + ring * (label.h + PAD_PX);
    for (const side of label.positions || SIDES) {
      if (ring && side === "center") continue;
      const box = boxAt(side, label.x, label.y, label.w, label.h, gap);
      const padded = { x: box.x - PAD_PX, y: box.y - PAD_PX, w: box.w + 2 * PAD_PX, h: box.h + 2 * PAD_PX };
      if (!taken.hits(padded) && !blocked.hits(box, label.id)) return { ...box, side };
    }
  }
  return null;
}

/**
 * Choose where each label goes, in screen pixels.
 *
 * labels: [{id, priority, x, y, w, h, gap, positions}] with (x, y) the anchor and
 * w x h the label's size; obstacles: [{x, y, w, h, owner?}] that no label may
 * cover except the one whose id is its owner (a label's own symbol). Returns a
 * Map id -> {x, y, w, h, side} of the labels shown; no two of them overlap, none
 * covers an obstacle. Ties in priority go to the earlier label.
 */
export function placeLabels(labels, obstacles = []) {
  const order = labels.map((l, i) => [l, i]).sort((a, b) => a[0].priority - b[0].priority || a[1] - b[1]);
  const taken = new BoxIndex(64);
  const blocked = new BoxIndex(64);
  obstacles.forEach((o) => blocked.add(o));
  const placed = new Map();
  for (const [label] of order) {
    const box = firstFree(label, taken, blocked);
    if (!box) continue;
    taken.add({ ...box });
    placed.set(label.id, box);
  }
  return placed;
}

/** Screen boxes of `elements` relative to `container` [px] (empty ones left out). */
function boxesIn(container, elements) {
  const origin = container.getBoundingClientRect();
  return [...elements]
    .map((el) => el.getBoundingClientRect())
    .filter((r) => r.width && r.height)
    .map((r) => ({ x: r.left - origin.left, y: r.top - origin.top, w: r.width, h: r.height }));
}

/** The vertex of `path` ([L.LatLng]) inside `bounds` nearest `centre`, or null. */
function nearestInside(path, bounds, centre) {
  let best = null;
  let bestD = Infinity;
  for (const ll of path) {
    if (!bounds.contains(ll)) continue;
    const d = (ll.lat - centre.lat) ** 2 + (ll.lng - centre.lng) ** 2;
    if (d < bestD) [best, bestD] = [ll, d];
  }
  return best;
}

/**
 * A Leaflet layer of labels. Add labels with set(id, {text, latlng, level, gap,
 * positions, owner, path}); `path` ([L.LatLng], a line's) lets the label move along
 * the line when its middle is out of view; `owner` is the map layer the label belongs to: the label
 * shows only while that layer is on the map (so switching a layer off hides its
 * labels). move(id, latlng) follows a moving drone; remove(id) drops one.
 */
export function labelLayer(L) {
  const LabelLayer = L.Layer.extend({
    initialize() {
      this._items = new Map();
      this._tooltips = new Set();
      this._frame = 0; // a placement waiting for the next animation frame
      this._timer = 0; // a placement waiting out the ten-a-second limit
      this._last = 0;
    },

    onAdd(map) {
      this._pane = map.getPane("labelsPane") || map.createPane("labelsPane");
      this._pane.classList.add("map-labels");
      this._pane.hidden = false;
      map.on("zoomstart", this._hide, this);
      map.on("moveend zoomend resize layeradd layerremove", this.refresh, this);
      map.on("resize", this.controlsMoved, this);
      map.on("tooltipopen", this._tooltipOpen, this);
      map.on("tooltipclose", this._tooltipClose, this);
      this.refresh();
    },

    onRemove(map) {
      map.off("zoomstart", this._hide, this);
      map.off("moveend zoomend resize layeradd layerremove", this.refresh, this);
      map.off("resize", this.controlsMoved, this);
      map.off("tooltipopen", this._tooltipOpen, this);
      map.off("tooltipclose", this._tooltipClose, this);
      this._pane.hidden = true;
    },

    set(id, label) {
      const old = this._items.get(id);
      const item = { ...old, ...label, id };
      if (old && old.text !== item.text) {
        item.size = null;
        if (old.el) old.el.textContent = item.text;
      }
      item.priority = PRIORITY[item.level] ?? 9;
      item.minZoom = item.minZoom ?? MIN_ZOOM[item.level] ?? 16;
      this._items.set(id, item);
      this.refresh();
    },

    move(id, latlng) {
      const item = this._items.get(id);
      if (!item) return;
      item.latlng = latlng;
      this.refresh();
    },

    remove(id) {
      const item = this._items.get(id);
      if (item && item.el) item.el.remove();
      this._items.delete(id);
      this.refresh();
    },

    /** Drop every label whose id starts with `prefix` (a page redrawing its own). */
    clear(prefix) {
      for (const [id, item] of this._items) {
        if (!id.startsWith(prefix)) continue;
        if (item.el) item.el.remove();
        this._items.delete(id);
      }
      this.refresh();
    },

    /** Place again on the next animation frame, at most ten times a second. */
    refresh() {
      if (!this._map || this._frame || this._timer) return;
      const wait = this._last + 100 - performance.now();
      if (wait > 0) {
        this._timer = setTimeout(() => {
          this._timer = 0;
          this.refresh();
        }, wait);
        return;
      }
      this._frame = requestAnimationFrame(() => {
        this._frame = 0;
        this._last = performance.now();
        this._place();
      });
    },

    /** A control opened, closed or moved: read the controls' boxes again and re-place. */
    controlsMoved() {
      this._controls = null;
      this.refresh();
    },

    _hide() {
      this._pane.hidden = true;
    },

    _tooltipOpen(e) {
      if (e.tooltip.options.permanent) return;
      this._tooltips.add(e.tooltip);
      this.refresh();
    },

    _tooltipClose(e) {
      if (this._tooltips.delete(e.tooltip)) this.refresh();
    },

    _place() {
      const map = this._map;
      if (!map) return;
      this._pane.hidden = false; // measured labels need a displayed pane
      const zoom = map.getZoom();
      const view = map.getBounds().pad(0.1);
      const shown = [];
      const centre = map.getCenter();
      for (const item of this._items.values()) {
        item.at = item.latlng;
        // a line running through the view with its middle outside it: named at its vertex
        // nearest the view's centre
        if (item.at && item.path && !view.contains(item.at)) item.at = nearestInside(item.path, view, centre) || item.at;
        const on = item.at && zoom >= item.minZoom && (!item.owner || map.hasLayer(item.owner)) && view.contains(item.at);
        if (on) shown.push(item);
        else if (item.el && !item.el.hidden) item.el.hidden = true;
      }
      // measure new labels in one layout pass
      const fresh = shown.filter((item) => !item.size);
      for (const item of fresh) {
        if (!item.el) {
          item.el = L.DomUtil.create("div", `map-label map-label-${item.level}`, this._pane);
          item.el.dataset.label = item.id;
          item.el.textContent = item.text;
        }
        item.el.hidden = false;
        item.el.style.visibility = "hidden";
      }
      for (const item of fresh) {
        const size = [item.el.offsetWidth, item.el.offsetHeight];
        item.size = size[0] && size[1] ? size : null; // not laid out (a hidden map): not shown
      }
      const labels = [];
      const obstacles = [];
      for (const item of shown) {
        if (!item.size) continue;
        const p = map.latLngToContainerPoint(item.at);
        labels.push({ id: item.id, priority: item.priority, x: p.x, y: p.y, w: item.size[0], h: item.size[1], gap: item.gap || 0, positions: item.positions, spread: item.spread || 0 });
        if (item.gap) {
          const r = item.gap - 2; // the symbol's half size
          obstacles.push({ x: p.x - r, y: p.y - r, w: 2 * r, h: 2 * r, owner: item.id });
        }
      }
      // open tooltips and the map's controls (zoom, layers, legend, scale) stay uncovered;
      // reading boxes makes the browser lay the page out, so the controls' are read at
      // most once a second (they move only when one is opened or the map resized)
      const now = performance.now();
      if (!this._controls || now - this._controlsAt > 1000) {
        this._controls = boxesIn(map.getContainer(), map.getContainer().querySelectorAll(".leaflet-control"));
        this._controlsAt = now;
      }
      obstacles.push(...this._controls);
      const tips = [...this._tooltips].map((t) => t.getElement && t.getElement()).filter((el) => el && el.isConnected);
      if (tips.length) obstacles.push(...boxesIn(map.getContainer(), tips));
      const placed = placeLabels(labels, obstacles);
      for (const item of shown) {
        // DOM writes only where something changed: a moving drone moves its label alone
        const box = placed.get(item.id);
        if (item.el.style.visibility) item.el.style.visibility = "";
        if (item.el.hidden !== !box) item.el.hidden = !box;
        if (!box) continue;
        const at = map.containerPointToLayerPoint([box.x, box.y]).round();
        if (!item.el._leaflet_pos || !item.el._leaflet_pos.equals(at)) L.DomUtil.setPosition(item.el, at);
      }
    },
  });
  return new LabelLayer();
}
