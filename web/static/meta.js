// What the server knows and the pages must not copy (GET /api/meta, asked once per
// page): the roles and the operations each may call, and the flight commands with
// their labels, confirmations and preconditions.

import { api } from "./api.js";

let served = null;
try {
  served = await api("GET", "/api/meta");
} catch (e) {
  served = null; // signed out: nothing may be called, no command is shown
}

/** The signed-in user's role name, "" when nobody is signed in. */
export function role() {
  return document.body.dataset.role || "";
}

/**
 * Whether the signed-in user may call ``operation``, written as the API document
 * names it: may("POST /api/incidents/{incident_id}/dispatch").
 */
export function may(operation) {
  const rights = served && served.roles.find((r) => r.name === role());
  return Boolean(rights && rights.may.includes(operation));
}

/** The flight command ``name`` ({name, label, risky, question, needs, arguments}), or undefined. */
export function command(name) {
  return served ? served.commands.find((c) => c.name === name) : undefined;
}
