"""One simulated ArduCopter: vehicle state, the simulation step, modes and telemetry timing.

The vehicle is stepped in simulated time by its fleet (:mod:`fleet`) and fed
decoded MAVLink messages by its link endpoint; it queues encoded replies in
:attr:`SimCopter.outbox` as (client, bytes), client None meaning every
connected ground station. Message handling lives in :mod:`handlers`,
:mod:`commands` and :mod:`failsafes`, mode controllers in :mod:`flight`,
telemetry builders in :mod:`telemetry`.

Start-up follows SITL (:mod:`estimator`): EKF attitude after ~1 s, a 3D GPS
fix after ~10 s, the EKF origin, home and "using GPS" after ~40 s
(``fast_start`` makes that 0.5 s / 1 s / 4 s for tests). Times are
simulated seconds since boot.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from dronepatrol import geo
from dronepatrol.sitl import flight, telemetry
from dronepatrol.sitl.arming import ArmingMixin
from dronepatrol.sitl.estimator import EstimatorMixin
from dronepatrol.sitl.fence import FenceMixin
from dronepatrol.sitl.flight import Guided, Lander, MissionRunner, Point, Rtl, SmartRtl
from dronepatrol.sitl.mission_protocol import FENCE, MISSION, RALLY, Item, ItemStore
from dronepatrol.sitl.params import PARAM_NAMES, Params
from dronepatrol.sitl.physics import (
    Airframe,
    Battery,
    Limits,
    Target,
    flight_current_a,
    pack_param_defaults,
)
from dronepatrol.sitl.pilot import PilotMixin
from dronepatrol.sitl.safety import (
    BatteryFailsafe,
    Zone,
)
from dronepatrol.state import CopterMode, LandedState

M = mavlink

SEV_CRITICAL = 2
SEV_WARNING = 4
SEV_NOTICE = 5
SEV_INFO = 6
TIMESYNC_INTERVAL_S = 10.0
"""ArduPilot asks every link for a TIMESYNC this often [s] (_timesync_request.interval_ms)."""


@dataclass(frozen=True)
class Home:
    """Where a simulated copter boots: position [deg], ground altitude AMSL [m], heading [deg]."""

    lat_deg: float
    lon_deg: float
    alt_m: float = 584.0
    heading_deg: float = 0.0


@dataclass(frozen=True)
class StartupTimes:
    """Simulated seconds after boot at which each estimator stage comes up."""

    ekf_attitude_s: float = 1.0
    gps_fix_s: float = 10.0
    ekf_gps_s: float = 40.0

    @classmethod
    def fast(cls) -> StartupTimes:
        return cls(0.5, 1.0, 4.0)


class SimCopter(EstimatorMixin, ArmingMixin, FenceMixin, PilotMixin):
    """A simulated ArduCopter 4.x speaking MAVLink 2 as system ``sysid``, component 1.

    Its behaviour is split by subject: :mod:`estimator` (GPS/EKF),
    :mod:`arming`, :mod:`fence`, :mod:`pilot` (sticks), :mod:`flight` (modes),
    :mod:`handlers` / :mod:`commands` / :mod:`failsafes` (inbound MAVLink).
    """

    def __init__(
        self,
        sysid: int,
        home: Home,
        *,
        fast_start: bool = False,
        params: dict[str, float] | None = None,
        seed: int | None = None,
        battery_ah: float = 0.0,
    ) -> None:
        """``battery_ah``: the frame model's pack capacity [Ah]; 0 is SITL's default
        unlimited pack at a constant SIM_BATT_VOLTAGE."""
        self.sysid = sysid
        self._boot_args = (home, fast_start, seed, battery_ah)
        self.mav = mavlink.MAVLink(None, srcSystem=sysid, srcComponent=1)
        self.params = Params(
            {"MAV_SYSID": sysid, **pack_param_defaults(battery_ah), **(params or {})}
        )
        self.startup = StartupTimes.fast() if fast_start else StartupTimes()
        self.boot_done_s = 0.2
        self.now = 0.0
        self.step_dt = 0.0
        self.wall_epoch = time.time()
        self.outbox: list[tuple[Any, bytes]] = []
        self.signing_key: bytes | None = None

        self.origin_lat, self.origin_lon, self.origin_alt_m = home.lat_deg, home.lon_deg, home.alt_m
        self.origin_set = False
        self.home_set = False
        self.home_local = Point(0.0, 0.0, 0.0)
        self.ground_up_m = 0.0
        self.air = Airframe(yaw_deg=home.heading_deg, seed=seed)
        self.battery = Battery(battery_ah)
        self.battery_fs = BatteryFailsafe()

        self.mode = CopterMode(int(self.params["INITIAL_MODE"]))
        self.armed = False
        self.landed = True
        self.auto_armed = False
        self.arm_time = 0.0
        self.disarm_time = 0.0
        self.landed_since: float | None = 0.0
        self.disarm_timer_start: float | None = None
        self.prearm_ok = False
        self._prearm_next_display = 0.0
        self._prearm_next_check = 0.0
        self._ekf_announced = 0
        self._gps_lost_at: float | None = None

        self.guided = Guided(self)
        self.circle: flight.Circle | None = None
        self.runner = MissionRunner(self)
        self._item_reached: int | None = None
        self.rtl: Rtl | None = None
        self.lander: Lander | None = None
        self.speed_override_mps: float | None = None
        self.climb_override_mps: float | None = None
        self.descent_override_mps: float | None = None
        self.paused = False
        self.roi: Point | None = None
        self.yaw_hold_deg: float | None = None
        self.hold_point: Point | None = None
        self.user_takeoff_up: float | None = None
        self.breadcrumbs: list[Point] = []
        self.rc_override: dict[int, tuple[int, float]] = {}

        self.stores = {t: ItemStore(t) for t in (MISSION, FENCE, RALLY)}
        self.fence_zones: list[Zone] = []
        self.fence_breaches = 0
        self.fence_breach_count = 0
        self.fence_breach_time = 0.0
        self.failsafe_gcs = False
        self.failsafe_ekf = False
        self.gcs_last_seen: float | None = None

        self.intervals: dict[int, float] = {M.MAVLINK_MSG_ID_HEARTBEAT: 1.0}
        self.next_due: dict[int, float] = {M.MAVLINK_MSG_ID_HEARTBEAT: 0.0}
        self.param_queue: list[tuple[Any, int]] = []
        self._check_next = 0.0
        self._timesync_next = TIMESYNC_INTERVAL_S

        from dronepatrol.sitl.handlers import Handlers

        self.handlers = Handlers(self)

    def set_signing_key(self, key: bytes, initial_timestamp: int = 0) -> None:
        """Sign outgoing MAVLink 2 with ``key`` (32 bytes); all zeros disables signing."""
        signing = self.mav.signing
        if not any(key):
            signing.secret_key = None
            signing.sign_outgoing = False
            self.signing_key = None
            return
        self.signing_key = key
        signing.secret_key = key
        signing.sign_outgoing = True
        signing.link_id = 0
        # MAVLink timestamps count 10 us since 2015-01-01; never go backwards
        now_stamp = int((self.wall_epoch + self.now - 1420070400) * 1e5)
        signing.timestamp = max(signing.timestamp, initial_timestamp, now_stamp)

    def reboot(self) -> None:
        """Restart the autopilot: parameters and stored missions survive, the rest boots anew."""
        home, fast_start, seed, battery_ah = self._boot_args
        params = {name: self.params[name] for name in PARAM_NAMES}
        stores = self.stores
        outbox = self.outbox
        key = self.signing_key
        self.__init__(
            self.sysid, home, fast_start=fast_start, params=params, seed=seed, battery_ah=battery_ah
        )
        self.outbox = outbox
        self.stores = stores
        for proto in self.handlers.protocols.values():
            proto.store = stores[proto.mission_type]
        self.reload_fence()
        if key is not None:  # the key is kept in storage, like the missions
            self.set_signing_key(key)

    # -- messaging ----------------------------------------------------------
    def emit(self, msg: Any, client: Any = None) -> None:
        """Encode ``msg`` from this vehicle and queue it (client None: every client)."""
        if msg is None:
            return
        buf = msg.pack(self.mav)
        self.mav.seq = (self.mav.seq + 1) % 256
        self.outbox.append((client, buf))

    def text(self, severity: int, text: str) -> None:
        self.emit(self.mav.statustext_encode(severity, text.encode()[:50]))

    def time_boot_ms(self) -> int:
        return round(self.now * 1000) & 0xFFFFFFFF

    def wall_epoch_us(self) -> float:
        return (self.wall_epoch + self.now) * 1e6

    # -- position helpers ---------------------------------------------------
    def latlon(self) -> tuple[float, float]:
        return geo.offset(self.origin_lat, self.origin_lon, self.air.north_m, self.air.east_m)

    def to_ne(self, lat: float, lon: float) -> tuple[float, float]:
        return geo.ne_offset_m(self.origin_lat, self.origin_lon, lat, lon)

    def to_local(
        self, lat: float, lon: float, alt: float, frame: int, only_alt: bool = False
    ) -> Point:
        """A mission/command location in the local frame; lat/lon 0 means "here"."""
        if frame in (M.MAV_FRAME_GLOBAL, M.MAV_FRAME_GLOBAL_INT):
            up = alt - self.origin_alt_m
        else:  # relative to home (terrain frames: the simulated ground is flat)
            up = self.home_local.up + alt
        if only_alt or (lat == 0 and lon == 0):
            return Point(self.air.north_m, self.air.east_m, up)
        north, east = self.to_ne(lat, lon)
        return Point(north, east, up)

    def home_latlon(self) -> tuple[float, float, float]:
        lat, lon = geo.offset(
            self.origin_lat, self.origin_lon, self.home_local.north, self.home_local.east
        )
        return lat, lon, self.origin_alt_m + self.home_local.up

    def home_item(self) -> Item | None:
        if not self.home_set:
            return None
        lat, lon, alt = self.home_latlon()
        return Item(seq=0, frame=0, command=16, x=round(lat * 1e7), y=round(lon * 1e7), z=alt)

    def rtl_destination(self) -> Point:
        """Nearest rally point within RALLY_LIMIT_KM, or home (RALLY_INCL_HOME)."""
        air = self.air
        home = self.home_local
        best: Point | None = None
        best_m = math.inf
        limit_m = self.params["RALLY_LIMIT_KM"] * 1000.0
        for item in self.stores[RALLY].commands():
            north, east = self.to_ne(item.lat_deg, item.lon_deg)
            dist = math.hypot(north - air.north_m, east - air.east_m)
            if dist < best_m:
                best, best_m = Point(north, east, home.up), dist
        home_m = math.hypot(home.north - air.north_m, home.east - air.east_m)
        if best is None:
            return home
        if self.params["RALLY_INCL_HOME"] and home_m < best_m:
            return home
        if limit_m > 0 and best_m > limit_m and home_m < best_m:
            return home
        return best

    def travel_yaw(self, point: Point, rtl: bool = False) -> float | None:
        """Heading toward ``point``: ROI, held yaw, or along the track (WP_YAW_BEHAVIOR)."""
        air = self.air
        if self.roi is not None:
            return math.degrees(
                math.atan2(self.roi.east - air.east_m, self.roi.north - air.north_m)
            )
        if self.yaw_hold_deg is not None:
            return self.yaw_hold_deg
        behaviour = int(self.params["WP_YAW_BEHAVIOR"])
        if behaviour == 0 or (behaviour == 2 and rtl):
            return None
        dn, de = point.north - air.north_m, point.east - air.east_m
        if math.hypot(dn, de) < 2.0:
            return None
        return math.degrees(math.atan2(de, dn)) % 360.0

    def stopping_point(self) -> Point:
        """Where braking at WPNAV_ACCEL from the current velocity ends (get_stopping_point)."""
        air = self.air
        accel = self.limits().accel_xy_mss
        speed = air.groundspeed_mps
        ahead = speed / (2.0 * accel) if speed > 0.01 else 0.0  # d = v^2 / 2a, per m/s
        return Point(air.north_m + air.vn * ahead, air.east_m + air.ve * ahead, air.up_m)

    def hold_target(self) -> Target:
        if self.hold_point is None:
            self.hold_point = self.stopping_point()
        hp = self.hold_point
        return Target(north_m=hp.north, east_m=hp.east, up_m=hp.up, yaw_deg=self.yaw_hold_deg)

    def limits(self) -> Limits:
        p = self.params
        return Limits(
            speed_xy_mps=max(0.2, p["WPNAV_SPEED"] / 100.0),
            accel_xy_mss=max(0.5, p["WPNAV_ACCEL"] / 100.0),
            climb_mps=self.climb_override_mps or max(0.1, p["WPNAV_SPEED_UP"] / 100.0),
            descent_mps=self.descent_override_mps or max(0.1, p["WPNAV_SPEED_DN"] / 100.0),
            accel_z_mss=max(0.5, p["WPNAV_ACCEL_Z"] / 100.0),
            yaw_rate_dps=max(5.0, p["ATC_SLEW_YAW"] / 100.0),
        )

    # -- mode and mission notifications -------------------------------------
    def home_position_message(self) -> Any:
        if not self.home_set:
            return None
        lat, lon, alt = self.home_latlon()
        return self.mav.home_position_encode(
            round(lat * 1e7),
            round(lon * 1e7),
            round(alt * 1000),
            self.home_local.north,
            self.home_local.east,
            -self.home_local.up,
            [math.nan] * 4,  # GCS_MAVLINK::send_home_position: no surface orientation
            0.0,
            0.0,
            0.0,
            round(self.now * 1e6),
        )

    def mission_current_message(self) -> Any:
        total = len(self.stores[MISSION].items)
        if total == 0:
            state = M.MISSION_STATE_NO_MISSION
        elif self.runner.complete:
            state = M.MISSION_STATE_COMPLETE
        elif self.runner.started and self.mode == CopterMode.AUTO and self.paused:
            state = M.MISSION_STATE_PAUSED
        elif self.runner.started and self.mode == CopterMode.AUTO:
            state = M.MISSION_STATE_ACTIVE
        elif self.runner.started:
            state = M.MISSION_STATE_PAUSED
        else:
            state = M.MISSION_STATE_NOT_STARTED
        # mission_mode: 1 flying the mission (AUTO), 2 suspended (another mode)
        mission_mode = 1 if self.mode == CopterMode.AUTO else 2
        seq = self.runner.current_seq
        # total is the last sequence number (item 0 is home), as ArduPilot reports it
        return self.mav.mission_current_encode(seq, total, state, mission_mode)

    def send_mission_current(self) -> None:
        self.emit(self.mission_current_message())

    def send_item_reached(self, seq: int) -> None:
        """Queue MISSION_ITEM_REACHED; sent at the end of the step.

        GCS_MAVLINK::send_mission_item_reached_message keeps one index for the
        next send: commands completed in one loop (a takeoff and the
        DO_CHANGE_SPEED after it) are reported as the last of them.
        """
        self._item_reached = seq

    def _send_item_reached(self) -> None:
        if self._item_reached is not None:
            self.emit(self.mav.mission_item_reached_encode(self._item_reached))
            self._item_reached = None

    def mission_finished(self) -> None:
        """ModeAuto::exit_mission: hover (loiter) in AUTO when flying, disarm when landed."""
        self.send_mission_current()
        self.hold_point = None
        if self.landed and self.armed:
            self.disarm(reason="mission complete")

    def _position_target_point(self) -> Point | None:
        """Mode::get_wp: a target only where AC_WPNav flies to one.

        GUIDED when not taking off, AUTO on a waypoint (not takeoff, landing or
        loiter legs; its RTL leg as RTL), RTL before its landing.
        """
        rtl_land = (flight.RtlState.LAND,)
        if self.mode == CopterMode.GUIDED:
            return None if self.guided.taking_off else self.guided.point
        if self.mode == CopterMode.AUTO:
            nav = self.runner.nav
            if nav is None or self.runner.complete:
                return None
            if nav.command in (16, 82):
                return self.runner.target_point
            if nav.command == 20 and self.runner.rtl is not None:
                return None if self.runner.rtl.state in rtl_land else self.home_local
            return None
        if self.mode == CopterMode.RTL and self.rtl is not None:
            return None if self.rtl.state in rtl_land else self.home_local
        return None

    def position_target_message(self) -> Any:
        point = self._position_target_point()
        if point is None:
            return None
        lat, lon = geo.offset(self.origin_lat, self.origin_lon, point.north, point.east)
        return self.mav.position_target_global_int_encode(
            self.time_boot_ms(),
            M.MAV_FRAME_GLOBAL,  # targets are always sent as AMSL altitude
            0xFDF8,  # everything but the position is ignored
            round(lat * 1e7),
            round(lon * 1e7),
            self.origin_alt_m + point.up,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
        )

    def _current_nav_point(self) -> Point | None:
        if self.mode == CopterMode.GUIDED:
            return self.guided.point
        if self.mode == CopterMode.AUTO and self.runner.target_point is not None:
            return self.runner.target_point
        if self.mode == CopterMode.RTL:
            return self.home_local
        return None

    def nav_distance_bearing(self) -> tuple[float, float]:
        point = self._current_nav_point()
        if point is None:
            return 0.0, self.air.yaw_deg
        dn, de = point.north - self.air.north_m, point.east - self.air.east_m
        return math.hypot(dn, de), math.degrees(math.atan2(de, dn)) % 360.0

    def landed_state(self) -> int:
        if self.landed:
            return LandedState.ON_GROUND
        if self.is_landing():
            return LandedState.LANDING
        if self.is_taking_off():
            return LandedState.TAKEOFF
        return LandedState.IN_AIR

    def is_landing(self) -> bool:
        if self.mode == CopterMode.LAND:
            return True
        if self.mode in (CopterMode.RTL, CopterMode.SMART_RTL) and self.rtl is not None:
            return self.rtl.state in (flight.RtlState.LAND, flight.RtlState.FINAL_DESCENT)
        return self.mode == CopterMode.AUTO and self.runner.landing

    def is_taking_off(self) -> bool:
        if self.user_takeoff_up is not None:
            return True
        if self.mode == CopterMode.GUIDED:
            return self.guided.taking_off
        return self.mode == CopterMode.AUTO and self.runner.taking_off

    def position_control_active(self) -> bool:
        """The horizontal position controller runs (HEARTBEAT's GUIDED_ENABLED flag)."""
        return (
            self.armed
            and not self.landed
            and (self.mode in flight.POSITION_MODES or self.mode == CopterMode.LAND)
        )

    def failsafe_active(self) -> bool:
        return self.failsafe_gcs or self.failsafe_ekf or self.battery_fs.level > 0

    # -- modes ----------------------------------------------------------------
    def set_mode(self, mode: int, reason: str = "gcs") -> bool:
        """Copter::set_mode: refuse unknown modes and, when armed, modes needing position."""
        try:
            new = CopterMode(mode)
        except ValueError:
            return False
        if new not in flight.SUPPORTED_MODES:
            return False
        if new == self.mode:
            return True
        name = flight.MODE_NAMES[new]
        ignore_checks = not self.armed
        if not ignore_checks and new in flight.POSITION_MODES and not self.position_ok():
            self.text(SEV_WARNING, f"Mode change to {name} failed: requires position")
            return False
        if new == CopterMode.AUTO:
            if not ignore_checks and not self.stores[MISSION].items:
                self.text(SEV_WARNING, f"Mode change to {name} failed: init failed")
                return False
            first = self._first_nav_command()
            if self.armed and self.landed and (first is None or first.command != 22):
                self.text(SEV_CRITICAL, "Auto: Missing Takeoff Cmd")
                self.text(SEV_WARNING, f"Mode change to {name} failed: init failed")
                return False
        if new == CopterMode.SMART_RTL and not (
            self.armed and self.position_ok() and self.breadcrumbs
        ):
            return False  # SmartRTL needs a position and a recorded path
        self._enter_mode(new, reason)
        return True

    def _first_nav_command(self) -> Item | None:
        for item in self.stores[MISSION].items:
            if item.command <= flight.NAV_CMD_LAST:
                return item
        return None

    def pause(self) -> bool:
        """DO_PAUSE_CONTINUE pause: AUTO and GUIDED brake and hold."""
        if self.mode not in (CopterMode.AUTO, CopterMode.GUIDED) or self.landed:
            return False
        self.paused = True
        self.hold_point = None
        self.send_mission_current()
        return True

    def resume(self) -> bool:
        if not self.paused:
            return False
        self.paused = False
        self.send_mission_current()
        return True

    def _enter_mode(self, new: CopterMode, reason: str, land_pause: bool = False) -> None:
        self.mode = new
        self.paused = False
        # every mode that navigates re-initialises AC_WPNav on entry (wp_and_spline_init),
        # so a DO_CHANGE_SPEED lasts until the next mode change
        self.speed_override_mps = None
        self.climb_override_mps = self.descent_override_mps = None
        self.hold_point = None
        self.user_takeoff_up = None
        self.yaw_hold_deg = None
        self.rtl = None
        self.lander = None
        if new == CopterMode.GUIDED:
            self.guided = Guided(self)
        elif new == CopterMode.RTL:
            self.rtl = Rtl(self)
        elif new == CopterMode.SMART_RTL:
            self.rtl = SmartRtl(self)
        elif new == CopterMode.LAND:
            self.lander = Lander(self, pause_s=flight.LAND_PAUSE_S if land_pause else 0.0)
        elif new == CopterMode.CIRCLE:
            self.circle = flight.Circle(self)
        elif new == CopterMode.AUTO:
            self.roi = None
            if self.runner.complete or not self.runner.started:
                self.runner.reset()
            if self.armed and (self.auto_armed or not self.landed):
                self.runner.start_or_resume()
        self.send_mission_current()

    def rtl_or_land(self, reason: str) -> None:
        """set_mode_RTL_or_land_with_pause."""
        if not self.set_mode(CopterMode.RTL, reason):
            self.land_with_pause(reason)

    def land_with_pause(self, reason: str) -> None:
        self._enter_mode(CopterMode.LAND, reason, land_pause=True)

    def do_failsafe_action(self, action: str, reason: str) -> None:
        if action == "none":
            return
        if action == "land":
            if self.mode != CopterMode.LAND:
                self.land_with_pause(reason)
        elif action in ("rtl", "auto_rtl"):
            self.rtl_or_land(reason)
        elif action == "smartrtl_rtl":
            if not self.set_mode(CopterMode.SMART_RTL, reason):
                self.text(SEV_WARNING, "SmartRTL Unavailable, Trying RTL Mode")
                self.rtl_or_land(reason)
        elif action == "smartrtl_land":
            if not self.set_mode(CopterMode.SMART_RTL, reason):
                self.text(SEV_WARNING, "SmartRTL Unavailable, Using Land Mode")
                self.land_with_pause(reason)
        elif action == "brake_land":
            if not self.set_mode(CopterMode.BRAKE, reason):
                self.text(SEV_WARNING, "Trying Land Mode")
                self.land_with_pause(reason)
        elif action == "terminate":
            self.disarm(force=True, reason="terminate")

    # -- the step -------------------------------------------------------------
    def step(self, dt: float) -> None:
        """Advance ``dt`` simulated seconds: estimator, control, physics, checks, telemetry."""
        self.now += dt
        self.step_dt = dt
        self._update_estimator()
        self._apply_param_changes()
        target = self._control_target()
        if self.armed and not self.landed:
            self.air.step(dt, target, self.limits())
            self._record_breadcrumb()
            near_ground = self.air.up_m <= self.ground_up_m + 0.05 and self.air.vu <= 0.05
            if near_ground and (target.up_m is None or target.up_m <= self.ground_up_m + 0.2):
                self._touch_down()
        else:
            self.air.hold_on_ground()
            if self.armed and self._wants_climb(target):
                self._liftoff()
        p = self.params
        self.air.set_wind(p["SIM_WIND_SPD"], p["SIM_WIND_DIR"], p["SIM_WIND_TURB"], dt)
        current = flight_current_a(self.air, self.armed, not self.landed)
        self.battery.step(dt, current, p["SIM_BATT_VOLTAGE"])
        if self.now >= self._check_next:
            self._check_next = self.now + 0.1
            self.handlers.slow_checks()
        for proto in self.handlers.protocols.values():
            proto.update(self.now)
        self._send_item_reached()
        self._send_due_telemetry()
        self.handlers.send_queued_params()
        if self.now >= self._timesync_next:
            # GCS_MAVLINK::update_send: a TIMESYNC request every 10 s on every link, its ts1
            # the boot time in ns plus the system id (timesync_timestamp_ns)
            self._timesync_next = self.now + TIMESYNC_INTERVAL_S
            self.emit(self.mav.timesync_encode(0, round(self.now * 1e6) * 1000 + self.sysid))

    def _record_breadcrumb(self) -> None:
        """SmartRTL's path: a point every SRTL_ACCURACY metres, thinned at SRTL_POINTS."""
        if self.mode == CopterMode.SMART_RTL or not self.position_ok():
            return
        air = self.air
        here = Point(air.north_m, air.east_m, air.up_m)
        crumbs = self.breadcrumbs
        if not crumbs:
            home = self.home_local
            crumbs.append(Point(home.north, home.east, max(air.up_m, home.up + 2.0)))
        last = crumbs[-1]
        step = max(1.0, self.params["SRTL_ACCURACY"])
        if math.dist((last.north, last.east, last.up), (here.north, here.east, here.up)) >= step:
            crumbs.append(here)
            if len(crumbs) > max(10, int(self.params["SRTL_POINTS"])):
                del crumbs[1:-1:2]  # keep the ends, drop every other point

    def _wants_climb(self, target: Target) -> bool:
        if self.mode == CopterMode.AUTO:
            return self.runner.started and target.up_m is not None and target.up_m > 0.2
        if self.mode == CopterMode.GUIDED:
            return self.guided.taking_off
        if self.mode in flight.PILOT_MODES:
            return self.user_takeoff_up is not None or (target.vel_u_mps or 0.0) > 0.0
        return False

    def _touch_down(self) -> None:
        self.air.hold_on_ground()
        self.landed = True
        self.landed_since = self.now
        self.hold_point = None
        if self.is_landing_mode_for_disarm():
            self.disarm(reason="landed")

    def is_landing_mode_for_disarm(self) -> bool:
        if self.mode == CopterMode.LAND:
            return True
        # AUTO disarms when its landing command completes (ModeAuto::exit_mission)
        return self.mode in (CopterMode.RTL, CopterMode.SMART_RTL)

    def _control_target(self) -> Target:
        mode = self.mode
        if self.paused:
            return self.hold_target()
        if mode == CopterMode.GUIDED:
            return self.guided.target()
        if mode == CopterMode.CIRCLE and self.circle is not None:
            return self.circle.target()
        if mode == CopterMode.AUTO:
            if not self.runner.started and self.armed and (self.auto_armed or not self.landed):
                self.runner.start_or_resume()
            if self.runner.complete:
                return self.hold_target()
            return self.runner.target()
        if mode in (CopterMode.RTL, CopterMode.SMART_RTL):
            if self.rtl is None:
                self.rtl = Rtl(self)
            return self.rtl.target()
        if mode == CopterMode.LAND:
            if self.lander is None:
                self.lander = Lander(self)
            return self.lander.target()
        if mode in flight.PILOT_MODES:
            return self.pilot_target()
        return self.hold_target()

    def _apply_param_changes(self) -> None:
        changed = self.params.changed
        if not changed:
            return
        if "FENCE_ENABLE" in changed or "FENCE_TYPE" in changed:
            self.fence_breaches = 0
        changed.clear()

    def _send_due_telemetry(self) -> None:
        for msgid, interval in self.intervals.items():
            due = self.next_due.get(msgid, 0.0)
            if self.now + 1e-9 < due:
                continue
            # keep the cadence; skip missed slots rather than bursting
            nxt = due + interval
            self.next_due[msgid] = nxt if nxt > self.now else self.now + interval
            builder = telemetry.BUILDERS.get(msgid)
            if builder is not None:
                self.emit(builder(self))
