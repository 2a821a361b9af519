// The patrol schedule panel of the Operations page: what the scheduler proposes and why
// each idle drone waits; operators switch the mode and approve or reject with one click.
"use strict";

(function () {
  const panel = document.getElementById("schedule");
  if (!panel) return;
  const pendingEl = document.getElementById("schedule-pending");
  const waitingEl = document.getElementById("schedule-waiting");
  const answer = document.getElementById("schedule-answer");
  const modeSelect = document.getElementById("schedule-mode");
  const modeText = document.getElementById("schedule-mode-text");
  const canDecide = Boolean(modeSelect);
  const minutes = (s) => `${Math.round(s / 60)} min`;

  // Each proposal's planned track, dashed on the operations map; the hovered one stands out.
  let tracks = null;
  const lines = new Map();
  function withMap(map) {
    if (tracks || !map) return;
    tracks = L.layerGroup().addTo(map);
    load();
  }
  document.addEventListener("dp:operations-map", (e) => withMap(e.detail));
  withMap(window.dpOperationsMap);

  function drawTracks(pending) {
    if (!tracks) return;
    tracks.clearLayers();
    lines.clear();
    for (const p of pending) {
      const line = L.polyline(p.track, { color: "#9ad0ff", weight: 2, opacity: 0.7, dashArray: "6 6" })
        .bindTooltip(DP.escape(`${p.vehicle}: proposed sortie`), { sticky: true });
      line.addTo(tracks);
      lines.set(p.id, line);
    }
  }
  function highlight(id, on) {
    const line = lines.get(id);
    if (!line) return;
    line.setStyle(on ? { weight: 4, opacity: 1 } : { weight: 2, opacity: 0.7 });
    if (on) line.bringToFront();
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
           <button type="button" data-approve="${DP.escape(p.id)}">Approve and fly</button>
           <button type="button" data-reject="${DP.escape(p.id)}" class="secondary">Reject</button>
         </div>`
      : "";
    return `<article class="proposal" data-proposal="${DP.escape(p.id)}">
      <h3>${DP.escape(p.vehicle)} <span class="muted">from ${DP.escape(p.station)}</span></h3>
      <p>${DP.escape(p.targets.join(", "))}</p>
      <p class="muted">${DP.escape(p.reason)}</p>
      <p class="muted">${minutes(p.duration_s)} · ${(p.length_m / 1000).toFixed(1)} km · battery ${Math.round(p.energy_frac * 100)} %</p>
      ${buttons}
    </article>`;
  }

  let asked = 0;
  async function load() {
    const mine = ++asked;
    let status;
    try {
      status = await DP.api("GET", "/api/schedule");
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
      ...Object.entries(status.flying).map(([v, t]) => `<li><b>${DP.escape(v)}</b> flying ${DP.escape(t.join(", "))}</li>`),
      ...Object.entries(status.waiting).map(([v, why]) => `<li><b>${DP.escape(v)}</b> ${DP.escape(why)}</li>`),
      ...Object.entries(status.unschedulable).map(([t, why]) => `<li class="warn"><b>${DP.escape(t)}</b> cannot be scheduled: ${DP.escape(why)}</li>`),
    ];
    waitingEl.innerHTML = lines.join("");
  }

  async function decide(id, decision) {
    try {
      const done = await DP.api("POST", `/api/schedule/proposals/${encodeURIComponent(id)}/${decision}`);
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
        await DP.api("PUT", "/api/schedule/mode", { mode });
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
  DP.on("schedule", () => {
    clearTimeout(timer);
    timer = setTimeout(load, 250); // one fetch per burst of events
  });
  DP.on("freshness", load);
  setInterval(load, 15000);
  load();
})();
