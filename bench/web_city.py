"""The control app at city scale: the generated city's network, 48 simulated drones, 50 viewers.

Starts ``dronepatrol serve`` with the generated real-shaped city
(:func:`dronepatrol.network.city.real_city_network`: 129 grids, 105 lines,
677 points, 16 stations) and ``--demo 48`` (three drones a station, no simulated
cameras unless ``--cameras``), waits until every drone is heard, then measures:

* ``GET /api/network``: the first answer, the median of later ones, and a
  revalidation with its ETag (goal: <= 200 ms);
* the Operations page in Chromium (Debian's, driven by Playwright): the time
  from navigation to the map holding every grid, line, point and drone
  (goal: first full render <= 2 s), then frame intervals and long tasks
  (PerformanceObserver) over ``--watch`` seconds of live updates, and any
  console error;
* ``--viewers`` event streams (``GET /api/events``) held at once (the
  per-account stream cap raised by setting for the bench): the telemetry each
  receives per drone per second against the hub's rate, and the server's CPU.

Prints the figures; the last line is one JSON object of them.
Usage: python bench/web_city.py [--drones 48] [--viewers 50] [--watch 10]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

PASSWORD = "bench-admin-pass"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its threads [s], from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def call(port: int, method: str, path: str, token: str = "", body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    sent = dict(headers or {})
    if token:
        sent["Authorization"] = f"Bearer {token}"
    if body is not None:
        sent["Content-Type"] = "application/json"
        conn.request(method, path, json.dumps(body), sent)
    else:
        conn.request(method, path, headers=sent)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, data


class EventViewer(threading.Thread):
    """One browser's event stream: counts telemetry messages per vehicle."""

    def __init__(self, port: int, token: str, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.port, self.token, self.stop = port, token, stop
        self.telemetry: dict[str, int] = {}
        self.counting = False
        self.error = ""

    def run(self) -> None:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            conn.request("GET", "/api/events", headers={"Authorization": f"Bearer {self.token}"})
            response = conn.getresponse()
            if response.status != 200:
                self.error = f"HTTP {response.status}"
                return
            buffered = b""
            while not self.stop.is_set():
                chunk = response.read1(65536)
                if not chunk:
                    self.error = "closed by the server"
                    return
                buffered += chunk
                *messages, buffered = buffered.split(b"\n\n")
                for message in messages:
                    if not self.counting or b"event: telemetry" not in message:
                        continue
                    data = message.split(b"data: ", 1)[1]
                    vehicle = json.loads(data)["data"]["vehicle"]["id"]
                    self.telemetry[vehicle] = self.telemetry.get(vehicle, 0) + 1
            conn.close()
        except OSError as exc:
            if not self.stop.is_set():
                self.error = str(exc)


# In the page: its map module's Leaflet map, made reachable (the page's scripts are
# ES modules and share nothing through window; the same URL imports the same module).
EXPOSE_MAP = """async () => {
  const { mapOf } = await import("/static/map.js");
  window.operationsMap = () => mapOf(document.getElementById("map"));
}"""

# In the page: the Operations map's layers counted by kind, drones by their icon.
COUNT_LAYERS = """() => {
  const map = window.operationsMap && window.operationsMap();
  if (!map) return null;
  const counts = { grid: 0, line: 0, point: 0, station: 0, drones: 0 };
  map.eachLayer((l) => {
    const kind = l.feature && l.feature.properties && l.feature.properties.kind;
    if (kind in counts) counts[kind] += 1;
    if (l.options && l.options.icon && l.options.icon.options.className === "drone-icon") {
      counts.drones += 1;
    }
  });
  return counts;
}"""

FULL_RENDER = (
    "([grids, lines, points, drones]) => {\n"
    f"  const c = ({COUNT_LAYERS})();\n"
    "  if (!c || c.grid < grids || c.line < lines || c.point < points || c.drones < drones) {\n"
    "    return false;\n"
    "  }\n"
    "  return performance.now();\n"
    "}"
)

WATCH = """async (seconds) => {
  const long = [];
  const observer = new PerformanceObserver((list) => list.getEntries().forEach(
    (e) => long.push(e.duration)));
  observer.observe({ type: "longtask", buffered: false });
  const frames = [];
  let last = performance.now();
  const end = last + seconds * 1000;
  await new Promise((done) => {
    function tick(now) {
      frames.push(now - last);
      last = now;
      if (now < end) requestAnimationFrame(tick); else done();
    }
    requestAnimationFrame(tick);
  });
  observer.disconnect();
  return { frames, long };
}"""


def browser_figures(base: str, drones: int, expect: dict[str, int], watch_s: float) -> dict:
    """Chromium on the Operations page: first full render, then frames while drones move."""
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        raise SystemExit("Chromium is not installed: run `make system-deps`")
    args = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=args)
        # wait_for_function evaluates strings, which the app's CSP forbids
        context = browser.new_context(
            base_url=base, viewport={"width": 1366, "height": 800}, bypass_csp=True
        )
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto("/login")
        page.fill("input[name=username]", "admin")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/")
        renders = []
        for _ in range(3):  # the first load fills the browser's cache; later ones revalidate
            page.goto("/")
            page.evaluate(EXPOSE_MAP)
            wanted = [expect["grid"], expect["line"], expect["point"], drones]
            handle = page.wait_for_function(FULL_RENDER, arg=wanted, polling="raf", timeout=60000)
            renders.append(handle.json_value())
        counts = page.evaluate(f"({COUNT_LAYERS})()")
        watched = page.evaluate(WATCH, watch_s)
        browser.close()
    frames = sorted(watched["frames"][1:])
    return {
        "first_render_ms": round(renders[0], 1),
        "render_ms": [round(r, 1) for r in renders],
        "map_counts": counts,
        "frames": len(frames),
        "frame_p50_ms": round(statistics.median(frames), 1) if frames else None,
        "frame_p95_ms": round(frames[int(0.95 * (len(frames) - 1))], 1) if frames else None,
        "frame_max_ms": round(frames[-1], 1) if frames else None,
        "frames_over_50ms": sum(f > 50 for f in frames),
        "long_tasks": len(watched["long"]),
        "long_task_max_ms": round(max(watched["long"], default=0.0), 1),
        "long_task_total_ms": round(sum(watched["long"]), 1),
        "console_errors": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drones", type=int, default=48)
    parser.add_argument("--viewers", type=int, default=50)
    parser.add_argument("--watch", type=float, default=10.0, help="seconds of live updates")
    parser.add_argument("--hold", type=float, default=20.0, help="seconds the viewers count")
    parser.add_argument("--speedup", type=float, default=1.0, help="simulated time speed-up")
    parser.add_argument(
        "--airborne", type=int, default=24, help="drones in the air before measuring (<= 3 min)"
    )
    parser.add_argument(
        "--cameras",
        type=int,
        default=0,
        help="simulated cameras (their synthetic city takes minutes to build at city scale)",
    )
    args = parser.parse_args()

    from dronepatrol.network.city import real_city_network
    from dronepatrol.web.stream import TELEMETRY_HZ

    data_dir = Path(tempfile.mkdtemp(prefix="dronepatrol-webcity-"))
    city = real_city_network(0)
    kinds = [f["properties"].get("kind") for f in city["features"]]
    expect = {k: kinds.count(k) for k in ("grid", "line", "point", "station")}
    network_file = data_dir / "city.geojson"
    network_file.write_text(json.dumps(city))
    port = free_port()
    env = {
        **os.environ,
        "DRONEPATROL_DATA_DIR": str(data_dir / "data"),
        "DRONEPATROL_ADMIN_PASSWORD": PASSWORD,
        "DRONEPATROL_MAX_STREAMS_PER_USER": str(args.viewers + 8),  # the browser's too
    }
    command = [
        sys.executable,
        "-m",
        "dronepatrol",
        "serve",
        "--port",
        str(port),
        "--network",
        str(network_file),
        "--demo",
        str(args.drones),
        "--demo-cameras",
        str(args.cameras),
        "--video-fps",
        "2",
        "--threads",
        "256",
        "--schedule",
        "auto",  # the drones fly patrol sorties on their own: the map moves
        "--speedup",
        str(args.speedup),
    ]
    log = open(data_dir / "serve.log", "wb")  # noqa: SIM115 (open while the server runs)
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    stop = threading.Event()
    finished = False
    try:
        started = time.monotonic()
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2):
                    break
            except OSError:
                if time.monotonic() - started > 180 or server.poll() is not None:
                    raise SystemExit("the server did not start; see its log") from None
                time.sleep(0.5)
        login = {"username": "admin", "password": PASSWORD}
        token = json.loads(call(port, "POST", "/api/login", body=login)[2])["token"]
        while True:  # every demo drone heard
            vehicles = json.loads(call(port, "GET", "/api/vehicles", token)[2])["vehicles"]
            up = sum(v["link"] == "up" for v in vehicles)
            if up >= args.drones:
                break
            if time.monotonic() - started > 300:
                raise SystemExit(f"only {up} of {args.drones} drones came up")
            time.sleep(1)
        up_s = time.monotonic() - started
        # the scheduler (auto) sends them on patrol: wait for drones in the air
        while True:
            vehicles = json.loads(call(port, "GET", "/api/vehicles", token)[2])["vehicles"]
            airborne = sum(bool(v.get("airborne")) for v in vehicles)
            if airborne >= args.airborne or time.monotonic() - started - up_s > 180:
                break
            time.sleep(2)
        print(f"{airborne} drones in the air")
        print(f"server up with {up} drones over {sum(expect.values())} features in {up_s:.0f} s")

        # /api/network: first answer, later ones, a revalidation
        timings = []
        for _ in range(11):
            t0 = time.perf_counter()
            status, headers, body = call(port, "GET", "/api/network", token)
            timings.append((time.perf_counter() - t0) * 1000.0)
            assert status == 200, status
        etag = headers.get("etag", "")
        t0 = time.perf_counter()
        status_304 = call(port, "GET", "/api/network", token, headers={"If-None-Match": etag})[0]
        revalidate_ms = (time.perf_counter() - t0) * 1000.0
        network = {
            "first_ms": round(timings[0], 1),
            "median_ms": round(statistics.median(timings[1:]), 1),
            "max_ms": round(max(timings[1:]), 1),
            "bytes": len(body),
            "revalidate_status": status_304,
            "revalidate_ms": round(revalidate_ms, 1),
        }
        print(
            f"/api/network {network['bytes'] / 1e6:.1f} MB: first {network['first_ms']} ms, "
            f"then median {network['median_ms']} ms, worst {network['max_ms']} ms; "
            f"revalidated {status_304} in {network['revalidate_ms']} ms"
        )

        # viewers' event streams (the per-account stream cap is raised for the bench)
        tokens = [token]
        viewers = [EventViewer(port, tokens[i % len(tokens)], stop) for i in range(args.viewers)]
        for viewer in viewers:
            viewer.start()
        time.sleep(3.0)
        cpu0, wall0 = cpu_seconds(server.pid), time.monotonic()
        for viewer in viewers:
            viewer.telemetry.clear()
            viewer.counting = True

        browser = browser_figures(f"http://127.0.0.1:{port}", args.drones, expect, args.watch)
        remaining = args.hold - (time.monotonic() - wall0)
        if remaining > 0:
            time.sleep(remaining)
        for viewer in viewers:
            viewer.counting = False
        cpu1, wall1 = cpu_seconds(server.pid), time.monotonic()
        held = wall1 - wall0
        rates = [sum(v.telemetry.values()) / (args.drones * held) for v in viewers if not v.error]
        streams = {
            "viewers": args.viewers,
            "failed": [v.error for v in viewers if v.error][:5],
            "failed_count": sum(bool(v.error) for v in viewers),
            "held_s": round(held, 1),
            "telemetry_hz_goal": TELEMETRY_HZ,
            "telemetry_hz_per_drone_min": round(min(rates), 2) if rates else None,
            "telemetry_hz_per_drone_median": round(statistics.median(rates), 2) if rates else None,
            "drones_heard_min": min((len(v.telemetry) for v in viewers), default=0),
            "server_cpu_cores": round((cpu1 - cpu0) / held, 2),
        }
        print(
            f"Operations map in Chromium: first full render {browser['first_render_ms']} ms "
            f"(then {browser['render_ms'][1:]}), counts {browser['map_counts']}"
        )
        print(
            f"   live updates over {args.watch:g} s: {browser['frames']} frames, interval p50 "
            f"{browser['frame_p50_ms']} ms, p95 {browser['frame_p95_ms']} ms, worst "
            f"{browser['frame_max_ms']} ms, {browser['frames_over_50ms']} over 50 ms; "
            f"{browser['long_tasks']} long tasks (worst {browser['long_task_max_ms']} ms); "
            f"{len(browser['console_errors'])} console errors"
        )
        print(
            f"{args.viewers} event streams held {streams['held_s']} s "
            f"({streams['failed_count']} failed): telemetry per drone min "
            f"{streams['telemetry_hz_per_drone_min']} Hz, median "
            f"{streams['telemetry_hz_per_drone_median']} Hz (hub rate {TELEMETRY_HZ} Hz), "
            f"every drone heard by each: {streams['drones_heard_min'] >= args.drones}; "
            f"server CPU {streams['server_cpu_cores']} cores"
        )
        print(
            json.dumps(
                {
                    "drones": up,
                    "airborne": airborne,
                    "features": expect,
                    "server_up_s": round(up_s, 1),
                    "api_network": network,
                    "browser": browser,
                    "streams": streams,
                }
            )
        )
        finished = True
    finally:
        stop.set()
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        if finished:
            shutil.rmtree(data_dir, ignore_errors=True)
        else:
            print(f"the server's log is kept: {data_dir / 'serve.log'}", file=sys.stderr)


if __name__ == "__main__":
    main()
