"""Live video figures: annotation speed, viewer fan-out cost, latency, recording.

Sections, each in its own process:

1. ``one_core``: the annotated 720p frame rate with motion detection on one
   core (the process is pinned to one CPU and OpenCV to one thread): per
   frame, detection + tracking + geotagging, HUD, JPEG encoding and
   publishing to the frame buffer. The simulated camera's rendering (the
   stand-in for a real camera) is timed separately and not counted. Both
   wall-clock and CPU-time rates are given: on a shared machine the CPU
   time is what the work costs, the wall clock what it got.
2. ``viewers``: server CPU for 50 concurrent MJPEG viewers of one 25 fps
   720p stream on loopback, as a share of one core, through the dedicated
   fan-out server (:mod:`dronepatrol.video.streamer`); ``viewers_wsgi``: the
   same through the web app's route under waitress, for comparison.
3. ``latency``: capture-to-client latency p50/p95 of the full live chain
   (camera feed -> pipeline -> fan-out server -> MJPEG client on loopback);
   ``latency_wsgi`` through the web app's route. The feed replays
   pre-rendered 720p frames, decoding each one as a real feed would, so the
   simulator's drawing is not charged to the chain.
4. ``recording``: the same with H.264 720p recording running: the
   recording keeps real time when its timeline matches the wall clock,
   it dropped nothing and it holds every streamed frame. (The stream's own
   frame rate is reported too: render + detection + encoding need about one
   core in all, so on a busy machine the stream, not the recording, slows.)

Prints each section's figures, then the last line: one JSON object of all.
Goals (issue 7): >= 30 fps on one core; <= 10 % of a core for 50 viewers;
latency p95 <= 100 ms.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

FPS = 25.0
SECONDS = 8.0
VIEWERS = 50


def _scene():
    from shapely.geometry import LineString, Point, Polygon

    from dronepatrol import geo

    def ll(n: float, e: float) -> tuple[float, float]:
        lat, lon = geo.offset(30.0, 120.0, n, e)
        return lon, lat

    from dronepatrol.video.scene import Scene

    lines = [
        LineString([ll(-60, -400), ll(-60, 400)]),
        LineString([ll(60, -400), ll(60, 400)]),
        LineString([ll(-400, 0), ll(400, 0)]),
    ]
    grid = Polygon([ll(-450, -450), ll(-450, 450), ll(450, 450), ll(450, -450)])
    return Scene(lines, [grid], [Point(ll(0, 100))], origin=(30.0, 120.0), seed=2)


def _snapshot(t: float):
    from dronepatrol import geo
    from dronepatrol.state import Battery, LinkState, MissionProgress, Position, VehicleSnapshot

    lat, lon = geo.offset(30.0, 120.0, -55.0, -150.0 + 4.0 * (t % 60))
    return VehicleSnapshot(
        "1",
        name="Copter-1",
        link=LinkState.UP,
        last_heard_s=0.3,
        armed=True,
        mode="AUTO",
        position=Position(lat, lon, 80.0, 60.0),
        groundspeed_mps=4.0,
        heading_deg=85.0,
        gps_fix_type=3,
        gps_satellites=15,
        battery=Battery(15.7, 12.0, 74.0, 900.0),
        mission=MissionProgress(4, 11, 3),
        time_s=time.time(),
    )


# -- 1: one core ----------------------------------------------------------


def one_core() -> dict:
    import cv2

    from dronepatrol.video.camera import CameraPose, Gimbal
    from dronepatrol.video.frames import Frame, FrameBuffer
    from dronepatrol.video.pipeline import VideoPipeline
    from dronepatrol.video.simcam import SimulatedCamera
    from dronepatrol.video.sources import VideoSource

    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    cv2.setNumThreads(1)
    camera = SimulatedCamera(_scene())
    pipeline = VideoPipeline("1", VideoSource("bench"), FrameBuffer())
    render, work, cpu, detect, hud, encode, counts = [], [], [], [], [], [], []
    frames = 150
    for i in range(frames):
        t = i / FPS
        snapshot = _snapshot(t)
        pose = CameraPose.from_snapshot(snapshot, Gimbal())
        t0 = time.perf_counter()
        image, _ = camera.render(pose, t)
        t1 = time.perf_counter()
        frame = Frame(image, 1_800_000_000.0 + t, i + 1, {"pose": pose, "snapshot": snapshot})
        d0, c0 = time.perf_counter(), time.process_time()
        result = pipeline.process(frame)
        d1, c1 = time.perf_counter(), time.process_time()
        if i >= 2 * FPS:  # after the detector's 1.2 s warm-up: every stage runs
            render.append(t1 - t0)
            work.append(d1 - d0)
            cpu.append(c1 - c0)
            times = pipeline.times
            detect.append(times.detect_ms)
            hud.append(times.annotate_ms)
            encode.append(times.encode_ms)
            counts.append(len(result.tracks))
    per_frame = statistics.mean(work)
    per_frame_cpu = statistics.mean(cpu)
    figures = {
        "one_core_annotated_fps": round(1.0 / per_frame, 1),
        "one_core_annotated_fps_by_cpu_time": round(1.0 / per_frame_cpu, 1),
        "one_core_frame_ms": round(per_frame * 1000, 2),
        "one_core_frame_cpu_ms": round(per_frame_cpu * 1000, 2),
        "one_core_detect_ms": round(statistics.mean(detect), 2),
        "one_core_hud_ms": round(statistics.mean(hud), 2),
        "one_core_jpeg_publish_ms": round(statistics.mean(encode), 2),
        "one_core_fps_including_sim_render": round(1.0 / (per_frame + statistics.mean(render)), 1),
        "sim_render_ms": round(statistics.mean(render) * 1000, 2),
        "tracks_per_frame": round(statistics.mean(counts), 1),
    }
    return figures


# -- server process for sections 2-4 ---------------------------------------


def serve(mode: str, port: int, workdir: str) -> None:
    """Run the web app with one vehicle's stream; print status JSON on stdin EOF."""
    import cv2

    from dronepatrol.settings import Settings
    from dronepatrol.video.camera import CameraPose, Gimbal
    from dronepatrol.video.pipeline import VideoPipeline
    from dronepatrol.video.simcam import SimulatedCamera
    from dronepatrol.web import create_app

    cv2.setNumThreads(1)
    app = create_app({"SETTINGS": Settings(data_dir=Path(workdir))})
    buffer = app.extensions["video"].ensure("1", "Copter-1")
    camera = SimulatedCamera(_scene())
    stop = threading.Event()
    pipeline = None
    recording_started = time.monotonic()
    if mode == "viewers":
        # A pipeline's output without the pipeline: real annotated JPEGs, published at 25 fps.
        from dronepatrol.video.frames import Frame, FrameBuffer
        from dronepatrol.video.sources import VideoSource

        maker = VideoPipeline("1", VideoSource("bench"), FrameBuffer())
        jpegs = []
        for i in range(50):
            snap = _snapshot(i / FPS)
            pose = CameraPose.from_snapshot(snap, Gimbal())
            image, _ = camera.render(pose, i / FPS)
            frame = Frame(image, time.time(), i + 1, {"pose": pose, "snapshot": snap})
            jpegs.append(maker.process(frame).jpeg)

        def feed() -> None:
            start, n = time.monotonic(), 0
            while not stop.is_set():
                buffer.publish(jpegs[n % len(jpegs)], time.time(), 1280, 720)
                n += 1
                stop.wait(max(0.0, start + n / FPS - time.monotonic()))

        threading.Thread(target=feed, daemon=True).start()
    else:
        source = _replay_source(camera)
        pipeline = VideoPipeline("1", source, buffer).start()
        if mode == "recording":
            buffer.wait_newer(0, 10)
            pipeline.start_recording(Path(workdir) / "sortie.mp4", fps=FPS)
            recording_started = time.monotonic()

    from waitress.server import create_server

    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 262144)
    listener.bind(("127.0.0.1", port))
    server = create_server(
        app, sockets=[listener], threads=VIEWERS + 8, outbuf_high_watermark=1 << 20
    )
    threading.Thread(target=server.run, daemon=True).start()
    from dronepatrol.video.streamer import MjpegStreamServer

    streamer = MjpegStreamServer(app.extensions["video"]).start()
    # the control app's video routes need a signed-in viewer: a bench account and token
    accounts = app.extensions["dronepatrol"].accounts
    viewer = accounts.add_user("bench", "viewer", "bench-viewer-pass")
    token = accounts.issue_token(viewer).token
    print(f"ready {port} {streamer.port} {token}", flush=True)
    sys.stdin.read()  # until the bench closes our stdin
    stop.set()
    result: dict = {"buffer": buffer.status()}
    if mode == "viewers":
        result["jpeg_bytes"] = statistics.mean(len(j) for j in jpegs)
    if pipeline is not None:
        result["pipeline"] = pipeline.status()
        recording = pipeline.stop()
        if recording is not None:
            result["recording"] = recording.as_dict()
            result["recording"]["wall_s"] = time.monotonic() - recording_started
    print(json.dumps(result), flush=True)
    os._exit(0)  # viewers' threads are still streaming; no need to wind them down


