"""A headless sortie: connect, check, upload, fly the mission, come back down.

:class:`HeadlessSortie` is what ``dronepatrol fly`` runs, written against
the core's link and vehicle so that other front ends can run it too. It
reports through a ``say`` callback (one line each): readiness reasons,
upload progress, one progress line per waypoint, the summary. Whatever goes
wrong, it never leaves the vehicle armed on the ground and never abandons it
in the air: airborne failures end in RTL and a wait for landing. A mission
the vehicle's charge cannot fly with the reserve kept is refused before
anything is uploaded. An energy watch (:class:`dronepatrol.energy.EnergyWatch`)
rides along and brings the vehicle home when its charge reaches what getting
home needs plus the reserve. Every way home the controller commands goes round
the no-fly zones of the mission's fence (ArduCopter's RTL flies straight).
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from dronepatrol.energy import EnergyRefusal, EnergyWatch
from dronepatrol.events import EventBus, EventKind
from dronepatrol.fence_storage import FenceCapacity
from dronepatrol.geo import distance_m
from dronepatrol.mavlink.errors import FlightError, MissionVerifyError, VehicleError
from dronepatrol.mavlink.link import Link
from dronepatrol.mavlink.preflight import prepare_flight, wait_ready
from dronepatrol.mission import Cmd, Mission, MissionType
from dronepatrol.planning import DroneProfile, load_profile
from dronepatrol.planning.airspace import Airspace
from dronepatrol.planning.flight import EndlessMission, mission_cost
from dronepatrol.state import RETURNING_MODES, CopterMode, LinkState, flight_mode

MISSION_STATE_COMPLETE = 5
ENDING_COMMANDS = (Cmd.NAV_RETURN_TO_LAUNCH, Cmd.NAV_LAND)


MAX_HEARTBEAT_HZ = 100.0
"""Most GCS heartbeats per second sent to a fast simulator (fly's --heartbeat-hz range)."""

PROBE_HEARTBEAT_HZ = 10.0
"""GCS heartbeats per second until the vehicle has said whether it is a fast simulator."""


class _OneVehicle:
    """The sortie's one vehicle, seen as the fleet the energy watch reads."""

    def __init__(self, vehicle) -> None:
        self._vehicle = vehicle

    def vehicle(self, vehicle_id: str):
        return self._vehicle


class SortieAborted(Exception):
    """The sortie ended early; the message says why and what the vehicle did."""


@dataclass(frozen=True)
class SortieSummary:
    """What a finished sortie reports: duration [s], distance [m], battery and the tlog."""

    duration_s: float
    distance_m: float
    battery_start_pct: float | None
    battery_end_pct: float | None
    consumed_mah: float | None
    tlog_path: Path | None
    waypoints_reached: int

    def line(self) -> str:
        minutes, seconds = divmod(round(self.duration_s), 60)
        battery = "battery unknown"
        if self.battery_start_pct is not None and self.battery_end_pct is not None:
            used = self.battery_start_pct - self.battery_end_pct
            battery = (
                f"battery {self.battery_start_pct:.0f}% -> {self.battery_end_pct:.0f}% "
                f"({used:.0f}% used"
            )
            battery += f", {self.consumed_mah:.0f} mAh)" if self.consumed_mah else ")"
        return (
            f"sortie complete: {minutes}m{seconds:02d}s, {self.distance_m / 1000:.2f} km, "
            f"{self.waypoints_reached} waypoints, {battery}, tlog {self.tlog_path or 'off'}"
        )


class HeadlessSortie:
    """One sortie on the vehicle at ``url``.

    Args:
        url: link URL; mission: what to fly; takeoff_alt_m: [m above home].
        tlog_path: where to record every MAVLink byte (None: no recording).
        say: where progress lines go.
        overrides: preflight checks accepted although they fail (by name).
        ready_timeout_s: how long to wait for the vehicle to become armable [s].
        sortie_timeout_s: longest time in the air before the sortie is ended by RTL [s].
        fence_capacity: the vehicle's fence storage (None: ArduCopter 4.7's default);
            a fence that cannot fit is refused before anything is uploaded.
        plan_ref: what is flown (the mission file), and operator: who flies it; both
            go with the upload event so the sortie's record names them.
    """

    def __init__(
        self,
        url: str,
        mission: Mission,
        *,
        takeoff_alt_m: float = 20.0,
        tlog_path: Path | None = None,
        say: Callable[[str], None] = print,
        signing_key: str = "",
        overrides: Iterable[str] = (),
        min_battery_pct: float = 50.0,
        ready_timeout_s: float = 180.0,
        sortie_timeout_s: float = 3600.0,
        link_options: dict | None = None,
        fence_capacity: FenceCapacity | None = None,
        plan_ref: str = "",
        operator: str = "",
        profile: DroneProfile | None = None,
        energy_store: Path | None = None,
        follow_simulator_speedup: bool = False,
    ) -> None:
        self.url = url
        self.mission = mission
        self.takeoff_alt_m = takeoff_alt_m
        self.tlog_path = tlog_path
        self.say = say
        self.signing_key = signing_key
        self.overrides = tuple(overrides)
        self.min_battery_pct = min_battery_pct
        self.ready_timeout_s = ready_timeout_s
        self.sortie_timeout_s = sortie_timeout_s
        self.link_options = link_options or {}
        self.fence_capacity = fence_capacity
        self.plan_ref = plan_ref
        self.operator = operator
        self.profile = profile or load_profile()
        self.energy_store = energy_store
        self.follow_simulator_speedup = follow_simulator_speedup
        self.airspace = Airspace.of_fence(mission, self.profile.nofly_margin_m)
        self.bus = EventBus()
        self.link: Link | None = None
        self.vehicle = None
        self.interrupted = threading.Event()
        self._distance_m = 0.0
        self._last_fix: tuple[float, float] | None = None
        self._reached = 0

    # ---- the sortie ------------------------------------------------------------

    def run(self) -> SortieSummary:
        """Fly it. Raises SortieAborted (or KeyboardInterrupt after a safe landing)."""
        events = self.bus.subscribe()
        self.link = Link(
            self.url,
            self.bus,
            tlog_path=self.tlog_path,
            signing_key=self.signing_key,
            **self.link_options,
        ).start()
        try:
            return self._fly(events)
        finally:
            events.close()
            self.link.close()

    def _fly(self, events) -> SortieSummary:
        vehicle = self.vehicle = self.link.wait_vehicle(timeout_s=30)
        snap = vehicle.snapshot
        self.say(
            f"connected to {self.url}: system {vehicle.sysid}, {snap.autopilot} {snap.vehicle_type}"
        )
        if vehicle.telemetry.wait_for(
            lambda s: s.mode != "UNKNOWN", 10, "the first heartbeat"
        ).armed:
            raise SortieAborted("the vehicle is already armed; this sortie starts on the ground")
        if self.follow_simulator_speedup:
            self._follow_simulator_speedup()
        # ArduPilot's pre-arm checks judge the fence on board, which may be an earlier
        # sortie's that the vehicle is now outside of ("Vehicle breaching Polygon
        # fence"): once the vehicle knows where it is, check this sortie's paths and
        # energy, upload it, then wait for the pre-arm checks to pass on it.
        deadline = time.monotonic() + self.ready_timeout_s
        wait_ready(vehicle, self.ready_timeout_s, self._say_waiting, prearm=False)
        self._check_paths()
        self._check_energy()
        self._upload()
        wait_ready(vehicle, max(1.0, deadline - time.monotonic()), self._say_waiting)
        self.say("vehicle ready to arm")
        accepted = prepare_flight(
            vehicle, self.mission, self.overrides, min_battery_pct=self.min_battery_pct
        )
        for name, reason in accepted.items():
            self.say(f"preflight check {name} overridden: {reason}")
        self.say("preflight checks passed")
        start = vehicle.snapshot
        started = time.monotonic()
        watch = None
        if "return_watch" in self.overrides:
            self.say("return-home watch overridden: only the vehicle's failsafes bring it home")
        else:
            watch = EnergyWatch(
                _OneVehicle(vehicle), self.bus, self.profile, airspace=self.airspace
            ).start()
        try:
            self.say(f"arming and taking off to {self.takeoff_alt_m:g} m")
            vehicle.action.takeoff(self.takeoff_alt_m, source="fly")
            vehicle.action.start_mission(source="fly")
            self.say(f"mission started: {len(self.mission.items)} items")
            self._follow(events, started)
        except KeyboardInterrupt:
            self._recover("interrupted by the operator")
            raise
        except (VehicleError, SortieAborted) as exc:
            self._recover(str(exc))
            raise SortieAborted(str(exc)) from exc
        finally:
            if watch is not None:
                watch.stop()
        end = vehicle.snapshot
        return SortieSummary(
            duration_s=time.monotonic() - started,
            distance_m=self._distance_m,
            battery_start_pct=start.battery.remaining_pct,
            battery_end_pct=end.battery.remaining_pct,
            consumed_mah=(end.battery.consumed_mah - (start.battery.consumed_mah or 0.0))
            if end.battery.consumed_mah is not None
            else None,
            tlog_path=self.tlog_path,
            waypoints_reached=self._reached,
        )

    def _check_paths(self) -> None:
        """Refuse, before anything is uploaded, a mission whose legs enter its own fence's
        no-fly zones or climb past the profile's ceiling: the vehicle would breach its fence
        in flight. A mission file flown alone knows only the zones it carries."""
        home = self.vehicle.snapshot.home
        problems = []
        ceiling = self.profile.max_altitude_m
        for seq, item in enumerate(self.mission.items, 1):
            if item.is_nav and item.has_position and item.alt_m > ceiling + 1e-6:
                problems.append(f"item {seq} at {item.alt_m:g} m is above the {ceiling:g} m limit")
        if home is not None and self.airspace.zones:
            places = [(0, (home.lat_deg, home.lon_deg))]
            for seq, item in enumerate(self.mission.items, 1):
                if item.is_nav and item.has_position and (item.lat_deg or item.lon_deg):
                    places.append((seq, (item.lat_deg, item.lon_deg)))
            if not any(item.command == Cmd.NAV_LAND for item in self.mission.items):
                places.append((len(self.mission.items) + 1, places[0][1]))  # RTL home
            for (k, a), (n, b) in itertools.pairwise(places):
                for zone in self.airspace.crosses([a, b]):
                    frm = "home" if k == 0 else f"item {k}"
                    to = "home" if n > len(self.mission.items) else f"item {n}"
                    problems.append(f"the leg from {frm} to {to} enters the no-fly zone {zone}")
        if problems:
            raise SortieAborted(
                "sortie refused before upload: " + "; ".join(problems[:3]) + ": re-plan it"
            )

    def _check_energy(self) -> None:
        """Refuse, before anything is uploaded, a mission the vehicle's charge cannot fly
        with the reserve kept (its pack, BATT_CAPACITY; its speed, WPNAV_SPEED; its
        consumption as learned in earlier flights and kept in ``energy_store``, read
        only, else the profile's).

        Overriding the ``battery`` preflight check accepts it, said aloud.
        """
        vehicle = self.vehicle
        home = vehicle.snapshot.home
        try:
            for name in ("BATT_CAPACITY", "WPNAV_SPEED"):
                vehicle.params.read(name)
        except VehicleError:
            pass  # unread: the check below says the capacity is unknown
        speed = (vehicle.params.heard().get("WPNAV_SPEED") or 0.0) / 100.0
        flown_with = replace(self.profile, cruise_speed_mps=speed) if speed > 0 else self.profile
        watch = EnergyWatch(_OneVehicle(vehicle), self.bus, flown_with, store=self.energy_store)
        try:
            if home is None:
                raise EnergyRefusal("the vehicle has no home position: cannot count the way back")
            cost = mission_cost(
                self.mission, flown_with, (home.lat_deg, home.lon_deg), self.takeoff_alt_m
            )
            figures = watch.check_sortie(vehicle.vehicle_id, cost.energy_frac, flown_with)
        except (EnergyRefusal, EndlessMission) as exc:
            if "battery" not in self.overrides:
                raise SortieAborted(f"sortie refused before upload: {exc}") from None
            self.say(f"preflight check battery overridden: {exc}")
            return
        need, has = figures["need_with_reserve_mah"], figures["available_mah"]
        self.say(
            f"battery: the sortie needs {need:,} mAh with the reserve "
            f"({cost.duration_s / 60:.1f} min); the pack has {has:,} mAh"
        )

    def _follow_simulator_speedup(self) -> None:
        """Send heartbeats at twice a simulator's speed-up [Hz] (SIM_SPEEDUP, simulators
        only), else at 1 Hz.

        A SITL counts its GCS failsafe in simulated seconds: at 10x, a 1 Hz heartbeat
        is one every 10 simulated seconds, past FS_GCS_TIMEOUT (5 s), and ArduCopter
        refuses to arm ("Arm: GCS failsafe on"). The link starts at
        PROBE_HEARTBEAT_HZ so that no failsafe trips while the answer comes. A real
        vehicle has no SIM_SPEEDUP: asking it costs a few seconds once.
        """
        try:
            speedup = self.vehicle.params.read("SIM_SPEEDUP", timeout_s=3.0)
        except VehicleError:
            speedup = 1.0
        hz = min(2.0 * speedup, MAX_HEARTBEAT_HZ) if speedup > 1.0 else 1.0
        self.link.heartbeat_period_s = 1.0 / hz
        if speedup > 1.0:
            self.say(f"simulator at {speedup:g}x real time: heartbeats at {hz:g} Hz")

    def _say_waiting(self, reasons: list[str]) -> None:
        self.say("waiting for the vehicle: " + "; ".join(reasons))

    def _upload(self) -> None:
        vehicle = self.vehicle
        if self.fence_capacity is not None:
            vehicle.mission.fence_capacity = self.fence_capacity
        vehicle.mission.check_fence_fits(self.mission)
        self.bus.emit(
            EventKind.MISSION_UPLOAD,
            vehicle.vehicle_id,
            plan=self.plan_ref,
            operator=self.operator,
            count=len(self.mission.items),
        )
        with vehicle.mission.undo_on_failure():
            self._upload_lists()
        self.say(
            f"uploaded and verified {len(self.mission.items)} mission items, "
            f"{len(self.mission.fence_items())} fence vertices, "
            f"{len(self.mission.rally_points)} rally points"
        )

    def _upload_lists(self) -> None:
        """Mission (with progress lines), fence and rally, each verified by reading it back."""
        vehicle = self.vehicle
        total = len(self.mission.items) + 1
        step = max(1, total // 10)
        progress = self.bus.subscribe(accept=lambda e: e.kind == EventKind.MISSION_UPLOAD)
        try:
            future = vehicle.mission.submit_upload(vehicle.mission.wire_items(self.mission))
            while not future.done():
                event = progress.get(0.05)
                data = event.data if event else {}
                if data.get("phase") == "upload" and "sent" in data and "result" not in data:
                    sent = data["sent"]
                    if data.get("mission_type") == "mission" and (
                        sent % step == 0 or sent == total
                    ):
                        self.say(f"uploading mission: {sent}/{total} items")
            future.result()
        finally:
            progress.close()
        # Verify the mission by reading it back; fence and rally go through the verifying path.
        from dronepatrol.mavlink.readback import compare_items

        got = vehicle.mission.download(MissionType.MISSION)
        problems = compare_items(vehicle.mission.wire_items(self.mission), got, skip_first=True)
        if problems:
            raise MissionVerifyError(MissionType.MISSION, "; ".join(problems[:3]))
        vehicle.mission.upload_items(self.mission.fence_items(), MissionType.FENCE)
        vehicle.mission.upload_items(self.mission.rally_items(), MissionType.RALLY)

    def _follow(self, events, started: float) -> None:
        """Watch the mission until landed and disarmed; one line per waypoint reached."""
        vehicle = self.vehicle
        items = self.mission.items
        ends_by_itself = any(i.command in ENDING_COMMANDS for i in items[-2:])
        was_airborne = False
        returning = False
        failsafes: list[str] = []
        while True:
            if self.interrupted.is_set():
                raise KeyboardInterrupt
            event = events.get(0.2)
            snap = vehicle.snapshot
            if snap.flying:
                was_airborne = True
            if event is not None:
                self._on_event(event, items, failsafes)
            if time.monotonic() - started > self.sortie_timeout_s and not returning:
                self.say(f"sortie time limit {self.sortie_timeout_s:g} s reached: RTL")
                self._command_rtl()
                returning = True
            mission_done = snap.mission.state == MISSION_STATE_COMPLETE or self._reached >= len(
                items
            )
            in_auto = snap.flight_mode is CopterMode.AUTO
            if mission_done and not ends_by_itself and not returning and in_auto:
                self.say("mission complete: returning to launch")
                self._command_rtl()
                returning = True
            if was_airborne and snap.on_ground and not snap.armed and snap.link is LinkState.UP:
                break
        if failsafes:
            raise SortieAborted("landed after failsafe: " + "; ".join(failsafes))
        self.say("landed and disarmed")

    def _on_event(self, event, items, failsafes: list[str]) -> None:
        kind, data = event.kind, event.data
        if kind == EventKind.TELEMETRY:
            if data.get("armed"):
                fix = (data["lat_deg"], data["lon_deg"])
                if self._last_fix is not None:
                    self._distance_m += distance_m(*self._last_fix, *fix)
                self._last_fix = fix
        elif kind == EventKind.WAYPOINT_REACHED:
            seq = int(data["seq"])
            self._reached = max(self._reached, seq)
            self.say(self._progress_line(seq, items))
        elif kind == EventKind.ENERGY:
            self.say(f"battery: {data['text']}")
            if data.get("stage") == "return_now":
                failsafes.append(f"sent home on its charge: {data['text']}")
        elif kind == EventKind.FAILSAFE:
            failsafes.append(data["text"])
            self.say(f"FAILSAFE ({data['failsafe']}): {data['text']}; vehicle in {data['mode']}")
        elif kind == EventKind.LINK_LOST:
            self.say(
                f"link lost ({data['silent_s']} s silent); the vehicle's failsafe is in "
                "charge until it comes back"
            )
        elif kind == EventKind.LINK_RESTORED:
            self.say(f"link restored after {data['outage_s']} s")
        elif kind == EventKind.COMMAND_RESULT and data.get("external"):
            self.say(f"{data['source']}: {data['name']} -> {data['result']}")
        elif kind == EventKind.MODE_CHANGED and flight_mode(data["mode"]) in RETURNING_MODES:
            self.say(f"mode {data['mode']}")
        elif kind == EventKind.STATUSTEXT and int(data.get("severity", 6)) <= 3:
            self.say(f"vehicle: {data['text']}")

    def _progress_line(self, seq: int, items) -> str:
        snap = self.vehicle.snapshot
        position = snap.position
        next_item = next((i for i in items[seq:] if i.has_position), None)
        distance = "-"
        if next_item is not None and position is not None:
            metres = distance_m(
                position.lat_deg, position.lon_deg, next_item.lat_deg, next_item.lon_deg
            )
            distance = f"{metres:.0f} m"
        alt = f"{position.alt_rel_m:.1f} m" if position else "?"
        battery = (
            f"{snap.battery.remaining_pct:.0f}%" if snap.battery.remaining_pct is not None else "?"
        )
        return f"item {seq}/{len(items)} reached | next {distance} | alt {alt} | battery {battery}"

    # ---- safety ------------------------------------------------------------------

    def _command_rtl(self) -> None:
        """Come home round the no-fly zones of the mission's fence (then RTL), else land."""
        snap = self.vehicle.snapshot
        route = None
        if snap.position is not None and snap.home is not None:
            route = self.airspace.route_home(
                (snap.position.lat_deg, snap.position.lon_deg),
                (snap.home.lat_deg, snap.home.lon_deg),
            )
        try:
            if route is not None and len(route) > 2:
                self.say("returning round the no-fly zones")
                self.vehicle.action.return_home(route, source="fly")
            else:
                self.vehicle.action.rtl(source="fly")
        except VehicleError as exc:
            self.say(f"RTL refused ({exc}); landing here")
            self.vehicle.action.land(source="fly")

    def _recover(self, why: str) -> None:
        """Bring the vehicle to a safe state: RTL and land if flying, disarm if on the ground."""
        vehicle = self.vehicle
        snap = vehicle.snapshot
        self.say(f"{why}: making the vehicle safe")
        try:
            if snap.flying:
                if not snap.returning:
                    self._command_rtl()
                self.say("returning to launch; waiting for landing")
                vehicle.action.disarm_after_landing(
                    timeout_s=max(self.sortie_timeout_s, 600.0), source="fly"
                )
                self.say("landed and disarmed")
            elif snap.armed:
                vehicle.action.disarm(source="fly")
                self.say("disarmed on the ground")
        except (VehicleError, FlightError) as exc:
            self.say(f"could not make the vehicle safe: {exc}")
