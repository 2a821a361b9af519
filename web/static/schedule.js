// The patrol schedule panel of the Operations page: what the scheduler proposes and why
// each idle drone waits; operators switch the mode and approve or reject with one click.

import { api } from "./api.js";
import { on } from "./events.js";
import { distance, duration, escape, percent } from "./format.js";

/**
 * Run the schedule panel (#schedule) of the page, drawing proposed sorties on ``map``
 * (the operations map). Nothing happens on a page without the panel.
 */
export function schedulePanel(map) {
  const panel = document.getElementById("schedule");
  if (!panel) return;
  const pendingEl = document.getElementById("schedule-pending");
  const waitingEl = document.getElementById("schedule-waiting");
  const answer = document.getElementById("schedule-answer");
  const modeSelect = document.getElementById("schedule-mode");
  const modeText = document.getElementById("schedule-mode-text");
  const canDecide = Boolean(modeSelect);

  // Each proposal's planned track, dashed on the operations map; the hovered one stands out.
  const tracks = L.layerGroup().addTo(map);
  const lines = new Map();

  function drawTracks(pending) {
    tracks.clearLayers();
    lines.clear();
    for (const p of pending) {
      const line = L.polyline(p.track, { color: "#9ad0ff", weight: 2, opacity: 0.7, dashArray: "6 6" })
        .bindTooltip(escape(`${p.vehicle}: proposed sortie`), { sticky: true });
      line.addTo(tracks);
      lines.set(p.id, line);
    }
  }
  function highlight(id, lit) {
    const line = lines.get(id);
    if (!line) return;
    line.setStyle(lit ? { weight: 4, opacity: 1 } : { weight: 2, opacity: 0.7 });
    if (lit) line.bringToFront();
  }
  pendingEl.addEventListener("mouseover", (e) => {
    const card = e.target.closest("[data-proposal]");
    if (card) highlight(card.dataset.proposal, true);
  });
  pendingEl.addEventListener("mouseout", (e) => {
    const card = e.target.closest("[data-proposal]");
    if (card) highlight(card.dataset.proposal, false);
  });

  function proposal(p) {
    const buttons = canDecide
      ? `<div class="controls">
           <button type="button" data-approve="${escape(p.id)}">Approve and fly</button>
           <button type="button" data-reject="${escape(p.id)}" class="secondary">Reject</button>
         </div>`
      : "";
    return `<article class="proposal" data-proposal="${escape(p.id)}">
      <h3>${escape(p.vehicle)} <span class="muted">from ${escape(p.station)}</span></h3>
      <p>${escape(p.targets.join(", "))}</p>
      <p class="muted">${escape(p.reason)}</p>
      <p class="muted">${duration(p.duration_s)} · ${distance(p.length_m)} · battery ${percent(p.energy_frac)}</p>
      ${buttons}
    </article>`;
  }

  let asked = 0;
  async function load() {
    const mine = ++asked;
    let status;
    try {
      status = await api("GET", "/api/schedule");
    } catch (e) {
      if (mine !== asked) return;
      panel.hidden = e.status === 404; // no network or no fleet: nothing to schedule
      answer.textContent = e.status === 404 ? "" : e.message;
      return;
    }
    if (mine !== asked) return;
    panel.hidden = false;
    if (modeSelect && document.activeElement !== modeSelect) modeSelect.value = status.mode;
    if (modeText) modeText.textContent = status.mode;
    drawTracks(status.pending);
    pendingEl.innerHTML = status.pending.length
      ? status.pending.map(proposal).join("")
      : `<p class="empty">${status.mode === "off" ? "The scheduler is off." : "No sortie proposed."}</p>`;
    const lines = [
      ...Object.entries(status.flying).map(([v, t]) => `<li><b>${escape(v)}</b> flying ${escape(t.join(", "))}</li>`),
      ...Object.entries(status.waiting).map(([v, why]) => `<li><b>${escape(v)}</b> ${escape(why)}</li>`),
      ...Object.entries(status.unschedulable).map(([t, why]) => `<li class="warn"><b>${escape(t)}</b> cannot be scheduled: ${escape(why)}</li>`),
    ];
    waitingEl.innerHTML = lines.join("");
  }

  async function decide(id, decision) {
    try {
      const done = await api("POST", `/api/schedule/proposals/${encodeURIComponent(id)}/${decision}`);
      answer.textContent = `${done.vehicle}: ${done.decision}`;
      answer.className = "answer ok";
    } catch (e) {
      answer.textContent = e.message;
      answer.className = "answer error";
    }
    load();
  }

  pendingEl.addEventListener("click", (e) => {
    const approve = e.target.closest("button[data-approve]");
    const reject = e.target.closest("button[data-reject]");
    if (approve && window.confirm(`Fly proposal ${approve.dataset.approve} now?`)) decide(approve.dataset.approve, "approve");
    if (reject) decide(reject.dataset.reject, "reject");
  });

  if (modeSelect) {
    modeSelect.addEventListener("change", async () => {
      const mode = modeSelect.value;
      if (mode === "auto" && !window.confirm("Let the scheduler launch drones on its own?")) {
        load();
        return;
      }
      try {
        await api("PUT", "/api/schedule/mode", { mode });
        answer.textContent = `scheduler: ${mode}`;
        answer.className = "answer ok";
      } catch (e) {
        answer.textContent = e.message;
        answer.className = "answer error";
      }
      load();
    });
  }

  let timer = null;
  on("schedule", () => {
    clearTimeout(timer);
    timer = setTimeout(load, 250); // one fetch per burst of events
  });
  on("freshness", load);
  setInterval(load, 15000);
  load();
}