def _replay_source(camera):
    """A camera stand-in: pre-rendered 720p frames as JPEG, decoded and stamped live.

    Like a real camera feed, each frame costs a decode in the capture thread
    (here JPEG, there H.264) and is stamped on arrival; the simulator's
    rendering, which a real camera does not need, is left out of the chain.
    Frames play forwards then backwards, so motion never jumps.
    """
    import cv2

    from dronepatrol.video.camera import CameraPose, Gimbal
    from dronepatrol.video.sources import VideoSource

    clips = []
    for i in range(100):
        snap = _snapshot(i / FPS)
        pose = CameraPose.from_snapshot(snap, Gimbal())
        image, _ = camera.render(pose, i / FPS)
        clips.append((cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 92])[1], pose, snap))
    order = list(range(len(clips))) + list(range(len(clips) - 2, 0, -1))

    class Replay(VideoSource):
        def _run(self) -> None:
            start, n = time.monotonic(), 0
            while not self._stop.is_set():
                jpeg, pose, snap = clips[order[n % len(order)]]
                image = cv2.imdecode(jpeg, cv2.IMREAD_COLOR)
                self.connected = True
                self._emit(image, time.time(), pose=pose, snapshot=snap)
                n += 1
                self._stop.wait(max(0.0, start + n / FPS - time.monotonic()))

    return Replay("replay")


