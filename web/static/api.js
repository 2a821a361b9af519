// The JSON API: every call carries the session's CSRF token; a refusal becomes an
// Error with the server's message (what to do) and the HTTP status.

const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";

// The server's clock minus ours [ms], from the newest answer's Date header. The header
// counts whole seconds (it drops the fraction), so half a second is added back: the
// server's time is then known to about half a second, which a countdown needs when
// this computer's clock is off.
let serverOffsetMs = 0;

/** The server's time now [s since the epoch], as its answers tell it. */
export function serverNowS() {
  return (Date.now() + serverOffsetMs) / 1000;
}

/** Call the API; resolves to the JSON answer, rejects with Error {message, status}. */
export async function api(method, path, body) {
  const options = { method, headers: { Accept: "application/json" } };
  if (method !== "GET") options.headers["X-CSRF-Token"] = csrf;
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  const sent = Date.parse(response.headers.get("Date") || "");
  if (!Number.isNaN(sent)) serverOffsetMs = sent + 500 - Date.now();
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
