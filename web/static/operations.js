// Operations: the map with the patrol network and live drones, and the fleet
// panel with each drone's figures and controls.
"use strict";

(async function () {
  const { map, layer } = await DP.networkMap(document.getElementById("map"));
  const toggle = document.getElementById("freshness-toggle");

  function freshnessColour(t) {
    if (!t || t.staleness === null) return "#6b7785";
    if (t.overdue) return "#ff5d5d";
    return t.staleness > 0.75 ? "#f2b63c" : "#3ccf7a";
  }

  async function paintFreshness() {
    if (!layer) return;
    if (!toggle.checked) {
      layer.eachLayer((l) => l.setStyle && layer.resetStyle(l));
      return;
    }
    try {
      const { targets } = await DP.api("GET", "/api/freshness");
      const byId = Object.fromEntries(targets.map((t) => [t.id, t]));
      layer.eachLayer((l) => {
        const p = l.feature.properties;
        if (!byId[p.id] || !l.setStyle) return;
        const colour = freshnessColour(byId[p.id]);
        l.setStyle({ color: colour, fillColor: colour });
      });
    } catch (e) {
      toggle.checked = false;
    }
  }
  toggle.addEventListener("change", paintFreshness);
  DP.on("freshness", paintFreshness);
  const fleetEl = document.getElementById("fleet");
  const cards = new Map();
  const canFly = document.body.dataset.role === "operator" || document.body.dataset.role === "admin";
  const RISKY = { arm: "Arm the motors", takeoff: "Take off", start: "Start the mission", land: "Land here", disarm: "Disarm" };

  function card(v) {
    const b = v.battery || {};
    const m = v.mission || {};
    const controls = canFly
      ? `<div class="controls" role="group" aria-label="Controls of ${DP.escape(v.name)}">
          ${["arm", "takeoff", "start", "pause", "resume", "rtl", "land"]
            .map((c) => `<button type="button" data-command="${c}" class="${c === "land" ? "danger" : ""}">${c === "rtl" ? "RTL" : c}</button>`)
            .join("")}
        </div>`
      : "";
    const ready = v.ekf_ok ? `<span class="pill ready">position ok</span>` : `<span class="pill waiting">no position yet</span>`;
    return `<h3>${DP.escape(v.name)} <span>${ready} <span class="pill ${v.link}">${v.link}</span></span></h3>
      <div class="figures">
        <div><span>mode</span>${DP.escape(v.mode)}</div>
        <div><span>armed</span>${v.armed ? "yes" : "no"}</div>
        <div><span>alt</span>${DP.fmt(v.position && v.position.alt_rel_m, 0, " m")}</div>
        <div><span>speed</span>${DP.fmt(v.groundspeed_mps, 1, " m/s")}</div>
        <div><span>battery</span>${DP.fmt(b.remaining_pct, 0, " %")}</div>
        <div><span>mission</span>${m.total ? m.current_seq + "/" + (m.total - 1) : "–"}</div>
      </div>
      <p class="statustext">${DP.escape(v.statustext || "")}</p>
      ${controls}
      <p class="answer" role="status" aria-live="polite"></p>`;
  }

  async function send(v, command) {
    const answer = cards.get(v.id).querySelector(".answer");
    const body = { command };
    if (RISKY[command]) {
      if (!window.confirm(`${RISKY[command]}: ${v.name}?`)) return;
      body.confirm = true;
    }
    if (command === "takeoff") body.alt_m = 30;
    try {
      const queued = await DP.api("POST", `/api/vehicles/${encodeURIComponent(v.id)}/commands`, body);
      answer.textContent = `${command}: sent`;
      const d = await DP.outcome(queued.request_id);
      const now = cards.get(v.id).querySelector(".answer");
      now.textContent = `${command}: ${d.result === "DONE" ? "done" : "refused: " + d.reason}`;
      now.className = d.result === "DONE" ? "answer ok" : "answer error";
    } catch (e) {
      answer.textContent = `${command}: ${e.message}`;
      answer.className = "answer error";
    }
  }

  function update(v) {
    let el = cards.get(v.id);
    if (!el) {
      fleetEl.querySelector(".empty")?.remove();
      el = document.createElement("div");
      el.className = "card";
      el.dataset.vehicle = v.id;
      fleetEl.appendChild(el);
      cards.set(v.id, el);
      el.addEventListener("click", (e) => {
        const button = e.target.closest("button[data-command]");
        if (button) send(el.vehicle, button.dataset.command);
      });
    }
    el.vehicle = v;
    const answer = el.querySelector(".answer");
    const keep = answer ? [answer.textContent, answer.className] : null;
    el.innerHTML = card(v);
    if (keep) [el.querySelector(".answer").textContent, el.querySelector(".answer").className] = keep;
  }

  DP.liveDrones(map, (v, clicked) => {
    update(v);
    if (clicked) cards.get(v.id).scrollIntoView({ behavior: "smooth" });
  });

})();
