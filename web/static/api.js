// The JSON API: every call carries the session's CSRF token; a refusal becomes an
// Error with the server's message (what to do) and the HTTP status.

const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";

/** Call the API; resolves to the JSON answer, rejects with Error {message, status}. */
export async function api(method, path, body) {
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
