// Plays one drone's feed over WebRTC from the Janus media server (video_server
// = janus). Signalling goes through the app's signed-in copy of Janus' HTTP API
// (/video/janus); the video flows from Janus to the browser directly, so the
// station pays nothing per viewer. The caller falls back to MJPEG on failure.

const KEEPALIVE_MS = 25000; // Janus ends a session after 60 s without a request

function transaction() {
  return Math.random().toString(36).slice(2, 14);
}

async function janus(url, body, csrf) {
  const options = { headers: { Accept: "application/json" } };
  if (body !== undefined) {
    options.method = "POST";
    options.headers["Content-Type"] = "application/json";
    options.headers["X-CSRF-Token"] = csrf;
    options.body = JSON.stringify({ ...body, transaction: transaction() });
  }
  const response = await fetch(url, options);
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new Error((data && data.message) || response.statusText);
  if (data && data.janus === "error") throw new Error(`media server: ${data.error && data.error.reason}`);
  return data;
}

function iceGathered(pc, timeoutMs) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => { if (pc.iceGatheringState === "complete") resolve(); };
    pc.addEventListener("icegatheringstatechange", done);
    setTimeout(resolve, timeoutMs);
  });
}

// Watch `mountpoint` in `video`; resolves with { close } once frames play.
export async function playWebRTC(video, { api, mountpoint }, csrf, { timeoutMs = 15000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  const session = (await janus(api, { janus: "create" }, csrf)).data.id;
  const base = `${api}/${session}`;
  let pc = null;
  let keepalive = null;
  const close = () => {
    clearInterval(keepalive);
    if (pc) pc.close();
    janus(base, { janus: "destroy" }, csrf).catch(() => {});
  };
  try {
    const handle = (await janus(base, { janus: "attach", plugin: "janus.plugin.streaming" }, csrf)).data.id;
    keepalive = setInterval(() => janus(base, { janus: "keepalive" }, csrf).catch(() => {}), KEEPALIVE_MS);
    await janus(`${base}/${handle}`, { janus: "message", body: { request: "watch", id: mountpoint } }, csrf);
    let offer = null;
    while (!offer) {
      if (Date.now() > deadline) throw new Error("the media server sent no offer in time");
      const events = await janus(`${base}?maxev=1`);
      for (const event of Array.isArray(events) ? events : [events]) {
        const data = event.plugindata && event.plugindata.data;
        if (data && data.error) throw new Error(`media server: ${data.error}`);
        if (event.jsep) offer = event.jsep;
      }
    }
    pc = new RTCPeerConnection({ iceServers: [] });
    pc.addEventListener("track", (event) => {
      video.srcObject = event.streams[0] || new MediaStream([event.track]);
    });
    await pc.setRemoteDescription(offer);
    await pc.setLocalDescription(await pc.createAnswer());
    await iceGathered(pc, 3000);
    const answer = { type: pc.localDescription.type, sdp: pc.localDescription.sdp };
    await janus(`${base}/${handle}`, { janus: "message", body: { request: "start" }, jsep: answer }, csrf);
    video.muted = true; // autoplay without a gesture needs a muted video
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no video from the media server in time")),
        Math.max(1000, deadline - Date.now()));
      video.addEventListener("playing", () => { clearTimeout(timer); resolve(); }, { once: true });
      video.play().catch(() => {});
    });
    return { close };
  } catch (error) {
    close();
    throw error;
  }
}
