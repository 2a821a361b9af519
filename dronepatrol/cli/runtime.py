"""The served control app's moving parts, wired together (``dronepatrol serve``).

This is the composition root: the one place that brings the web app, the
fleet, the sortie recorder, the video pipelines and, for demos, the embedded
simulator together. Everything is started when the app is served and
stopped, in reverse order, when it exits.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask

from dronepatrol.events import EventKind
from dronepatrol.network import Network, load_network
from dronepatrol.state import VehicleSnapshot

log = logging.getLogger(__name__)

EXAMPLE_NETWORK = Path(__file__).resolve().parents[2] / "missions" / "canberra-sitl.geojson"
"""The example patrol network around ArduPilot SITL's default home (source checkout)."""


@dataclass
class ServeOptions:
    """What ``dronepatrol serve`` was asked for.

    Attributes:
        demo_drones: simulated drones to start at the network's stations.
        connect: link URLs of real vehicles (or SITL) to fly.
        network_file: patrol network GeoJSON to load (the example one in demo mode).
        video_fps: frame rate of the simulated cameras.
        speedup: simulated time speed-up of the demo drones (1: real time, what
            an operator sees is what a drone would do).
        schedule_mode: the patrol scheduler's mode at start (off, approve, auto).
        demo_cameras: simulated cameras on the first this many demo drones (None: all).
    """

    demo_drones: int = 0
    connect: list[str] = field(default_factory=list)
    network_file: Path | None = None
    video_fps: float = 15.0
    speedup: float = 1.0
    schedule_mode: str = "approve"
    demo_cameras: int | None = None


def _load_network(path: Path) -> tuple[Network, dict[str, Any]]:
    return load_network(path), json.loads(path.read_text(encoding="utf-8"))


