// The one place figures become text: durations, times of day, distances, shares,
// quantities with units, and text made safe for HTML. Every page uses these, so a
// sortie's 12 minutes reads the same on the planner, the schedule and the reports.

const NONE = "–";

function missing(x) {
  return x === null || x === undefined || Number.isNaN(Number(x));
}

/**
 * A duration [s] as people read it: "45 s", "3 min 05 s", "2 h 05 min".
 * Under an hour it keeps the seconds (an ETA, a response time); from an hour on,
 * the minutes (a large event's time left). Negative durations read as 0 s.
 */
export function duration(seconds) {
  if (missing(seconds)) return NONE;
  const s = Math.max(0, Number(seconds));
  if (Math.round(s) < 60) return `${Math.round(s)} s`;
  if (Math.round(s) < 3600) {
    const total = Math.round(s);
    return `${Math.floor(total / 60)} min ${String(total % 60).padStart(2, "0")} s`;
  }
  const minutes = Math.round(s / 60);
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
}

/** The seconds from t0 to t1 [s since the epoch] as a duration, "–" unless both are known. */
export function between(t0, t1) {
  return missing(t0) || missing(t1) || !t0 || !t1 ? NONE : duration(t1 - t0);
}

/** A time of day in the viewer's zone from seconds since the epoch: "14:05:09". */
export function clock(epochS) {
  return missing(epochS) ? NONE : new Date(epochS * 1000).toLocaleTimeString();
}

/** A short date and time in the viewer's zone from seconds since the epoch. */
export function dateTime(epochS) {
  if (missing(epochS)) return NONE;
  return new Date(epochS * 1000).toLocaleString([], { dateStyle: "short", timeStyle: "short" });
}

/** A distance [m]: "850 m", "2.35 km", "41.2 km". */
export function distance(metres) {
  if (missing(metres)) return NONE;
  const m = Number(metres);
  if (Math.abs(m) < 1000) return `${Math.round(m)} m`;
  return `${(m / 1000).toFixed(Math.abs(m) < 10000 ? 2 : 1)} km`;
}

/** A share 0..1 as a whole percentage: "67 %". */
export function percent(fraction) {
  return missing(fraction) ? NONE : `${Math.round(100 * Number(fraction))} %`;
}

/** A quantity with its unit and fixed decimals: quantity(12.34, 1, " m/s") is "12.3 m/s". */
export function quantity(x, digits, unit) {
  return missing(x) ? NONE : `${Number(x).toFixed(digits)}${unit}`;
}

// Text from files, vehicles or people made safe for HTML: element content and
// quoted attribute values alike (a bare textContent round trip leaves quotes).
const ENTITIES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;", "`": "&#96;" };

/** ``text`` with every character that could end an element or an attribute escaped. */
export function escape(text) {
  return (text == null ? "" : String(text)).replace(/[&<>"'`]/g, (c) => ENTITIES[c]);
}
