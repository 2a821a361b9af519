// Shared by every page: API calls with the CSRF token, the live event stream,
// and a map with the patrol network drawn on it.
"use strict";

const DP = (function () {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const COLOURS = { key: "#ff5d5d", attention: "#f2b63c", general: "#3fa7ff", nofly: "#b03a5b" };

  async function api(method, path, body) {
    const options = { method, headers: { Accept: "application/json" } };
    if (method !== "GET") options.headers["X-CSRF-Token"] = csrf;
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await fetch(path, options);
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    if (!response.ok) {
      const message = (data && data.message) || response.statusText;
      const error = new Error(message);
      error.status = response.status;
      throw error;
    }
    return data;
  }

  const listeners = {};
  let source = null;
  function on(kind, handler) {
    if (!source) {
      source = new EventSource("/api/events");
    }
    if (!listeners[kind]) {
      listeners[kind] = [];
      source.addEventListener(kind, (e) => {
        const event = JSON.parse(e.data);
        listeners[kind].forEach((h) => h(event));
      });
    }
    listeners[kind].push(handler);
  }

  // Outcomes of queued operations, by request id. A quick operation's result
  // event can arrive before its POST's answer does, so results are kept a while.
  const outcomes = new Map();
  const waiting = new Map();
  function outcome(requestId) {
    if (outcomes.has(requestId)) return Promise.resolve(outcomes.get(requestId));
    return new Promise((resolve) => waiting.set(requestId, resolve));
  }
  on("command_result", (event) => {
    const d = event.data || {};
    if (!d.operation || !d.command_id) return;
    outcomes.set(d.command_id, d);
    if (outcomes.size > 500) outcomes.delete(outcomes.keys().next().value);
    const resolve = waiting.get(d.command_id);
    if (resolve) {
      waiting.delete(d.command_id);
      resolve(d);
    }
  });

  function styleFor(feature) {
    const p = feature.properties || {};
    if (p.kind === "nofly") return { color: COLOURS.nofly, weight: 1, fillColor: COLOURS.nofly, fillOpacity: 0.25, dashArray: "4 4" };
    const colour = COLOURS[p.priority || "general"] || COLOURS.general;
    if (p.kind === "line") return { color: colour, weight: 4, opacity: 0.9 };
    return { color: colour, weight: 1.5, fillColor: colour, fillOpacity: 0.08 };
  }

  function pointFor(feature, latlng) {
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

  // A dark map with the patrol network; resolves to {map, network, layer}.
  // options.filter(feature) keeps only the features it returns true for.
  async function networkMap(element, onFeatureClick, options) {
    const map = L.map(element, { preferCanvas: true }).setView([-35.3633, 149.1652], 14);
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

  // Live drones on a map: markers with heading and a trail; calls onUpdate(vehicle).
  // Telemetry of a city's fleet arrives in bursts (every drone a few times a second):
  // only each drone's newest snapshot is drawn, once per animation frame, and a marker's
  // icon is made again only when its name or colour changes (a turn rotates it).
  function liveDrones(map, onUpdate) {
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

  function fmt(x, digits, unit) {
    return x === null || x === undefined ? "–" : `${Number(x).toFixed(digits)}${unit}`;
  }

  // Text from files, vehicles or people made safe for HTML: element content and
  // quoted attribute values alike (a bare textContent round trip leaves quotes).
  const ENTITIES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;", "`": "&#96;" };
  function escape(text) {
    return (text == null ? "" : String(text)).replace(/[&<>"'`]/g, (c) => ENTITIES[c]);
  }

  // ---- alerts: a banner and a sound on every page ----------------------------
  // Alert text comes from vehicles and the server: it is only ever set as textContent.
  const alerts = new Map();
  let audio = null;
  const ROLE_RANK = { viewer: 0, commander: 1, operator: 2, admin: 3 };

  function audioContext() {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return null;
    if (!audio) audio = new Ctx();
    if (audio.state === "suspended") audio.resume().catch(() => {});
    return audio;
  }

  // A short beep, three for a critical alert (WebAudio oscillator, no audio files).
  function beep(critical) {
    const ctx = audioContext();
    if (!ctx) return;
    const count = critical ? 3 : 1;
    for (let i = 0; i < count; i++) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = "square";
      osc.frequency.value = critical ? 880 : 660;
      gain.gain.value = 0.08;
      osc.connect(gain);
      gain.connect(ctx.destination);
      const at = ctx.currentTime + i * 0.3;
      osc.start(at);
      osc.stop(at + 0.18);
    }
  }

  function canAcknowledge() {
    return (ROLE_RANK[document.body.dataset.role] || 0) >= ROLE_RANK.commander;
  }

  function renderAlerts() {
    const box = document.getElementById("alerts");
    const list = document.getElementById("alerts-list");
    if (!box || !list) return;
    const shown = [...alerts.values()].sort((a, b) =>
      (a.severity === "critical" ? 0 : 1) - (b.severity === "critical" ? 0 : 1) || a.raised_s - b.raised_s);
    list.replaceChildren();
    for (const alert of shown) {
      const item = document.createElement("li");
      item.className = `alert-item ${alert.severity}`;
      item.dataset.alertId = alert.id;
      item.dataset.kind = alert.kind;
      const level = document.createElement("span");
      level.className = "alert-level";
      level.textContent = alert.severity === "critical" ? "CRITICAL" : "WARNING";
      const text = document.createElement("span");
      text.className = "alert-text";
      text.textContent = alert.text;
      const when = document.createElement("time");
      when.textContent = new Date(alert.raised_s * 1000).toLocaleTimeString();
      item.append(level, text, when);
      if (!alert.active_condition) {
        const cleared = document.createElement("span");
        cleared.className = "alert-cleared";
        cleared.textContent = "condition cleared";
        item.append(cleared);
      }
      if (canAcknowledge()) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "alert-ack";
        button.textContent = "Acknowledge";
        button.addEventListener("click", async () => {
          button.disabled = true;
          try {
            await api("POST", `/api/alerts/${encodeURIComponent(alert.id)}/acknowledge`);
            alerts.delete(alert.id);
            renderAlerts();
          } catch (e) {
            button.disabled = false;
            button.title = e.message;
            if (e.status === 409 || e.status === 404) { alerts.delete(alert.id); renderAlerts(); }
          }
        });
        item.append(button);
      }
      list.append(item);
    }
    box.hidden = shown.length === 0;
    box.classList.toggle("critical", shown.some((a) => a.severity === "critical"));
    const title = document.getElementById("alerts-title");
    if (title) title.textContent = `Alerts (${shown.length})`;
  }

  function startAlerts() {
    if (!document.getElementById("alerts")) return;
    // Browsers start sound only after a gesture: the first click anywhere unlocks it.
    document.addEventListener("pointerdown", () => audioContext(), { once: true });
    on("alert", (event) => {
      const d = event.data || {};
      const alert = d.alert;
      if (!alert || !alert.id) return;
      if (d.action === "acknowledged") {
        alerts.delete(alert.id);
      } else {
        const isNew = d.action === "raised";
        alerts.set(alert.id, alert);
        if (isNew) beep(alert.severity === "critical");
      }
      renderAlerts();
    });
    api("GET", "/api/alerts").then((body) => {
      const fresh = body.alerts.filter((a) => !alerts.has(a.id));
      body.alerts.forEach((a) => alerts.set(a.id, a));
      renderAlerts();
      if (fresh.length) beep(fresh.some((a) => a.severity === "critical"));
    }).catch(() => {});
    // A critical alert nobody acknowledged sounds again every 15 s.
    setInterval(() => {
      if ([...alerts.values()].some((a) => a.severity === "critical")) beep(true);
    }, 15000);
  }
  startAlerts();

  return { api, on, outcome, networkMap, liveDrones, styleFor, pointFor, fmt, escape, COLOURS, alerts, beep };
})();