class Server:
    def __init__(self, mode: str) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.workdir = tempfile.mkdtemp(prefix="dronepatrol-bench-video-")
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--serve", mode, str(self.port), self.workdir],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().split()
        if not line or line[0] != "ready":
            raise RuntimeError(f"bench server did not start: {line!r}")
        self.wsgi_port, self.stream_port, self.token = int(line[1]), int(line[2]), line[3]

    def cpu_s(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def finish(self) -> dict:
        try:
            out, _ = self.proc.communicate("", timeout=60)
            return json.loads(out.strip().splitlines()[-1])
        finally:
            shutil.rmtree(self.workdir, ignore_errors=True)


def _connect(port: int, token: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(
        b"GET /video/1.mjpg HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + f"Authorization: Bearer {token}\r\n\r\n".encode()
    )
    return sock


# -- 2: fifty viewers --------------------------------------------------------


def viewers(via: str) -> dict:
    server = Server("viewers")
    port = server.stream_port if via == "streamer" else server.wsgi_port
    received = [0] * VIEWERS
    stop = threading.Event()

    def watch(k: int) -> None:
        sock = _connect(port, server.token)
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

    threads = [threading.Thread(target=watch, args=(k,), daemon=True) for k in range(VIEWERS)]
    for th in threads:
        th.start()
    time.sleep(2.0)  # all connected and streaming
    cpu0, bytes0, t0 = server.cpu_s(), sum(received), time.monotonic()
    time.sleep(SECONDS)
    cpu1, bytes1, t1 = server.cpu_s(), sum(received), time.monotonic()
    stop.set()
    status = server.finish()
    frame_bytes = status["jpeg_bytes"]
    elapsed = t1 - t0
    mbps = (bytes1 - bytes0) / elapsed / 1e6
    p = "viewers" if via == "streamer" else "viewers_wsgi"
    return {
        f"{p}": VIEWERS,
        f"{p}_server_cpu_pct_of_core": round(100 * (cpu1 - cpu0) / elapsed, 1),
        f"{p}_delivered_MBps": round(mbps, 1),
        f"{p}_jpeg_kB": round(frame_bytes / 1000, 1),
        f"{p}_fps_per_viewer": round((bytes1 - bytes0) / elapsed / VIEWERS / frame_bytes, 1),
        f"{p}_stream_fps": status["buffer"]["fps"],
    }


# -- 3 and 4: latency, recording ---------------------------------------------


def latency(mode: str) -> dict:
    server = Server("recording" if mode == "recording" else "latency")
    sock = _connect(
        server.wsgi_port if mode == "latency_wsgi" else server.stream_port, server.token
    )
    sock.settimeout(10)
    data = b""
    lat: list[float] = []
    cpu0, t0 = server.cpu_s(), time.monotonic()
    end = time.monotonic() + SECONDS + 1.5
    while time.monotonic() < end:
        chunk = sock.recv(1 << 20)
        if not chunk:
            break
        data += chunk
        while True:
            head_end = data.find(b"\r\n\r\n", data.find(b"--dronepatrol-frame"))
            if head_end < 0:
                break
            head = data[:head_end].decode("latin-1")
            headers = dict(line.split(": ", 1) for line in head.split("\r\n") if ": " in line)
            if "Content-Length" not in headers:
                data = data[head_end + 4 :]
                continue
            length = int(headers["Content-Length"])
            if len(data) < head_end + 4 + length:
                break
            lat.append(time.time() - float(headers["X-Capture-Time"]))
            data = data[head_end + 4 + length :]
    sock.close()
    cpu_pct = 100 * (server.cpu_s() - cpu0) / (time.monotonic() - t0)
    status = server.finish()
    lat = lat[int(FPS * 1.5) :]  # after the detector's warm-up
    lat.sort()
    prefix = mode
    figures = {
        f"{prefix}_frames": len(lat),
        f"{prefix}_p50_ms": round(1000 * lat[len(lat) // 2], 1),
        f"{prefix}_p95_ms": round(1000 * lat[int(len(lat) * 0.95)], 1),
        f"{prefix}_stream_fps": status["buffer"]["fps"],
        f"{prefix}_server_cpu_pct_of_core": round(cpu_pct, 1),
        f"{prefix}_capture_to_encoded_p50_ms": status["buffer"]["latency_ms"]["capture_to_encoded"][
            "p50"
        ],
    }
    if mode == "recording":
        rec = status["recording"]
        streamed = status["pipeline"]["frames_in"]
        # Real time: the file's timeline matches the wall clock (to a frame or
        # two at each end), nothing was dropped, every streamed frame is in it.
        gap_s = abs(rec["wall_s"] - rec["duration_s"])
        figures.update(
            {
                "recording_frames": rec["frames"],
                "recording_dropped": rec["dropped"],
                "recording_duration_s": rec["duration_s"],
                "recording_wall_s": round(rec["wall_s"], 3),
                "recording_frames_vs_streamed": round(rec["frames"] / max(1, streamed), 3),
                "recording_keeps_real_time": rec["dropped"] == 0
                and gap_s <= 0.5
                and rec["frames"] >= 0.95 * streamed - FPS,
            }
        )
    return figures


def main() -> None:
    results: dict = {
        "load_average_1min_at_start": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
    }
    sections = ("one_core", "viewers", "viewers_wsgi", "latency", "latency_wsgi", "recording")
    for section in sections:
        out = subprocess.run(
            [sys.executable, __file__, "--section", section],
            check=True,
            capture_output=True,
            text=True,
            timeout=600,
        ).stdout
        figures = json.loads(out.strip().splitlines()[-1])
        print(f"== {section}")
        for key, value in figures.items():
            print(f"  {key}: {value}")
        results.update(figures)
    results["load_average_1min_at_end"] = round(os.getloadavg()[0], 2)
    print(
        f"load average (1 min) {results['load_average_1min_at_start']} at start, "
        f"{results['load_average_1min_at_end']} at end, on {results['cpus']} CPUs"
    )
    print(json.dumps(results))


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "--serve":
        serve(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    elif len(sys.argv) >= 2 and sys.argv[1] == "--section":
        name = sys.argv[2]
        if name == "one_core":
            result = one_core()
        elif name.startswith("viewers"):
            result = viewers("wsgi" if name.endswith("wsgi") else "streamer")
        else:
            result = latency(name)
        print(json.dumps(result))
    else:
        main()
