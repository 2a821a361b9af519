"""The served control app's moving parts, wired together (``dronepatrol serve``).

This is the composition root: the one place that builds the web app, the
fleet, the sortie recorder, the freshness keeper, the patrol scheduler, the
video pipelines and, for demos, the embedded simulator, and brings them
together. :meth:`ControlRuntime.start` starts them; :meth:`ControlRuntime.stop`
stops them, newest first, and then the app's control room (its live streams
and its database), so nothing keeps running after ``serve`` returns. One
clock, passed in, is what "now" means for all of them.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask

from dronepatrol.events import EventKind
from dronepatrol.mission import Cmd
from dronepatrol.network import Network, load_network
from dronepatrol.settings import Settings
from dronepatrol.state import VehicleSnapshot
from dronepatrol.web import create_app
from dronepatrol.web.context import ControlRoom

if TYPE_CHECKING:
    from dronepatrol.city import BrokerSettings, Centre
    from dronepatrol.mavlink import Fleet

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
        registry: the fleet registry: its vehicles' links are opened and its
            names given; vehicles heard on them but not listed are unknown.
        mavlink_out: endpoints sharing each vehicle link with other ground
            stations; link k (``connect`` in order, then the demo drones) uses PORT + k.
        demo_cameras: simulated cameras on the first this many demo drones (None: all).
    """

    demo_drones: int = 0
    connect: list[str] = field(default_factory=list)
    network_file: Path | None = None
    video_fps: float = 15.0
    speedup: float = 1.0
    schedule_mode: str = "approve"
    registry: Any = None
    mavlink_out: list[Any] = field(default_factory=list)
    demo_cameras: int | None = None


def _load_network(path: Path) -> tuple[Network, dict[str, Any]]:
    """The network and its GeoJSON; NetworkError for a bad file, PlanningLimitError for
    no-fly zones past a planning limit (errands and the scheduler route round them)."""
    from dronepatrol.planning.limits import check_nofly

    network = load_network(path)
    check_nofly(network.nofly)
    return network, json.loads(path.read_text(encoding="utf-8"))


