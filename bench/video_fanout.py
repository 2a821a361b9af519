"""What many viewers of one feed cost the station: Janus fan-out against MJPEG.

One station process (the web app on loopback, one vehicle) publishes a
25 fps 720p annotated feed, as its video pipeline does: every frame JPEG
encoded once into the vehicle's frame buffer and, with
``video_server = janus``, encoded once to H.264 (2.5 Mbit/s cap) and sent
as RTP to Janus, a child process. Frames are real annotated frames of the
simulated camera, made before the clock starts.

Sections, each with a fresh station:

* ``janus_1`` / ``janus_100``: 1 or 100 WebRTC viewers (aiortc, in four
  processes, niced) join through the app's Janus routes exactly as the
  video page does (bearer token instead of a cookie), then watch. Once Janus
  reports them all watching and each has frames, the station's CPU over
  ``SECONDS`` is measured from /proc, with Janus' beside it, twice: with the
  viewers running on this machine, and with them stopped (SIGSTOP) as if
  they were other machines (``..._viewers_elsewhere_...``): Janus sends to
  all of them either way. The viewers count every frame and byte they get
  but do not decode (the point is the station's cost, and a hundred 720p
  decoders would not fit on the machine). Station CPU is also given per
  published frame, since on a shared machine runs publish at different rates.
* ``builtin_0`` / ``builtin_1`` / ``builtin_100``: the default path: no,
  1 or 100 MJPEG viewers on the app's own video route (waitress, one
  thread each), read by threads of the bench. MJPEG's cost follows what the
  viewers take, and on a shared machine the bench's readers may not take
  25 fps each; the cost per delivered frame is then also scaled to 100
  viewers at 25 fps (``..._at_25fps_each_est``, marked as an estimate).

Figures: station CPU as % of one core, what each viewer received (Mbit/s,
frames/s), Janus' CPU. The goal: 100 viewers through Janus cost the station
what one does; MJPEG's cost grows with each viewer.
Prints each section's figures, then the last line: one JSON object of all.
Needs Janus (``apt-get install janus``) and aiortc (the dev extras).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

FPS = 25.0
SECONDS = 10.0
VIEWER_PROCESSES = 4
CONNECT_TIMEOUT_S = 180.0
UNCHANGED_TOLERANCE = 0.15
"""100 viewers "cost the station the same" when each published frame costs it within 15 %."""

sys.path.insert(0, str(Path(__file__).resolve().parent))


# -- the station ---------------------------------------------------------------


def _annotated_frames(count: int = 50) -> list:
    """Real annotated 720p frames (simulated camera, detection, HUD), as BGR images."""
    from video_pipeline import _scene, _snapshot

    from dronepatrol.video.camera import CameraPose, Gimbal
    from dronepatrol.video.frames import Frame, FrameBuffer
    from dronepatrol.video.pipeline import VideoPipeline
    from dronepatrol.video.simcam import SimulatedCamera
    from dronepatrol.video.sources import VideoSource

    camera = SimulatedCamera(_scene())
    maker = VideoPipeline("1", VideoSource("bench"), FrameBuffer())
    images = []
    for i in range(count):
        snap = _snapshot(i / FPS)
        pose = CameraPose.from_snapshot(snap, Gimbal())
        image, _ = camera.render(pose, i / FPS)
        maker.process(Frame(image, time.time(), i + 1, {"pose": pose, "snapshot": snap}))
        images.append(image)  # process() drew the boxes and HUD into it
    return images


def station(mode: str, port: int, workdir: str) -> None:
    """The web app with one vehicle's feed; prints ``ready``, then its status on stdin EOF."""
    import cv2

    from dronepatrol.settings import Settings
    from dronepatrol.web import create_app

    cv2.setNumThreads(1)
    app = create_app({"SETTINGS": Settings(data_dir=Path(workdir))})
    buffer = app.extensions["video"].ensure("1", "Copter-1")
    images = _annotated_frames()
    jpegs = [cv2.imencode(".jpg", im, [cv2.IMWRITE_JPEG_QUALITY, 80])[1].tobytes() for im in images]
    order = list(range(len(images))) + list(range(len(images) - 2, 0, -1))
    publisher = None
    fanout = None
    if mode == "janus":
        from dronepatrol.video.media_server import JanusConfig, JanusServer, MediaFanout

        fanout = MediaFanout(JanusServer(JanusConfig(ice_interfaces=("lo",)))).start()
        app.extensions["media_server"] = fanout
        publisher = fanout.publisher_for("1")
    stop = threading.Event()

    def feed() -> None:
        """What the pipeline does per frame after annotating: JPEG once, H.264 once."""
        start, n = time.monotonic(), 0
        while not stop.is_set():
            k = order[n % len(order)]
            if publisher is not None:
                publisher.submit(images[k], time.time())
            buffer.publish(
                cv2.imencode(".jpg", images[k], [cv2.IMWRITE_JPEG_QUALITY, 80])[1].tobytes(),
                time.time(),
                1280,
                720,
            )
            n += 1
            stop.wait(max(0.0, start + n / FPS - time.monotonic()))

    threading.Thread(target=feed, daemon=True).start()
    from waitress.server import create_server

    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 262144)
    listener.bind(("127.0.0.1", port))
    server = create_server(
        app,
        sockets=[listener],
        threads=120,
        connection_limit=300,
        outbuf_high_watermark=1 << 20,
    )
    threading.Thread(target=server.run, daemon=True).start()
    accounts = app.extensions["dronepatrol"].accounts
    token = accounts.issue_token(accounts.add_user("bench", "viewer", "bench-viewer-pass")).token
    mountpoint = fanout.mountpoint("1").id if fanout else 0
    janus_pid = fanout.server.pid if fanout else 0
    print(f"ready {token} {mountpoint} {janus_pid}", flush=True)
    sys.stdin.read()
    stop.set()
    result = {
        "buffer": buffer.status(),
        "jpeg_bytes": sum(len(j) for j in jpegs) / len(jpegs),
        "publisher": publisher.status() if publisher else None,
    }
    if fanout is not None:
        fanout.stop()
    print(json.dumps(result), flush=True)
    os._exit(0)