class ControlRuntime:
    """Builds and runs the device side of a served app."""

    def __init__(self, app: Flask, options: ServeOptions) -> None:
        self.app = app
        self.options = options
        self.room = app.extensions["dronepatrol"]
        self.network: Network | None = None
        self.profile: Any = None
        self.sims: list[Any] = []
        self.pipelines: dict[str, Any] = {}
        self._stoppers: list[Any] = []

    # -------------------------------------------------------------- building

    def start(self) -> None:
        """Start everything; on failure stop what was started and re-raise."""
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> None:
        from dronepatrol.mavlink import Fleet
        from dronepatrol.records import Recorder

        settings = self.room.settings
        network_file = self.options.network_file
        if network_file is None and self.options.demo_drones:
            network_file = EXAMPLE_NETWORK
        if network_file is not None:
            self.network, self.room.network_geojson = _load_network(network_file)
            self.room.network = self.network

        # Simulated drones run their GCS failsafe on simulated time: heartbeat as fast.
        heartbeat_hz = 2.0 * self.options.speedup if self.options.demo_drones else 1.0
        fleet = Fleet(
            self.room.bus,
            tlog_dir=settings.tlog_dir,
            signing_key=settings.signing_key,
            heartbeat_hz=max(1.0, heartbeat_hz),
        )
        self.room.attach_fleet(fleet)
        self._stoppers.append(fleet.close)

        recorder = Recorder(self.room.engine, self.room.bus, snapshots=fleet.snapshots)
        recorder.start()
        self._stoppers.append(recorder.stop)

        if self.network is not None:
            self._start_freshness()
        for url in self.options.connect:
            fleet.add(url)
        if self.options.demo_drones:
            self._start_demo(fleet)
        if self.network is not None:
            self._start_scheduler(fleet)

    def _start_freshness(self) -> None:
        """Judge every finished sortie against the targets in force (freshness map, scheduler).

        The targets in force are the network's plus those of the large events on.
        """
        from dronepatrol.freshness.keeper import FreshnessKeeper
        from dronepatrol.freshness.patrolled import Camera
        from dronepatrol.planning import load_profile

        profile = self.profile = load_profile()
        camera = Camera(hfov_deg=profile.camera_hfov_deg, vfov_deg=profile.camera_vfov_deg)
        keeper = FreshnessKeeper(
            self.room.engine,
            self.network,
            camera,
            self.room.bus,
            policy=self.room.settings.revisit_policy(),
            events=self.room.large_events,
        ).start()
        self.room.freshness = keeper
        self._stoppers.append(keeper.stop)

    def _start_scheduler(self, fleet: Any) -> None:
        """Keep the network's targets on schedule with the idle drones at the stations."""
        from dronepatrol.schedule.scheduler import Scheduler

        scheduler = Scheduler(
            fleet,
            self.room.freshness,
            self.profile,
            self.room.bus,
            mode=self.options.schedule_mode,
            turnaround=self.room.settings.turnaround(),
            busy=self.room.dispatcher.is_busy,
        ).start()
        self.room.scheduler = scheduler
        self._stoppers.append(scheduler.stop)

    def _start_demo(self, fleet: Any) -> None:
        from dronepatrol.mavlink.preflight import PATROL_SAFETY_PARAMS
        from dronepatrol.sitl import SimFleet

        assert self.network is not None
        stations = list(self.network.stations)
        if not stations:
            raise ValueError("the demo network has no station to put drones at")
        per_station: dict[str, int] = {}
        for index in range(self.options.demo_drones):
            station = stations[index % len(stations)]
            per_station[station.id] = per_station.get(station.id, 0) + 1
        cameras = self.options.demo_cameras
        cameras = self.options.demo_drones if cameras is None else cameras
        for station in stations:
            count = per_station.get(station.id, 0)
            if not count:
                continue
            home = (station.geometry.y, station.geometry.x, station.elevation_m or 584.0, 0.0)
            sim = SimFleet(
                count,
                home,
                spacing_m=8.0,
                speedup=self.options.speedup,
                base_port=0,
                params=PATROL_SAFETY_PARAMS,  # set up as patrol drones: they pass preflight
            )
            sim.start()
            self.sims.append(sim)
            self._stoppers.append(sim.stop)
            for i, url in enumerate(sim.urls):
                name = f"{station.id}-{i + 1}"
                fleet.add(url, sysid=i + 1, name=name)
                if len(self.pipelines) < cameras:
                    self._start_video(name)
        log.info("demo: %d simulated drones", self.options.demo_drones)
        self._start_sortie_video()

    def _start_video(self, vehicle_id: str) -> None:
        """A simulated gimbal camera over the network's synthetic ground for ``vehicle_id``."""
        from dronepatrol.video.pipeline import VideoPipeline
        from dronepatrol.video.simcam import SimulatedCamera
        from dronepatrol.video.sources import SimulatedSource

        assert self.network is not None
        scene = self._scene()
        room = self.room

        def pose() -> VehicleSnapshot:
            """The vehicle's snapshot; an empty one (no position) until it is heard."""
            vehicle = room.fleet.vehicles().get(vehicle_id)
            return vehicle.snapshot if vehicle is not None else VehicleSnapshot(vehicle_id)

        buffer = self.app.extensions["video"].ensure(vehicle_id)
        source = SimulatedSource(SimulatedCamera(scene), pose, fps=self.options.video_fps)
        pipeline = VideoPipeline(
            vehicle_id,
            source,
            buffer,
            bus=room.bus,
            pose_source=pose,
            snapshot_dir=room.settings.recordings_dir / "snapshots",
        )
        pipeline.start()
        self.pipelines[vehicle_id] = pipeline
        self._stoppers.append(pipeline.stop)

    def _scene(self) -> Any:
        if not hasattr(self, "_scene_cache"):
            from dronepatrol.network import Kind
            from dronepatrol.video.scene import Scene

            targets = self.network.targets
            self._scene_cache = Scene(
                lines=[t.geometry for t in targets if t.kind == Kind.LINE],
                grids=[t.geometry for t in targets if t.kind == Kind.GRID],
                points=[t.geometry for t in targets if t.kind == Kind.POINT],
                seed=7,
            )
        return self._scene_cache

    def _start_sortie_video(self) -> None:
        from dronepatrol.video.sortie import SortieVideo

        sortie_video = SortieVideo(
            self.room.bus,
            self.pipelines.get,
            self.room.settings.recordings_dir,
            fps=self.options.video_fps,
        ).start()
        self._stoppers.append(sortie_video.stop)

    # -------------------------------------------------------------- stopping

    def stop(self) -> None:
        """Stop everything started, newest first; errors are logged, not raised."""
        while self._stoppers:
            stop = self._stoppers.pop()
            try:
                stop()
            except Exception:  # one stubborn part must not keep the rest running
                log.exception("stopping %r failed", stop)
        self.room.bus.emit(EventKind.LINK_LOST, None, reason="control app stopped")