class ControlRuntime:
    """Builds the control app and its device side, starts them, and stops them all.

    Use it as a context manager (``with ControlRuntime(...) as runtime:``) or
    call :meth:`start` and, always, :meth:`stop`.

    Args:
        settings: the installation's settings (database, data directories...).
        options: what ``serve`` was asked for.
        clock: wall-clock time [s since the epoch]: token expiry, freshness and
            the scheduler's "now".
    """

    def __init__(
        self,
        settings: Settings,
        options: ServeOptions,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.options = options
        self.clock = clock
        self._stoppers: list[Callable[[], Any]] = []
        self._stopped = False
        config: dict[str, Any] = {"SETTINGS": settings, "CLOCK": clock}
        self._centre = self._connect_centre(settings, config)
        try:
            self.app: Flask = create_app(config)
        except BaseException:
            self.stop()
            if "ENGINE" in config:  # the app that would have owned it was never built
                config["ENGINE"].dispose()
            raise
        self.room: ControlRoom = self.app.extensions["dronepatrol"]
        self.network: Network | None = None
        self.profile: Any = None
        self.sims: list[Any] = []
        self.pipelines: dict[str, Any] = {}

    def _connect_centre(self, settings: Settings, config: dict[str, Any]) -> Centre | None:
        """A command centre (``mode = centre``) on the city bus before the app is built.

        Building the app takes most of a restart; subscribed first, the centre
        gathers the city's picture (retained messages, then the stations' live
        ones) meanwhile, so the app shows it as soon as it answers. The centre
        and the app share one engine (``ENGINE``); records wait for :meth:`start`.
        """
        if settings.deployment_mode != "centre":
            return None
        from dronepatrol.city import Centre
        from dronepatrol.database import make_engine

        config["ENGINE"] = make_engine(settings)
        centre = Centre(config["ENGINE"], _broker_settings(settings), clock=self.clock)
        self._stoppers.append(centre.stop)
        return centre.connect()

    # -------------------------------------------------------------- building

    def __enter__(self) -> ControlRuntime:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

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
            mavlink_out=self.options.mavlink_out,
        )
        self.room.registry = self.options.registry
        self.room.attach_fleet(fleet)
        self._stoppers.append(fleet.close)

        recorder = Recorder(self.room.engine, self.room.bus, snapshots=fleet.snapshots)
        recorder.start()
        self._stoppers.append(recorder.stop)
        self._start_energy_and_alerts(fleet)
        self._start_city_role(fleet)

        if self.network is not None:
            self._start_freshness()
        if self.options.registry is not None:
            self.options.registry.open_links(fleet)
        for url in self.options.connect:
            fleet.add(url)
        self._start_media_server()
        if self.options.demo_drones:
            self._start_demo(fleet)
        for url, link in fleet.links().items():
            for forward in link.forwards:
                log.info("vehicle link %s shared with %s", url, forward.url)
        if self.network is not None:
            self._start_scheduler(fleet)

    def _start_city_role(self, fleet: Fleet) -> None:
        """In a city deployment: the station's link to the centre, or the centre itself.

        ``single`` (the default) starts nothing and needs no broker.
        """
        settings = self.room.settings
        mode = settings.deployment_mode
        if mode == "single":
            return
        from dronepatrol.city import StationLink

        broker = _broker_settings(settings)
        if mode == "station":
            link = StationLink(
                settings.station_id,
                self.room.bus,
                self.room.engine,
                broker,
                fleet=self.room.flown,
                audit=self.room.accounts.audit,
                summary=self._station_summary,
                network=lambda: self.room.network_geojson,
                airspace=self.room.airspace,
                camera_range_m=lambda: self.room.dispatcher.camera_range_m,
                situation=self._station_situation,
                video=self._station_video,
                clock=self.clock,
            ).start()
            self._stoppers.append(link.stop)
            log.info("station %s reporting to the centre at %s", settings.station_id, broker.url)
        else:
            assert self._centre is not None  # connected before the app was built
            self.room.city = self._centre.start()
            log.info("command centre on the city bus at %s", broker.url)

    def _station_summary(self) -> dict[str, Any]:
        """The station's picture in brief, for the centre: incidents, lockdown, alerts."""
        incidents, _count = self.room.incidents.open_incidents(200)
        open_incidents = [i.id for i in incidents]
        dispatcher = self.room.dispatcher
        lockdown = dispatcher.lockdown_status() if dispatcher is not None else None
        alerts = self.room.alerts.active() if self.room.alerts is not None else []
        return {
            "open_incidents": open_incidents,
            "lockdown": None
            if lockdown is None
            else {k: lockdown.as_dict()[k] for k in ("name", "active", "started_by")},
            "active_alerts": len(alerts),
        }

    def _station_situation(self) -> dict[str, Any]:
        """The station's open incidents (the most recent :data:`SITUATION_INCIDENTS_MAX`) and
        the lockdown in force, for the centre's map."""
        from dronepatrol.city.contract import SITUATION_INCIDENTS_MAX
        from dronepatrol.city.situation import situation_fields

        incidents, open_count = self.room.incidents.open_incidents(SITUATION_INCIDENTS_MAX)
        dispatcher = self.room.dispatcher
        lockdown = dispatcher.lockdown_status() if dispatcher is not None else None
        return situation_fields(incidents, open_count, lockdown)

    def _station_video(self) -> list[dict[str, Any]]:
        """Which media-server mountpoint carries each drone's feed (none without Janus)."""
        from dronepatrol.city.situation import video_feeds

        fanout = self.app.extensions.get("media_server")
        if fanout is None:
            return []
        mountpoints = [(m.vehicle_id, m.id) for m in fanout.mountpoints()]
        return video_feeds(mountpoints, shared=fanout.server.shared)

    def _start_energy_and_alerts(self, fleet: Any) -> None:
        """Each vehicle's own battery figures, the return-home watch, and operator alerts."""
        from dronepatrol.energy import EnergyWatch
        from dronepatrol.planning import load_profile

        self.profile = self.profile or load_profile()
        energy = EnergyWatch(
            fleet,
            self.room.bus,
            self.profile,
            store=self.room.settings.data_dir / "energy.json",
            airspace=self.room.airspace,  # the way home round the network's no-fly zones
        ).start()
        self.room.energy = energy
        self.room.dispatcher.energy = energy
        self._stoppers.append(energy.stop)
        self.room.dispatcher.follow_energy()  # a drone sent home leaves its incident
        self._stoppers.append(self.room.dispatcher.stop)
        if self.room.alerts is not None:
            self.room.alerts.start()
            self._stoppers.append(self.room.alerts.stop)

    def _start_freshness(self) -> None:
        """Judge every finished sortie against the targets in force (freshness map, scheduler).

        The targets in force are the network's plus those of the large events on.
        """
        from dronepatrol.freshness.keeper import FreshnessKeeper
        from dronepatrol.freshness.patrolled import Camera
        from dronepatrol.planning import load_profile

        profile = self.profile = self.profile or load_profile()
        camera = Camera(hfov_deg=profile.camera_hfov_deg, vfov_deg=profile.camera_vfov_deg)
        keeper = FreshnessKeeper(
            self.room.engine,
            self.network,
            camera,
            self.room.bus,
            policy=self.room.settings.revisit_policy(),
            events=self.room.large_events,
            clock=self.clock,
            profile=profile,
        ).start()
        self.room.freshness = keeper
        self._stoppers.append(keeper.stop)

    def _start_scheduler(self, fleet: Fleet) -> None:
        """Keep the network's targets on schedule with the idle drones at the stations."""
        from dronepatrol.schedule.scheduler import Scheduler

        scheduler = Scheduler(
            self.room.flown,
            self.room.freshness,
            self.profile,
            self.room.bus,
            mode=self.options.schedule_mode,
            turnaround=self.room.settings.turnaround(),
            busy=self.room.dispatcher.is_busy,
            energy=self.room.energy,
            clock=self.clock,
        ).start()
        self.room.scheduler = scheduler
        self._stoppers.append(scheduler.stop)

    def _start_demo(self, fleet: Fleet) -> None:
        from dronepatrol.mavlink.preflight import PATROL_SAFETY_PARAMS
        from dronepatrol.planning import load_profile
        from dronepatrol.sitl import SimFleet

        assert self.network is not None
        stations = list(self.network.stations)
        if not stations:
            raise ValueError("the demo network has no station to put drones at")
        pack_ah = demo_pack_ah(self.profile or load_profile())
        packs: dict[str, tuple[Any, int]] = {}
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
                battery_ah=pack_ah,
            )
            sim.start()
            self.sims.append(sim)
            self._stoppers.append(sim.stop)
            for i, url in enumerate(sim.urls):
                name = f"{station.id}-{i + 1}"
                fleet.add(url, sysid=i + 1, name=name)
                if len(self.pipelines) < cameras:
                    self._start_video(name)
                packs[name] = (sim, i)
        self.room.bus.add_callback(lambda event: _swap_demo_pack(event, packs))
        log.info("demo: %d simulated drones", self.options.demo_drones)
        self._start_sortie_video()

    def _start_media_server(self) -> None:
        """With ``video_server = janus``: start Janus (or reach the one at ``video_janus_url``);
        feeds are published to it as they start.

        When Janus cannot run, the reason is logged and shown at
        ``GET /video/media-server``, and browsers keep the MJPEG streams:
        the control room never stops for want of its video fan-out.
        """
        settings = self.room.settings
        if settings.video_server_mode != "janus":
            return
        from dronepatrol.video.media_server import MediaServerError, fanout_from_settings
        from dronepatrol.video.publisher import H264Options

        try:
            fanout = fanout_from_settings(
                settings.video_ice_interfaces,
                settings.video_public_ip,
                H264Options(bitrate_bps=settings.video_bitrate_bps, fps=self.options.video_fps),
                janus_url=settings.video_janus_url,
                janus_admin_key=settings.video_janus_admin_key,
                janus_rtp_host=settings.video_janus_rtp_host,
            )
        except MediaServerError as exc:
            log.error("video_server janus: %s; browsers get MJPEG only", exc)
            self.app.extensions["media_server_error"] = str(exc)
            return
        self.app.extensions["media_server"] = fanout
        self._stoppers.append(fanout.stop)

    def _publisher(self, vehicle_id: str) -> Any:
        """The media server's publisher of ``vehicle_id``'s feed (None: MJPEG only)."""
        from dronepatrol.video.media_server import MediaServerError

        fanout = self.app.extensions.get("media_server")
        if fanout is None:
            return None
        try:
            return fanout.publisher_for(vehicle_id)
        except MediaServerError as exc:
            log.error("video %s: cannot publish to the media server: %s", vehicle_id, exc)
            return None

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
            publisher=self._publisher(vehicle_id),
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
        """Stop everything started, newest first, then the control room.

        Errors are logged, not raised: one stubborn part must not keep the
        rest running. Calling it again does nothing.
        """
        if self._stopped:
            return
        self._stopped = True
        while self._stoppers:
            stop = self._stoppers.pop()
            try:
                stop()
            except Exception:
                log.exception("stopping %r failed", stop)
        if hasattr(self, "room"):  # else the app was never built
            self.room.bus.emit(EventKind.LINK_LOST, None, reason="control app stopped")
            self.room.stop()