def cpu_s(pid: int) -> float:
    """CPU time (user + system) of a process so far [s]."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Station:
    def __init__(self, mode: str) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.workdir = tempfile.mkdtemp(prefix="dronepatrol-bench-fanout-")
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--station", mode, str(self.port), self.workdir],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().split()
        if not line or line[0] != "ready":
            raise RuntimeError(f"bench station did not start: {line!r}")
        self.token, self.mountpoint, self.janus_pid = line[1], int(line[2]), int(line[3])
        self.base = f"http://127.0.0.1:{self.port}"

    def get(self, path: str) -> dict:
        request = urllib.request.Request(
            self.base + path, headers={"Authorization": f"Bearer {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def finish(self) -> dict:
        try:
            out, _ = self.proc.communicate("", timeout=60)
            return json.loads(out.strip().splitlines()[-1])
        finally:
            shutil.rmtree(self.workdir, ignore_errors=True)


# -- WebRTC viewers -------------------------------------------------------------


def viewer_process(api: str, mountpoint: int, count: int, token: str, stats: str) -> None:
    """``count`` WebRTC viewers until stdin closes; their running totals go to ``stats``."""
    from concurrent.futures import ThreadPoolExecutor

    from dronepatrol.video.webrtc_viewer import ViewerReport, use_frame_counter, watch

    use_frame_counter(decode=False)
    os.nice(10)  # the viewers stand in for other machines: the station comes first here
    headers = {"Authorization": f"Bearer {token}"}
    reports = [ViewerReport() for _ in range(count)]

    async def main() -> list:
        loop = asyncio.get_running_loop()
        loop.set_default_executor(ThreadPoolExecutor(count + 4))
        stop = asyncio.Event()
        threading.Thread(
            target=lambda: (sys.stdin.read(), loop.call_soon_threadsafe(stop.set)), daemon=True
        ).start()

        async def publish_totals() -> None:
            while not stop.is_set():
                totals = {
                    "frames": sum(r.frames for r in reports),
                    "bytes": sum(r.bytes_received for r in reports),
                    "receiving": sum(1 for r in reports if r.frames),
                }
                Path(stats + ".tmp").write_text(json.dumps(totals))
                os.replace(stats + ".tmp", stats)
                await asyncio.sleep(0.5)

        totals = asyncio.ensure_future(publish_totals())
        viewers = [
            watch(api, mountpoint, 3600, headers=headers, stop=stop, offer_timeout_s=120, report=r)
            for r in reports
        ]
        results = await asyncio.gather(*viewers, return_exceptions=True)
        await totals
        return results

    results = asyncio.run(main())
    failed = [repr(r) for r in results if isinstance(r, BaseException)]
    print(json.dumps({"failed": failed}), flush=True)
    os._exit(0)


class Viewers:
    """WebRTC viewers in a few processes, with their running totals."""

    def __init__(self, station: Station, viewers: int) -> None:
        self.workdir = tempfile.mkdtemp(prefix="dronepatrol-bench-viewers-")
        counts = [
            viewers // VIEWER_PROCESSES + (k < viewers % VIEWER_PROCESSES)
            for k in range(VIEWER_PROCESSES)
        ]
        self.stats = [f"{self.workdir}/{k}.json" for k in range(VIEWER_PROCESSES) if counts[k]]
        self.procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    __file__,
                    "--viewers",
                    station.base + "/video/janus",
                    str(station.mountpoint),
                    str(n),
                    station.token,
                    path,
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            for n, path in zip([c for c in counts if c], self.stats, strict=True)
        ]

    def totals(self) -> dict:
        out = {"frames": 0, "bytes": 0, "receiving": 0}
        for path in self.stats:
            try:
                for key, value in json.loads(Path(path).read_text()).items():
                    out[key] += value
            except (OSError, ValueError):
                pass
        return out

    def pause(self, paused: bool) -> None:
        """Stop (or resume) every viewer process, as if the viewers were other machines."""
        for proc in self.procs:
            proc.send_signal(signal.SIGSTOP if paused else signal.SIGCONT)

    def finish(self) -> list[str]:
        failed: list[str] = []
        for proc in self.procs:
            proc.send_signal(signal.SIGCONT)
            out, _ = proc.communicate("", timeout=120)
            failed += json.loads(out.strip().splitlines()[-1])["failed"]
        shutil.rmtree(self.workdir, ignore_errors=True)
        return failed


def _window(station: Station, viewers: Viewers) -> dict:
    """Station and Janus CPU, frames published and received over ``SECONDS``."""
    frames0 = station.get("/video/media-server")["feeds"]["1"]["publisher"]["frames"]
    seen0 = viewers.totals()
    cpu0, jcpu0, t0 = cpu_s(station.proc.pid), cpu_s(station.janus_pid), time.monotonic()
    time.sleep(SECONDS)
    cpu1, jcpu1, t1 = cpu_s(station.proc.pid), cpu_s(station.janus_pid), time.monotonic()
    seen1 = viewers.totals()
    feed = station.get("/video/media-server")["feeds"]["1"]
    elapsed, published = t1 - t0, feed["publisher"]["frames"] - frames0
    return {
        "station_cpu_pct_of_core": round(100 * (cpu1 - cpu0) / elapsed, 1),
        "station_published_fps": round(published / elapsed, 1),
        "station_cpu_ms_per_published_frame": round(1000 * (cpu1 - cpu0) / max(1, published), 2),
        "janus_cpu_pct_of_core": round(100 * (jcpu1 - jcpu0) / elapsed, 1),
        "viewers_received_fps_total": round((seen1["frames"] - seen0["frames"]) / elapsed, 1),
        "viewers_received_mbps_total": round(
            (seen1["bytes"] - seen0["bytes"]) * 8 / elapsed / 1e6, 2
        ),
        "viewers_watching": feed.get("viewers", 0),
    }


def janus_section(count: int) -> dict:
    station = Station("janus")
    viewers = Viewers(station, count)
    prefix = f"janus_{count}"
    try:
        deadline = time.monotonic() + CONNECT_TIMEOUT_S
        while time.monotonic() < deadline:
            joined = station.get("/video/media-server")["feeds"]["1"].get("viewers", 0)
            if joined >= count and viewers.totals()["receiving"] >= count:
                break
            time.sleep(1.0)
        time.sleep(2.0)  # past the joins' signalling
        # The viewers run beside the station (niced), then stand still as if they were
        # other machines: Janus keeps sending to all of them either way.
        running = _window(station, viewers)
        viewers.pause(True)
        time.sleep(1.0)
        elsewhere = _window(station, viewers)
        viewers.pause(False)
        receiving = viewers.totals()["receiving"]
    finally:
        failed = viewers.finish()
        status = station.finish()
    figures = {f"{prefix}_viewers_receiving": receiving}
    figures.update({f"{prefix}_{key}": value for key, value in running.items()})
    figures.update(
        {
            f"{prefix}_viewers_elsewhere_{key}": value
            for key, value in elsewhere.items()
            if key.startswith(("station", "janus", "viewers_watching"))
        }
    )
    figures[f"{prefix}_viewers_failed"] = len(failed)
    figures[f"{prefix}_station_sent_mbps"] = round(status["publisher"]["bitrate_bps"] / 1e6, 2)
    figures[f"{prefix}_station_dropped_frames_total"] = status["publisher"]["dropped"]
    return figures


# -- MJPEG viewers ----------------------------------------------------------------


def builtin_section(viewers: int) -> dict:
    station = Station("builtin")
    received = [0] * viewers
    stop = threading.Event()

    def view(k: int) -> None:
        sock = socket.create_connection(("127.0.0.1", station.port))
        sock.sendall(
            b"GET /video/1.mjpg HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + f"Authorization: Bearer {station.token}\r\n\r\n".encode()
        )
        buf = bytearray(1 << 20)
        sock.settimeout(5)
        try:
            while not stop.is_set():
                n = sock.recv_into(buf)
                if n == 0:
                    return
                received[k] += n
        except OSError:
            return
        finally:
            sock.close()

    threads = [threading.Thread(target=view, args=(k,), daemon=True) for k in range(viewers)]
    for thread in threads:
        thread.start()
    time.sleep(3.0)
    cpu0, bytes0, t0 = cpu_s(station.proc.pid), sum(received), time.monotonic()
    time.sleep(SECONDS)
    cpu1, bytes1, t1 = cpu_s(station.proc.pid), sum(received), time.monotonic()
    stop.set()
    status = station.finish()
    elapsed = t1 - t0
    prefix = f"builtin_{viewers}"
    figures = {
        f"{prefix}_station_cpu_pct_of_core": round(100 * (cpu1 - cpu0) / elapsed, 1),
        f"{prefix}_jpeg_kB": round(status["jpeg_bytes"] / 1000, 1),
    }
    if viewers:
        delivered = (bytes1 - bytes0) / status["jpeg_bytes"]  # frames, all viewers
        figures[f"{prefix}_viewer_mbps_mean"] = round(
            (bytes1 - bytes0) * 8 / elapsed / viewers / 1e6, 2
        )
        figures[f"{prefix}_viewer_fps_mean"] = round(delivered / elapsed / viewers, 1)
        figures[f"{prefix}_delivered_fps_total"] = round(delivered / elapsed, 1)
    return figures


def main() -> None:
    if shutil.which("janus") is None:
        print("skipped: Janus is not installed (apt-get install janus, or make system-deps)")
        print(json.dumps({"skipped": "janus not installed"}))
        return
    figures: dict = {}
    for name, section in (
        ("janus_1", lambda: janus_section(1)),
        ("janus_100", lambda: janus_section(100)),
        ("builtin_0", lambda: builtin_section(0)),
        ("builtin_1", lambda: builtin_section(1)),
        ("builtin_100", lambda: builtin_section(100)),
    ):
        result = section()
        figures.update(result)
        print(f"== {name}")
        for key, value in result.items():
            print(f"  {key}: {value}")
    print(json.dumps(verdicts(figures)))


def verdicts(figures: dict) -> dict:
    """The figures with the comparisons the goal asks for."""
    figures = dict(figures)
    # Per published frame: on a shared machine one run may get fewer frames out than
    # another; what each frame costs the station is the fair comparison.
    one = figures["janus_1_viewers_elsewhere_station_cpu_ms_per_published_frame"]
    many = figures["janus_100_viewers_elsewhere_station_cpu_ms_per_published_frame"]
    figures["janus_station_cpu_per_frame_100_vs_1"] = round(many / one, 3) if one else None
    figures["janus_station_cpu_unchanged"] = figures[
        "janus_100_viewers_elsewhere_viewers_watching"
    ] >= 100 and many <= one * (1 + UNCHANGED_TOLERANCE)
    # MJPEG's cost follows what the viewers take: when the bench's own readers take
    # less than 25 fps each, its cost per delivered frame is scaled to 100 viewers
    # at the full 25 fps (on top of encoding with no viewer). An estimate.
    idle = figures["builtin_0_station_cpu_pct_of_core"]
    delivered = figures["builtin_100_delivered_fps_total"]
    per_frame_pct = (figures["builtin_100_station_cpu_pct_of_core"] - idle) / max(1.0, delivered)
    figures["builtin_100_station_cpu_pct_at_25fps_each_est"] = round(
        idle + per_frame_pct * FPS * 100, 1
    )
    figures["janus_100_cheaper_than_builtin_100"] = (
        figures["janus_100_viewers_elsewhere_station_cpu_pct_of_core"]
        < figures["builtin_100_station_cpu_pct_at_25fps_each_est"]
    )
    return figures


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--station":
        station(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    elif len(sys.argv) > 1 and sys.argv[1] == "--viewers":
        viewer_process(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6])
    else:
        main()
