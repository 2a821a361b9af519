"""Load on the control app: API throughput with 20 demo drones, 100 live-event and 20 video viewers.

Starts ``dronepatrol serve --demo 20`` (simulated cameras at a low frame rate
so that 20 of them fit on a small machine), signs in, then at once:

* holds ``--sse`` server-sent-event clients and ``--mjpeg`` MJPEG viewers open
  for ``--hold`` seconds, counting any connection that drops;
* hammers ``GET /api/vehicles`` from ``--workers`` threads for ``--load``
  seconds, measuring requests/s and latency percentiles;
* measures the server process's CPU over the hold.

Prints the figures; the last line is one JSON object of them.
Usage: python bench/web_load.py [--drones 20] [--sse 100] [--mjpeg 20] [--hold 60]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
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
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def request(port: int, path: str, token: str, body: dict | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if body is not None:
        headers["Content-Type"] = "application/json"
        conn.request("POST", path, json.dumps(body), headers)
    else:
        conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, data


class Streamer(threading.Thread):
    """One long-lived viewer: reads a stream until told to stop; notes a drop."""

    def __init__(self, port: int, path: str, token: str, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.port, self.path, self.token, self.stop = port, path, token, stop
        self.bytes = 0
        self.dropped = False
        self.error = ""

    def run(self) -> None:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            conn.request("GET", self.path, headers={"Authorization": f"Bearer {self.token}"})
            response = conn.getresponse()
            if response.status != 200:
                self.dropped, self.error = True, f"HTTP {response.status}"
                return
            while not self.stop.is_set():
                chunk = response.read1(65536)
                if not chunk:
                    self.dropped, self.error = True, "closed by the server"
                    return
                self.bytes += len(chunk)
            conn.close()
        except OSError as exc:
            if not self.stop.is_set():
                self.dropped, self.error = True, str(exc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drones", type=int, default=20)
    parser.add_argument("--sse", type=int, default=100)
    parser.add_argument("--mjpeg", type=int, default=20)
    parser.add_argument("--hold", type=float, default=60.0)
    parser.add_argument("--load", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()

    port = free_port()
    data = tempfile.mkdtemp(prefix="dronepatrol-webload-")
    env = {**os.environ, "DRONEPATROL_DATA_DIR": data, "DRONEPATROL_ADMIN_PASSWORD": PASSWORD}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dronepatrol",
            "serve",
            "--demo",
            str(args.drones),
            "--port",
            str(port),
            "--video-fps",
            "1",
            "--threads",
            "256",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the server did not start") from None
                time.sleep(0.5)
        _, body = request(port, "/api/login", "", {"username": "admin", "password": PASSWORD})
        token = json.loads(body)["token"]
        while True:  # every demo drone heard
            vehicles = json.loads(request(port, "/api/vehicles", token)[1])["vehicles"]
            if sum(v["link"] == "up" for v in vehicles) >= args.drones:
                break
            if time.monotonic() > deadline + 60:
                raise SystemExit(f"only {len(vehicles)} of {args.drones} drones came up")
            time.sleep(1)
        print(f"server up with {len(vehicles)} drones")

        stop = threading.Event()
        viewers = [Streamer(port, "/api/events", token, stop) for _ in range(args.sse)]
        ids = [v["id"] for v in vehicles]
        viewers += [
            Streamer(port, f"/video/{ids[i % len(ids)]}.mjpg", token, stop)
            for i in range(args.mjpeg)
        ]
        for viewer in viewers:
            viewer.start()
        time.sleep(2.0)
        cpu0, wall0 = cpu_seconds(server.pid), time.monotonic()

        latencies: list[float] = []
        errors = [0]
        lock = threading.Lock()
        load_end = time.monotonic() + args.load

        def worker() -> None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            headers = {"Authorization": f"Bearer {token}"}
            while time.monotonic() < load_end:
                t0 = time.perf_counter()
                try:
                    conn.request("GET", "/api/vehicles", headers=headers)
                    response = conn.getresponse()
                    response.read()
                    ok = response.status == 200
                except OSError:
                    ok = False
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                with lock:
                    if ok:
                        latencies.append(time.perf_counter() - t0)
                    else:
                        errors[0] += 1

        workers = [threading.Thread(target=worker) for _ in range(args.workers)]
        t_load = time.monotonic()
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        load_s = time.monotonic() - t_load
        remaining = args.hold - (time.monotonic() - wall0)
        if remaining > 0:
            time.sleep(remaining)
        cpu1, wall1 = cpu_seconds(server.pid), time.monotonic()
        dropped = [v for v in viewers if v.dropped]
        stop.set()

        latencies.sort()
        figures = {
            "drones": len(vehicles),
            "api_requests": len(latencies),
            "api_errors": errors[0],
            "api_req_per_s": round(len(latencies) / load_s, 1),
            "api_p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
            "api_p99_ms": round(latencies[int(0.99 * (len(latencies) - 1))] * 1000, 1)
            if latencies
            else None,
            "sse_clients": args.sse,
            "mjpeg_viewers": args.mjpeg,
            "held_s": round(wall1 - wall0, 1),
            "dropped_connections": len(dropped),
            "server_cpu_cores": round((cpu1 - cpu0) / (wall1 - wall0), 2),
            "sse_bytes_min": min((v.bytes for v in viewers[: args.sse]), default=0),
            "mjpeg_bytes_min": min((v.bytes for v in viewers[args.sse :]), default=0),
        }
        for v in dropped[:5]:
            print(f"dropped {v.path}: {v.error}")
        print(
            f"/api/vehicles: {figures['api_req_per_s']} req/s, p50 {figures['api_p50_ms']} ms, "
            f"p99 {figures['api_p99_ms']} ms over {load_s:.0f} s ({errors[0]} errors)"
        )
        print(
            f"{args.sse} SSE + {args.mjpeg} MJPEG viewers held {figures['held_s']} s, "
            f"{len(dropped)} dropped; server CPU {figures['server_cpu_cores']} cores"
        )
        print(json.dumps(figures))
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    main()
