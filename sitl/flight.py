"""Flight-mode controllers of the simulated copter: GUIDED, AUTO, RTL, LAND and holds.

Each mode turns the vehicle's situation into a physics :class:`Target` every
step, the way ArduCopter's mode classes drive its position controller:

* GUIDED flies to the last takeoff / reposition / position target;
* AUTO runs the stored mission through :class:`MissionRunner`;
* RTL climbs to RTL_ALT if lower, returns, loiters RTL_LOIT_TIME, lands;
* LAND descends at WPNAV_SPEED_DN (LAND_SPEED_HIGH) to LAND_ALT_LOW then at
  LAND_SPEED, optionally after a 4 s pause (failsafe landings);
* CIRCLE orbits a centre CIRCLE_RADIUS ahead, nose on the centre;
* the pilot modes hold position (the simulated sticks are centred).

All distances are metres in the vehicle's local frame (north, east, up from
the EKF origin); times are simulated seconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from dronepatrol.sitl.avoid import adjust_velocity
from dronepatrol.sitl.physics import Target
from dronepatrol.state import CopterMode

if TYPE_CHECKING:
    from dronepatrol.sitl.copter import SimCopter
    from dronepatrol.sitl.mission_protocol import Item

LAND_PAUSE_S = 4.0
"""Failsafe landings hold this long before descending (land_with_pause)."""
TAKEOFF_DONE_M = 0.5
"""Takeoff counts as complete this close to the target altitude [m]."""
NAV_CMD_LAST = 95
"""MAV_CMD_NAV_LAST: commands at or below are navigation commands."""


COMMAND_TYPE_NAMES = {
    16: "WP",
    17: "LoitUnlim",
    18: "LoitTurns",
    19: "LoitTime",
    20: "RTL",
    21: "Land",
    22: "Takeoff",
    30: "ContinueAndChangeAlt",
    31: "LoitAltitude",
    82: "SplineWP",
    92: "GuidedEnable",
    93: "Delay",
    112: "CondDelay",
    114: "CondDist",
    115: "CondYaw",
    177: "Jump",
    178: "ChangeSpeed",
    179: "SetHome",
    181: "SetRelay",
    183: "SetServo",
    189: "LandStart",
    195: "SetROILocation",
    197: "SetROINone",
    201: "SetROI",
    206: "SetCamTrigDst",
    207: "FenceEnable",
    208: "Parachute",
    211: "Gripper",
    222: "GuidedLimits",
}
"""AP_Mission::Mission_Command::type: the names mission progress texts use."""


class RtlState(Enum):
    CLIMB = "climb"
    RETURN = "return"
    LOITER = "loiter"
    FINAL_DESCENT = "final_descent"
    LAND = "land"


@dataclass
class Point:
    """A local position [m]."""

    north: float
    east: float
    up: float


class Lander:
    """Vertical landing profile shared by LAND, RTL and AUTO landings."""

    def __init__(self, copter: SimCopter, pause_s: float = 0.0, at: Point | None = None) -> None:
        self.copter = copter
        self.start_s = copter.now
        self.pause_s = pause_s
        self.at = at
        air = copter.air
        self.hold = Point(air.north_m, air.east_m, air.up_m)

    def target(self) -> Target:
        c = self.copter
        p = c.params
        spot = self.at or self.hold
        dist = math.hypot(spot.north - c.air.north_m, spot.east - c.air.east_m)
        if c.now - self.start_s < self.pause_s or dist > 2.0:
            # first hold (failsafe pause) or reach the landing spot at this height
            return Target(north_m=spot.north, east_m=spot.east, up_m=self.hold.up, yaw_deg=None)
        high = p["LAND_SPEED_HIGH"] or p["WPNAV_SPEED_DN"]
        above_low = c.air.up_m - c.ground_up_m > p["LAND_ALT_LOW"] / 100.0
        speed = (high if above_low else p["LAND_SPEED"]) / 100.0
        return Target(north_m=spot.north, east_m=spot.east, vel_u_mps=-max(speed, 0.1))


class MissionRunner:
    """AP_Mission's sequencing: one navigation command at a time, DO commands between them.

    The DO commands after a navigation command run once it is complete, on the
    way to the next navigation command (AP_Mission::advance_current_nav_cmd
    starts them as it searches; advance_current_do_cmd never looks past the
    running navigation command): a DO_CHANGE_SPEED after the takeoff applies
    from the first waypoint on, not during the climb. DO_JUMP is followed with
    its repeat count (-1: forever). Completed commands are reported with
    MISSION_ITEM_REACHED, as ArduCopter's ModeAuto::verify_command does.
    """

    def __init__(self, copter: SimCopter) -> None:
        self.copter = copter
        self.nav: Item | None = None
        self.current_seq = 0
        self.complete = False
        self.started = False
        self.jumps: dict[int, int] = {}
        self.reached_at: float | None = None
        self.target_point: Point | None = None
        self.lander: Lander | None = None
        self.rtl: Rtl | None = None
        self.circle_deg = 0.0
        self.circle_total_deg = 0.0
        self.takeoff_alt: float | None = None

    # -- sequencing -------------------------------------------------------
    def items(self) -> list[Item]:
        return self.copter.stores[0].commands()

    def reset(self) -> None:
        self.nav = None
        self.current_seq = 0
        self.complete = False
        self.started = False
        self.jumps.clear()

    def start_or_resume(self) -> None:
        self.started = True
        self.complete = False
        start = self.current_seq if self.current_seq >= 1 else 1
        self._advance_from(start)

    def set_current(self, seq: int) -> bool:
        if not 1 <= seq <= len(self.items()):
            return False
        self.current_seq = seq
        if self.started and not self.complete:
            self._advance_from(seq)
        self.copter.send_mission_current()
        return True

    def _advance_from(self, seq: int) -> None:
        items = self.items()
        guard = 0
        while guard < 1000:
            guard += 1
            if seq > len(items):
                self._finish()
                return
            item = items[seq - 1]
            if item.command == 177:  # DO_JUMP
                remaining = self.jumps.get(seq, int(item.param2))
                if remaining != 0 and 1 <= int(item.param1) <= len(items):
                    if remaining > 0:
                        self.jumps[seq] = remaining - 1
                    seq = int(item.param1)
                else:
                    seq += 1
                continue
            if item.command <= NAV_CMD_LAST:
                self._start_nav(item)
                return
            self._do_command(item)
            seq += 1

    def _finish(self) -> None:
        self.complete = True
        self.nav = None
        self.copter.mission_finished()

    def _announce(self, item: Item) -> None:
        """AP_Mission::start_command: "Mission: <index> <type>" for every command started."""
        name = COMMAND_TYPE_NAMES.get(item.command, str(item.command))
        if item.command == 177:
            self.copter.text(6, f"Mission: {item.seq} {name} {int(item.param1)}")
        else:
            self.copter.text(6, f"Mission: {item.seq} {name}")

    def _do_command(self, item: Item) -> None:
        c = self.copter
        self._announce(item)
        if item.command == 178 and item.param2 > 0:  # DO_CHANGE_SPEED
            c.speed_override_mps = item.param2
        elif item.command in (195, 201):  # DO_SET_ROI_LOCATION / DO_SET_ROI
            if item.x == 0 and item.y == 0:
                c.roi = None
            else:
                c.roi = c.to_local(item.lat_deg, item.lon_deg, item.z, item.frame)
        elif item.command == 197:  # DO_SET_ROI_NONE
            c.roi = None
        elif item.command == 115:  # CONDITION_YAW
            yaw = item.param1 + (c.air.yaw_deg if item.param4 else 0.0)
            c.yaw_hold_deg = yaw % 360.0
        c.send_item_reached(item.seq)

    def _start_nav(self, item: Item) -> None:
        c = self.copter
        self._announce(item)
        self.nav = item
        self.current_seq = item.seq
        self.reached_at = None
        self.lander = None
        self.rtl = None
        self.circle_deg = 0.0
        air = c.air
        here = Point(air.north_m, air.east_m, air.up_m)
        if item.command == 22:  # NAV_TAKEOFF
            alt = c.to_local(0, 0, item.z, item.frame, only_alt=True).up
            self.takeoff_alt = max(alt, here.up)
            self.target_point = Point(here.north, here.east, self.takeoff_alt)
        elif item.command in (16, 17, 18, 19):
            self.target_point = c.to_local(item.lat_deg, item.lon_deg, item.z, item.frame)
            if item.command == 18:
                self.circle_total_deg = 360.0 * max(0.0, item.param1)
        elif item.command == 20:  # NAV_RETURN_TO_LAUNCH
            self.rtl = Rtl(c)
        elif item.command == 21:  # NAV_LAND
            at = None
            if item.x or item.y:
                at = c.to_local(item.lat_deg, item.lon_deg, 0, item.frame)
            self.lander = Lander(c, at=at)
        else:
            self.target_point = here
        c.send_mission_current()

    # -- running ----------------------------------------------------------
    def target(self) -> Target:
        c = self.copter
        air = c.air
        item = self.nav
        if item is None or not self.started:
            return c.hold_target()
        if item.command == 22:
            assert self.target_point is not None
            if air.up_m >= self.target_point.up - TAKEOFF_DONE_M:
                self._nav_done(item, text=False)
                return c.hold_target()
            return Target(
                north_m=self.target_point.north,
                east_m=self.target_point.east,
                up_m=self.target_point.up,
            )
        if item.command == 20:
            assert self.rtl is not None
            if c.landed and self.rtl.state is RtlState.LAND:
                self._nav_done(item, text=False)
                return c.hold_target()
            return self.rtl.target()
        if item.command == 21:
            assert self.lander is not None
            if c.landed:
                self._nav_done(item, text=False)
                return c.hold_target()
            return self.lander.target()
        point = self.target_point
        assert point is not None
        if item.command == 18 and self.reached_at is not None:
            return self._circle(item, point)
        dist = math.hypot(point.north - air.north_m, point.east - air.east_m)
        vdist = abs(point.up - air.up_m)
        radius = c.params["WPNAV_RADIUS"] / 100.0
        if item.command == 16 and item.param2 > 0:
            radius = item.param2
        if self.reached_at is None and dist <= max(radius, 0.5) and vdist <= 1.0:
            self.reached_at = c.now
            if item.command == 18:
                self.circle_deg = 0.0
        # LOITER_UNLIM (17) never completes; waypoints and LOITER_TIME after their hold
        held = self.reached_at is not None and c.now - self.reached_at >= max(0.0, item.param1)
        if held and item.command in (16, 19):
            self._nav_done(item, text=True)
            return c.hold_target()
        return Target(
            north_m=point.north,
            east_m=point.east,
            up_m=point.up,
            yaw_deg=c.travel_yaw(point),
            speed_xy_mps=c.speed_override_mps,
        )

    def _circle(self, item: Item, centre: Point) -> Target:
        c = self.copter
        radius = abs(item.param3) or c.params["CIRCLE_RADIUS"] / 100.0
        direction = -1.0 if item.param3 < 0 else 1.0
        speed = min(c.limits().speed_xy_mps, math.radians(c.params["CIRCLE_RATE"]) * radius)
        rate_dps = math.degrees(speed / max(radius, 0.1))
        self.circle_deg += rate_dps * c.step_dt
        if self.circle_deg >= self.circle_total_deg:
            self._nav_done(item, text=True)
            return c.hold_target()
        ang = math.radians(self.circle_deg * direction)
        return Target(
            north_m=centre.north + radius * math.cos(ang),
            east_m=centre.east + radius * math.sin(ang),
            up_m=centre.up,
            yaw_deg=(math.degrees(ang) + 180.0) % 360.0,
        )

    def _nav_done(self, item: Item, text: bool) -> None:
        c = self.copter
        if text:
            c.text(6, f"Reached command #{item.seq}")
        c.send_item_reached(item.seq)
        self._advance_from(item.seq + 1)

    @property
    def landing(self) -> bool:
        item = self.nav
        if item is None:
            return False
        if item.command == 21:
            return True
        return item.command == 20 and self.rtl is not None and self.rtl.state is RtlState.LAND

    @property
    def taking_off(self) -> bool:
        return self.nav is not None and self.nav.command == 22


class Rtl:
    """ArduCopter's RTL: climb to RTL_ALT if lower, return, loiter, descend, land.

    It returns to the nearest of the rally points and (RALLY_INCL_HOME) home, as
    AP_Rally::calc_best_rally_or_home_location chooses.
    """

    def __init__(self, copter: SimCopter) -> None:
        self.copter = copter
        p = copter.params
        air = copter.air
        home = copter.home_local
        rtl_alt = p["RTL_ALT"] / 100.0
        self.return_up = home.up + rtl_alt if rtl_alt > 0 else air.up_m
        self.return_up = max(self.return_up, air.up_m + p["RTL_CLIMB_MIN"] / 100.0)
        fence_max = p["FENCE_ALT_MAX"]
        if p["FENCE_ENABLE"] and int(p["FENCE_TYPE"]) & 1 and fence_max > 0:
            self.return_up = min(self.return_up, home.up + fence_max - p["FENCE_MARGIN"])
        self.return_up = max(self.return_up, air.up_m)
        self.climb_from = Point(air.north_m, air.east_m, air.up_m)
        self.dest = copter.rtl_destination()
        self.state = RtlState.CLIMB
        self.loiter_start: float | None = None
        self.lander: Lander | None = None

    def target(self) -> Target:
        c = self.copter
        air = c.air
        home = self.dest
        p = c.params
        if self.state is RtlState.CLIMB:
            if air.up_m >= self.return_up - TAKEOFF_DONE_M:
                self.state = RtlState.RETURN
            else:
                return Target(
                    north_m=self.climb_from.north, east_m=self.climb_from.east, up_m=self.return_up
                )
        if self.state is RtlState.RETURN:
            dist = math.hypot(home.north - air.north_m, home.east - air.east_m)
            if dist <= max(p["WPNAV_RADIUS"] / 100.0, 0.5) and c.air.groundspeed_mps < 1.0:
                self.state = RtlState.LOITER
                self.loiter_start = c.now
            else:
                speed = p["RTL_SPEED"] / 100.0 or None
                here_home = Point(home.north, home.east, self.return_up)
                return Target(
                    north_m=home.north,
                    east_m=home.east,
                    up_m=self.return_up,
                    yaw_deg=c.travel_yaw(here_home, rtl=True),
                    speed_xy_mps=speed or c.speed_override_mps,
                )
        if self.state is RtlState.LOITER:
            assert self.loiter_start is not None
            if c.now - self.loiter_start >= p["RTL_LOIT_TIME"] / 1000.0:
                final = p["RTL_ALT_FINAL"] / 100.0
                self.state = RtlState.FINAL_DESCENT if final > 0 else RtlState.LAND
            else:
                return Target(north_m=home.north, east_m=home.east, up_m=self.return_up)
        if self.state is RtlState.FINAL_DESCENT:
            return Target(
                north_m=home.north, east_m=home.east, up_m=home.up + p["RTL_ALT_FINAL"] / 100.0
            )
        if self.lander is None:
            self.lander = Lander(c, at=Point(home.north, home.east, home.up))
        return self.lander.target()


class SmartRtl(Rtl):
    """SMART_RTL: retrace the recorded path (breadcrumbs) back to home, then land."""

    def __init__(self, copter: SimCopter) -> None:
        super().__init__(copter)
        self.path = list(reversed(copter.breadcrumbs))
        self.state = RtlState.RETURN

    def target(self) -> Target:
        c = self.copter
        air = c.air
        if self.state is RtlState.RETURN and self.path:
            nxt = self.path[0]
            if math.dist((nxt.north, nxt.east, nxt.up), (air.north_m, air.east_m, air.up_m)) < 2.0:
                self.path.pop(0)
            if self.path:
                nxt = self.path[0]
                return Target(
                    north_m=nxt.north,
                    east_m=nxt.east,
                    up_m=nxt.up,
                    yaw_deg=c.travel_yaw(nxt, rtl=True),
                )
            self.return_up = air.up_m
        return super().target()


class Guided:
    """GUIDED: fly to the last position target or follow a velocity target."""

    VELOCITY_TIMEOUT_S = 3.0

    def __init__(self, copter: SimCopter) -> None:
        self.copter = copter
        air = copter.air
        self.point = Point(air.north_m, air.east_m, air.up_m)
        self.takeoff_alt: float | None = None
        self.velocity: tuple[float, float, float] | None = None
        self.velocity_at = 0.0
        self.yaw_deg: float | None = None

    def takeoff(self, up_m: float) -> None:
        air = self.copter.air
        self.takeoff_alt = up_m
        self.point = Point(air.north_m, air.east_m, up_m)
        self.velocity = None

    def goto(self, point: Point, yaw_deg: float | None = None) -> bool:
        """Fly to ``point``; refused (False) outside an enabled fence, as ModeGuided does."""
        if not self.copter.destination_within_fence(point):
            return False
        # a new destination puts the yaw back to default (ModeGuided::set_yaw_state_rad),
        # which ends a ROI and a CONDITION_YAW heading
        self.copter.roi = None
        self.copter.yaw_hold_deg = None
        self.point = point
        self.velocity = None
        self.yaw_deg = yaw_deg
        return True

    def set_velocity(self, vn: float, ve: float, vu: float, keep_point: bool = False) -> None:
        """Velocity target [m/s]; with ``keep_point`` it only shapes the approach."""
        if keep_point:
            return  # position+velocity: the position controller leads, as posvel does
        self.velocity = (vn, ve, vu)
        self.velocity_at = self.copter.now

    def stop(self) -> None:
        """Hold the current position (ModeGuided::init after an invalid target)."""
        air = self.copter.air
        self.point = Point(air.north_m, air.east_m, air.up_m)
        self.velocity = None

    @property
    def taking_off(self) -> bool:
        return self.takeoff_alt is not None

    def target(self) -> Target:
        c = self.copter
        air = c.air
        if self.takeoff_alt is not None and air.up_m >= self.takeoff_alt - TAKEOFF_DONE_M:
            self.takeoff_alt = None
        if self.velocity is not None:
            if c.now - self.velocity_at > self.VELOCITY_TIMEOUT_S:
                self.point = Point(air.north_m, air.east_m, air.up_m)
                self.velocity = None
            else:
                # ModeGuided::velocity_control_run passes the target through AC_Avoid
                vn, ve, vu = adjust_velocity(c, *self.velocity)
                return Target(vel_n_mps=vn, vel_e_mps=ve, vel_u_mps=vu, yaw_deg=self.yaw_deg)
        yaw = self.yaw_deg if self.yaw_deg is not None else c.travel_yaw(self.point)
        return Target(
            north_m=self.point.north,
            east_m=self.point.east,
            up_m=self.point.up,
            yaw_deg=yaw,
            speed_xy_mps=c.speed_override_mps,
        )


class Circle:
    """CIRCLE: AC_Circle's orbit, the way ModeCircle flies it.

    The centre is CIRCLE_RADIUS [cm] ahead of the vehicle's stopping point
    along its heading (AC_Circle::init without INIT_AT_CENTER); the vehicle
    goes round at CIRCLE_RATE [deg/s] (positive clockwise seen from above),
    no faster than WPNAV_SPEED allows on that radius, holding its altitude with
    its nose on the centre (AutoYaw CIRCLE).
    """

    def __init__(self, copter: SimCopter) -> None:
        self.copter = copter
        start = copter.stopping_point()
        self.radius_m = max(0.0, copter.params["CIRCLE_RADIUS"] / 100.0)
        yaw = math.radians(copter.air.yaw_deg)
        self.centre = Point(
            start.north + self.radius_m * math.cos(yaw),
            start.east + self.radius_m * math.sin(yaw),
            start.up,
        )
        # the vehicle's angle seen from the centre (0 = north, clockwise)
        self.angle = math.atan2(start.east - self.centre.east, start.north - self.centre.north)
        self.last_s = copter.now

    def target(self) -> Target:
        c = self.copter
        dt, self.last_s = c.now - self.last_s, c.now
        if self.radius_m > 0.1:
            rate = math.radians(c.params["CIRCLE_RATE"])
            fastest = c.limits().speed_xy_mps / self.radius_m
            self.angle += max(-fastest, min(fastest, rate)) * dt
        north = self.centre.north + self.radius_m * math.cos(self.angle)
        east = self.centre.east + self.radius_m * math.sin(self.angle)
        air = c.air  # AutoYaw CIRCLE: from where the vehicle is, not where it is going
        face = math.degrees(
            math.atan2(self.centre.east - air.east_m, self.centre.north - air.north_m)
        )
        return Target(
            north_m=north,
            east_m=east,
            up_m=self.centre.up,
            yaw_deg=face % 360.0 if self.radius_m > 0.1 else None,
        )


POSITION_MODES = frozenset(
    {
        CopterMode.AUTO,
        CopterMode.GUIDED,
        CopterMode.LOITER,
        CopterMode.RTL,
        CopterMode.CIRCLE,
        CopterMode.POSHOLD,
        CopterMode.BRAKE,
        CopterMode.SMART_RTL,
        CopterMode.AUTO_RTL,
        CopterMode.FOLLOW,
        CopterMode.ZIGZAG,
    }
)
"""Modes whose ``requires_position()`` is true in ArduCopter."""

NOT_ARMABLE = frozenset(
    {CopterMode.RTL, CopterMode.LAND, CopterMode.SMART_RTL, CopterMode.AUTO_RTL, CopterMode.BRAKE}
)
"""Modes whose ``allows_arming()`` is false (AUTO depends on AUTO_OPTIONS)."""

PILOT_MODES = frozenset(
    {CopterMode.STABILIZE, CopterMode.ALT_HOLD, CopterMode.LOITER, CopterMode.POSHOLD}
)
"""Modes flown by the (simulated) pilot's sticks: SITL's radio idles with throttle low."""

SUPPORTED_MODES = frozenset(
    {
        CopterMode.STABILIZE,
        CopterMode.ALT_HOLD,
        CopterMode.AUTO,
        CopterMode.GUIDED,
        CopterMode.LOITER,
        CopterMode.RTL,
        CopterMode.LAND,
        CopterMode.POSHOLD,
        CopterMode.BRAKE,
        CopterMode.SMART_RTL,
        CopterMode.CIRCLE,
    }
)

MODE_NAMES = {
    CopterMode.STABILIZE: "STABILIZE",
    CopterMode.ALT_HOLD: "ALT_HOLD",
    CopterMode.AUTO: "AUTO",
    CopterMode.GUIDED: "GUIDED",
    CopterMode.LOITER: "LOITER",
    CopterMode.RTL: "RTL",
    CopterMode.LAND: "LAND",
    CopterMode.POSHOLD: "POSHOLD",
    CopterMode.BRAKE: "BRAKE",
    CopterMode.SMART_RTL: "SMARTRTL",
    CopterMode.CIRCLE: "CIRCLE",
}
"""Names as ArduCopter's Mode::name() prints them in STATUSTEXT."""
