// The live event stream (server-sent events from /api/events), one connection per
// page, and the outcomes of queued operations by request id.

const listeners = {};
let source = null;

/** Call handler(event) for every stream event of this kind ("telemetry", "dispatch"...). */
export function on(kind, handler) {
  if (!source) source = new EventSource("/api/events");
  if (!listeners[kind]) {
    listeners[kind] = [];
    source.addEventListener(kind, (e) => {
      const event = JSON.parse(e.data);
      listeners[kind].forEach((h) => h(event));
    });
  }
  listeners[kind].push(handler);
}

// A quick operation's result event can arrive before its POST's answer does, so
// results are kept a while, from the moment the page loads.
const outcomes = new Map();
const waiting = new Map();
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

/** The command_result of a queued operation (its POST's request_id), when it comes. */
export function outcome(requestId) {
  if (outcomes.has(requestId)) return Promise.resolve(outcomes.get(requestId));
  return new Promise((resolve) => waiting.set(requestId, resolve));
}
