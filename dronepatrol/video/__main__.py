"""Run one video pipeline by hand: ``python -m dronepatrol.video SOURCE``.

SOURCE is a video URL (see :mod:`dronepatrol.video.sources`) or ``sim:``
for the simulated camera over a small generated patrol network, flown in a
slow circle at 60 m. The annotated stream is served on
``http://HOST:PORT/video/1.mjpg`` by the fan-out server; ``--record``
writes the sortie recording; the run ends after ``--seconds`` (or Ctrl-C)
and prints a JSON summary (frames, latency, detections, the recording's
SHA-256).

Useful to check a camera's URL, its latency and the detector before flying.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path


def _sim_network():
    from shapely.geometry import LineString, Point, Polygon

    from dronepatrol import geo

    lat0, lon0 = 30.0, 120.0

    def ll(n: float, e: float) -> tuple[float, float]:
        lat, lon = geo.offset(lat0, lon0, n, e)
        return lon, lat

    lines = [LineString([ll(-60, -300), ll(-60, 300)]), LineString([ll(-300, 40), ll(300, 40)])]
    grid = Polygon([ll(-320, -320), ll(-320, 320), ll(320, 320), ll(320, -320)])
    return (lat0, lon0), lines, [grid], [Point(ll(0, 120))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dronepatrol.video", description=__doc__)
    parser.add_argument("source", help="video URL, a file, device:N, or sim:")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--seconds", type=float, default=0.0, help="stop after this long (0: run)")
    parser.add_argument("--record", type=Path, help="write the annotated video to this MP4")
    parser.add_argument("--hfov", type=float, default=70.0, help="camera field of view [deg]")
    args = parser.parse_args(argv)

    from dronepatrol import geo
    from dronepatrol.events import EventBus, EventKind
    from dronepatrol.state import LinkState, Position, VehicleSnapshot
    from dronepatrol.video.camera import Intrinsics
    from dronepatrol.video.frames import FrameBufferRegistry
    from dronepatrol.video.pipeline import VideoPipeline
    from dronepatrol.video.sources import SourceError, make_source
    from dronepatrol.video.streamer import MjpegStreamServer

    start = time.time()
    camera = pose = None
    if args.source.startswith("sim:"):
        from dronepatrol.video.scene import Scene
        from dronepatrol.video.simcam import SimulatedCamera

        origin, lines, grids, points = _sim_network()
        camera = SimulatedCamera(
            Scene(lines, grids, points, origin=origin, seed=1), Intrinsics(1280, 720, args.hfov)
        )

        def pose() -> VehicleSnapshot:
            angle = (time.time() - start) * 4.0 / 120.0  # 4 m/s around a 120 m circle
            lat, lon = geo.offset(
                origin[0], origin[1], 120 * math.cos(angle) - 60, 120 * math.sin(angle)
            )
            return VehicleSnapshot(
                "1",
                name="SIM-1",
                link=LinkState.UP,
                last_heard_s=0.1,
                armed=True,
                mode="AUTO",
                position=Position(lat, lon, 60.0, 60.0),
                groundspeed_mps=4.0,
                heading_deg=math.degrees(angle + math.pi / 2) % 360,
                gps_fix_type=3,
                gps_satellites=14,
                time_s=time.time(),
            )

    try:
        source = make_source(args.source, name="1", camera=camera, pose_source=pose)
    except SourceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    registry = FrameBufferRegistry()
    bus = EventBus()
    events = bus.subscribe()
    pipeline = VideoPipeline(
        "1",
        source,
        registry.ensure("1", "camera"),
        bus=bus,
        pose_source=pose,
        hfov_deg=args.hfov,
    )
    streamer = MjpegStreamServer(registry, args.host, args.port).start()
    pipeline.start()
    print(f"streaming on http://{streamer.host}:{streamer.port}/video/1.mjpg", file=sys.stderr)
    if args.record:
        registry.get("1").wait_newer(0, 15)  # type: ignore[union-attr]
        pipeline.start_recording(args.record)
    try:
        while not args.seconds or time.time() - start < args.seconds:
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    status = pipeline.status()
    recording = pipeline.stop()
    streamer.stop()
    detections = [e.as_dict() for e in events.drain() if e.kind is EventKind.DETECTION]
    print(
        json.dumps(
            {
                "frames": status["buffer"]["frames"],
                "fps": status["buffer"]["fps"],
                "latency_ms": status["buffer"]["latency_ms"],
                "source": status["source"],
                "detections": len(detections),
                "recording": recording.as_dict() if recording else None,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
