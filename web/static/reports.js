// Reports: one day's patrol performance (in the viewer's time zone) as tiles,
// bar charts drawn as inline SVG, a sortable target table and a CSV download.

import { api } from "./api.js";
import { clock, duration, escape, percent, quantity } from "./format.js";
import { COLOURS } from "./map.js";
import { startAlerts } from "./alerts.js";

startAlerts();

const form = document.getElementById("report-form");
const dateInput = document.getElementById("report-date");
const csvLink = document.getElementById("report-csv");
const status = document.getElementById("report-status");
const rows = document.getElementById("target-rows");
const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
const SVG = "http://www.w3.org/2000/svg";
let targets = [];
let sortKey = "on_time_rate";
let ascending = true;

function today() {
  const d = new Date();
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

function tile(name, value, note) {
  const el = document.querySelector(`.tile[data-tile="${name}"]`);
  el.querySelector("strong").textContent = value;
  el.querySelector("small").textContent = note || "";
}

function svg(tag, attrs, text) {
  const el = document.createElementNS(SVG, tag);
  Object.entries(attrs).forEach(([k, v]) => el.setAttribute(k, v));
  if (text !== undefined) el.textContent = text;
  return el;
}

// Horizontal bars: one row per item, its label on the left, its value at the bar's end.
function barChart(container, items, max, format) {
  container.replaceChildren();
  if (!items.length) {
    container.innerHTML = `<p class="empty">Nothing to show.</p>`;
    return;
  }
  const rowH = 30;
  const labelW = 130;
  const width = 460;
  const barMax = width - labelW - 70;
  const chart = svg("svg", {
    viewBox: `0 0 ${width} ${items.length * rowH + 6}`,
    role: "img",
    class: "bars",
    "aria-label": items.map((i) => `${i.label}: ${format(i.value)}`).join(", "),
  });
  items.forEach((item, n) => {
    const y = n * rowH + 4;
    const w = item.value === null ? 0 : Math.max(1, (barMax * item.value) / (max || 1));
    chart.append(svg("text", { x: labelW - 8, y: y + 17, "text-anchor": "end", class: "bar-label" }, item.label));
    chart.append(svg("rect", { x: labelW, y: y + 3, width: barMax, height: rowH - 10, class: "bar-track", rx: 3 }));
    const bar = svg("rect", { x: labelW, y: y + 3, width: w, height: rowH - 10, rx: 3, fill: item.colour, class: "bar" });
    bar.append(svg("title", {}, `${item.label}: ${format(item.value)}`));
    chart.append(bar);
    chart.append(svg("text", { x: labelW + w + 6, y: y + 17, class: "bar-value" }, format(item.value)));
  });
  container.append(chart);
}

function renderTargets() {
  const order = { key: 0, attention: 1, general: 2 };
  const value = (t) => (sortKey === "priority" ? order[t.priority] : t[sortKey]);
  const sorted = [...targets].sort((a, b) => {
    const va = value(a);
    const vb = value(b);
    if (va === vb) return a.id < b.id ? -1 : 1;
    if (va === null) return 1; // no deadline due: always last
    if (vb === null) return -1;
    return (va < vb ? -1 : 1) * (ascending ? 1 : -1);
  });
  rows.innerHTML = sorted.map((t) => `<tr data-target="${escape(t.id)}">
      <td>${escape(t.id)} <span class="muted">${escape(t.name)}</span></td>
      <td>${escape(t.kind)}</td><td>${escape(t.station)}</td>
      <td><span class="swatch" style="background:${COLOURS[t.priority] || "#999"}"></span>${escape(t.priority)}</td>
      <td class="num">${percent(t.on_time_rate)}</td><td class="num">${t.deadlines_met}</td>
      <td class="num">${t.deadlines_missed}</td><td class="num">${t.patrols}</td>
      <td class="num">${percent(t.coverage)}</td>
      <td>${t.overdue_at_end ? '<span class="pill lost">overdue</span>' : "no"}</td></tr>`).join("")
    || `<tr><td colspan="10">The patrol network has no targets.</td></tr>`;
  document.querySelectorAll("#target-table th").forEach((th) => th.removeAttribute("aria-sort"));
  const active = document.querySelector(`#target-table button[data-sort="${sortKey}"]`);
  if (active) active.closest("th").setAttribute("aria-sort", ascending ? "ascending" : "descending");
}

function render(report) {
  const byLevel = Object.fromEntries(report.priorities.map((p) => [p.key, p]));
  ["key", "attention", "general"].forEach((level) => {
    const p = byLevel[level];
    tile(level, percent(p.on_time_rate),
      `${p.deadlines_met} of ${p.deadlines_met + p.deadlines_missed} deadlines · ${p.overdue_targets} overdue`);
  });
  const fleet = report.fleet;
  tile("incidents", `${fleet.incidents_answered} of ${fleet.incidents}`, "reached on scene");
  const scene = fleet.response.to_scene;
  const both = scene.median_s === null ? "–" : `${duration(scene.median_s)} / ${duration(scene.p95_s)}`;
  tile("response", both, "created to on scene");
  tile("flight", quantity(fleet.flight_hours, 1, ""), `${fleet.sorties} sorties`);

  barChart(document.getElementById("chart-priority"),
    report.priorities.map((p) => ({ label: p.key, value: p.on_time_rate, colour: COLOURS[p.key] })),
    1, percent);
  barChart(document.getElementById("chart-station"),
    report.stations.map((s) => ({ label: s.name || s.key, value: s.on_time_rate, colour: "#3ccf7a" })),
    1, percent);
  const hours = report.stations.map((s) => s.flight_hours);
  barChart(document.getElementById("chart-flight"),
    report.stations.map((s) => ({ label: s.name || s.key, value: s.flight_hours, colour: "#3fa7ff" })),
    Math.max(...hours, 0.1), (h) => quantity(h, 1, " h"));

  targets = report.targets;
  renderTargets();
  const asOf = clock(report.as_of_s);
  status.textContent = `${report.day} (${report.zone})` + (report.complete ? "" : ` · so far, up to ${asOf}`);
}

let latest = 0; // the newest load asked for: an older answer arriving after it is dropped

async function load(day) {
  const query = `?date=${encodeURIComponent(day)}&tz=${encodeURIComponent(zone)}`;
  const asked = ++latest;
  csvLink.href = `/api/reports/day.csv${query}`;
  status.textContent = "Loading…";
  status.className = "muted";
  try {
    const report = await api("GET", `/api/reports/day${query}`);
    if (asked === latest) render(report);
  } catch (error) {
    if (asked !== latest) return;
    status.textContent = error.message;
    status.className = "error";
  }
}

form.addEventListener("submit", (e) => {
  e.preventDefault();
  history.replaceState(null, "", `?date=${dateInput.value}`);
  load(dateInput.value);
});
document.querySelectorAll("#target-table button[data-sort]").forEach((button) => {
  button.addEventListener("click", () => {
    ascending = sortKey === button.dataset.sort ? !ascending : true;
    sortKey = button.dataset.sort;
    renderTargets();
  });
});

dateInput.value = new URLSearchParams(location.search).get("date") || today();
dateInput.max = today();
load(dateInput.value);
