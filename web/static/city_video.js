// The command centre's video: a chosen drone's live feed, played over WebRTC from the
// city's media server (Janus) that its station publishes to. The centre says which
// mountpoint carries the feed (GET /api/city/stations/{station}/vehicles/{vehicle}/video)
// or, in words, why there is none to play; a feed that does not start says so too.

import { api } from "./api.js";
import { playWebRTC } from "./webrtc_player.js";

const CHOOSE = "Choose a drone to watch its live video.";

/**
 * The video panel: ``select`` lists the city's drones (``update(vehicles)`` with
 * GET /api/city's vehicles), ``video`` plays the chosen one, ``message`` says what
 * happens in words.
 */
export function cityVideo({ select, video, message }) {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  let playing = null; // the WebRTC session shown, if any
  let chosen = ""; // "station/vehicle"

  function say(text, error = false) {
    message.className = error ? "answer error" : "answer";
    message.textContent = text;
  }

  function stop() {
    if (playing) playing.close();
    playing = null;
    video.hidden = true;
    video.removeAttribute("aria-label");
  }

  async function watch(key) {
    stop();
    chosen = key;
    if (!key) { say(CHOOSE); return; }
    const option = select.querySelector(`option[value="${CSS.escape(key)}"]`);
    const { station, vehicle } = option.dataset;
    say(`Asking for the video of ${vehicle} (station ${station})…`);
    let answer;
    try {
      answer = await api("GET", `/api/city/stations/${encodeURIComponent(station)}/vehicles/${encodeURIComponent(vehicle)}/video`);
    } catch (e) {
      if (chosen === key) say(`No video of ${vehicle}: ${e.message}`, true);
      return;
    }
    if (chosen !== key) return;
    if (!answer.webrtc) { say(`No video of ${vehicle}: ${answer.reason}.`, true); return; }
    if (!window.RTCPeerConnection) { say("This browser cannot play WebRTC video.", true); return; }
    say(`Connecting to the media server for ${vehicle}…`);
    try {
      const session = await playWebRTC(video, answer.webrtc, csrf);
      if (chosen !== key) { session.close(); return; }
      playing = session;
      video.setAttribute("aria-label", `Live video of ${vehicle} (station ${station})`);
      video.hidden = false;
      say(`Live: ${vehicle} of station ${station}${answer.stale ? " (its station is stale: the picture may freeze)" : ""}.`);
    } catch (e) {
      if (chosen === key) say(`The media server did not play ${vehicle}'s video: ${e.message}.`, true);
    }
  }

  select.addEventListener("change", () => watch(select.value));
  say(CHOOSE);

  return {
    /** Keep the list of drones to choose from in step with the city's. */
    update(vehicles) {
      const keys = vehicles.map((v) => `${v.station}/${v.vehicle}`);
      const have = [...select.options].slice(1).map((o) => o.value);
      if (JSON.stringify(keys) === JSON.stringify(have)) return;
      select.replaceChildren(select.options[0], ...vehicles.map((v) => {
        const option = document.createElement("option");
        option.value = `${v.station}/${v.vehicle}`;
        option.dataset.station = v.station;
        option.dataset.vehicle = v.vehicle;
        option.textContent = `${v.vehicle} (${v.station})`; // text, never markup
        return option;
      }));
      select.value = keys.includes(chosen) ? chosen : "";
    },
  };
}