def _broker_settings(settings: Settings) -> BrokerSettings:
    """How this station or centre reaches the city's broker (its own account by default)."""
    from dronepatrol.city import BrokerSettings, station_user
    from dronepatrol.city.broker import CENTRE_USER

    station = settings.deployment_mode == "station"
    return BrokerSettings(
        settings.broker_url,
        settings.broker_username or (station_user(settings.station_id) if station else CENTRE_USER),
        settings.broker_password,
        settings.broker_ca_file,
    )


def _swap_demo_pack(event: Any, packs: dict[str, tuple[Any, int]]) -> None:
    """A battery swap the crew reported (BATTERY_RESET accepted) puts a full simulated pack in."""
    if event.kind is not EventKind.COMMAND_RESULT or event.vehicle_id not in packs:
        return
    if event.data.get("command") == Cmd.BATTERY_RESET and event.data.get("ok"):
        sim, index = packs[event.vehicle_id]
        sim.swap_pack(index)


def demo_pack_ah(profile: Any) -> float:
    """The pack the demo copters carry [Ah]: the profile's hover endurance at hover current.

    So a demo sortie drains the battery as the planner promised, and
    BATT_CAPACITY (which the simulated frame sets from the pack) matches.
    """
    from dronepatrol.sitl.physics import HOVER_CURRENT_A

    return HOVER_CURRENT_A * profile.hover_endurance_s / 3600.0
