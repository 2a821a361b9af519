// Alerts: a banner and a sound on every page. Alert text comes from vehicles and the
// server: it is only ever set as textContent.

import { api } from "./api.js";
import { on } from "./events.js";
import { clock } from "./format.js";
import { may } from "./meta.js";

const alerts = new Map();
let audio = null;

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

function render() {
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
    when.textContent = clock(alert.raised_s);
    item.append(level, text, when);
    if (!alert.active_condition) {
      const cleared = document.createElement("span");
      cleared.className = "alert-cleared";
      cleared.textContent = "condition cleared";
      item.append(cleared);
    }
    if (may("POST /api/alerts/{alert_id}/acknowledge")) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "alert-ack";
      button.textContent = "Acknowledge";
      button.addEventListener("click", async () => {
        button.disabled = true;
        try {
          await api("POST", `/api/alerts/${encodeURIComponent(alert.id)}/acknowledge`);
          alerts.delete(alert.id);
          render();
        } catch (e) {
          button.disabled = false;
          button.title = e.message;
          if (e.status === 409 || e.status === 404) { alerts.delete(alert.id); render(); }
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

let started = false;

/** Show the alerts in force in the page's banner (#alerts), live, with sound. */
export function startAlerts() {
  if (started || !document.getElementById("alerts")) return;
  started = true;
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
    render();
  });
  api("GET", "/api/alerts").then((body) => {
    const fresh = body.alerts.filter((a) => !alerts.has(a.id));
    body.alerts.forEach((a) => alerts.set(a.id, a));
    render();
    if (fresh.length) beep(fresh.some((a) => a.severity === "critical"));
  }).catch(() => {});
  // A critical alert nobody acknowledged sounds again every 15 s.
  setInterval(() => {
    if ([...alerts.values()].some((a) => a.severity === "critical")) beep(true);
  }, 15000);
}
