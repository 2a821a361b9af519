"""Flight operations on one vehicle, the way ArduCopter expects them.

Each operation sends its commands through the acknowledged command protocol
and then waits for the vehicle to show the result (mode in the heartbeat,
altitude reached, landed and disarmed), raising a typed error otherwise.
``submit_op`` runs any of them in the background for callers that must not
block (web handlers), returning a future.
"""

from __future__ import annotations

import inspect
import itertools
import math
import time
from collections.abc import Sequence
from concurrent.futures import Future
from typing import Any

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from dronepatrol.actions import Action, why_not
from dronepatrol.events import Event, EventKind
from dronepatrol.geo import distance_m, offset
from dronepatrol.mavlink.errors import CommandError, FlightError
from dronepatrol.mission import Cmd, MissionItem
from dronepatrol.state import CopterMode, LandedState, LinkState

ROUTE_CORNER_RADIUS_M = 5.0
"""A routed path's corner counts as passed within this distance [m] (WPNAV_RADIUS-like)."""
FORCE_ARM_MAGIC = 21196
"""param2 of COMPONENT_ARM_DISARM that skips the checks (ArduPilot and PX4)."""
ALL_BATTERIES_MASK = 0xFFFF
"""param1 of BATTERY_RESET naming every battery: ArduPilot casts it to a uint16 bit mask
(bit 0 battery 1). Not -1: a flight controller's float-to-unsigned conversion makes that 0."""

_ACTION_OF = {
    "arm": Action.ARM,
    "safe_arm": Action.ARM,
    "safe_takeoff": Action.TAKEOFF,
    "disarm": Action.DISARM,
    "takeoff": Action.TAKEOFF,
    "start_mission": Action.START_MISSION,
    "pause": Action.PAUSE,
    "resume": Action.RESUME,
    "goto": Action.GOTO,
    "fly_route": Action.GOTO,
    "orbit": Action.ORBIT,
    "orbit_via": Action.ORBIT,
    "change_speed": Action.CHANGE_SPEED,
    "rtl": Action.RTL,
    "return_home": Action.RTL,
    "land": Action.LAND,
    "battery_swapped": Action.BATTERY_SWAPPED,
}
"""The table row each flight operation answers to (:mod:`dronepatrol.actions`)."""

_op_ids = itertools.count(1)
OPERATIONS = frozenset(
    {
        "set_mode",
        "arm",
        "safe_arm",
        "disarm",
        "takeoff",
        "safe_takeoff",
        "start_mission",
        "pause",
        "resume",
        "goto",
        "fly_route",
        "set_roi",
        "orbit",
        "orbit_via",
        "change_speed",
        "rtl",
        "return_home",
        "land",
        "wait_landed",
        "disarm_after_landing",
        "upload_mission",
        "set_param",
        "battery_swapped",
    }
)
"""Operations ``submit_op`` runs (web requests name one; nothing else is reachable)."""


def _mode_number(mode: str | int | CopterMode) -> int:
    if isinstance(mode, str):
        try:
            return CopterMode[mode.upper()].value
        except KeyError:
            raise ValueError(f"unknown ArduCopter mode {mode!r}") from None
    return int(mode)


class FlightOps:
    """Mixed into :class:`~dronepatrol.mavlink.vehicle.Vehicle`."""

    # Provided by Vehicle:
    vehicle_id: str
    link: Any
    snapshot: object

    def why_not(self, operation: str) -> str | None:
        """Why ``operation`` cannot be taken now (for an HTTP 409), or None when it can.

        The answer of :func:`dronepatrol.actions.why_not` (one table for the web,
        the scheduler and dispatch), plus the autopilot's arming blockers before
        a take-off. A quick look at the latest snapshot, not a promise: the
        autopilot may still refuse, and that refusal arrives as the command's result.
        """
        snap = self.snapshot
        action = _ACTION_OF.get(operation)
        if action is None:
            return None if snap.link is LinkState.UP else f"link is {snap.link.value}"
        blocked = why_not(snap, action)
        if blocked is None and action in (Action.ARM, Action.TAKEOFF):
            from dronepatrol.mavlink.preflight import blocking_reasons

            reasons = blocking_reasons(snap, self.recent_statustexts(10.0))
            return "; ".join(reasons) if reasons else None
        return blocked

    def submit_op(self, name: str, *args, source: str = "", **kwargs):
        """Run flight operation ``name`` (one of :data:`OPERATIONS`) in the background.

        Returns at once with a :class:`~dronepatrol.mavlink.vehicle.CommandHandle`
        whose id names the operation in its COMMAND_SENT and COMMAND_RESULT events
        (``operation`` True, ``command`` None); the result event says ``DONE`` or
        why not. Raises ValueError at once for an unknown operation.
        """
        from dronepatrol.mavlink.vehicle import CommandHandle

        if name not in OPERATIONS:
            raise ValueError(f"no flight operation named {name!r}; known: {sorted(OPERATIONS)}")
        op = getattr(self, name)
        if "source" in inspect.signature(op).parameters:
            kwargs["source"] = source
        op_id = f"op-{next(_op_ids)}"
        params = [a if isinstance(a, (int, float, str)) else repr(a) for a in args]
        self._emit_op(
            EventKind.COMMAND_SENT,
            command_id=op_id,
            name=name,
            params=params,
            source=source,
            attempt=1,
        )
        started = time.monotonic()
        future = self.link.ops_pool.submit(op, *args, **kwargs)
        future.add_done_callback(
            lambda f: self._op_done(f, op_id, name, source, time.monotonic() - started)
        )
        return CommandHandle(op_id, future)

    def _op_done(self, future: Future, op_id: str, name: str, source: str, elapsed: float):
        error = future.exception()
        result, code = "DONE", None
        if error is not None:
            result = getattr(error, "result_name", None) or type(error).__name__
            code = getattr(error, "result", None)
        self._emit_op(
            EventKind.COMMAND_RESULT,
            command_id=op_id,
            name=name,
            ok=error is None,
            result=result,
            result_code=code,
            reason="" if error is None else str(error),
            source=source,
            attempts=1,
            elapsed_s=round(elapsed, 3),
        )

    def _emit_op(self, kind: EventKind, **data) -> None:
        event = Event(
            kind=kind, vehicle_id=self.vehicle_id, data={**data, "command": None, "operation": True}
        )
        self.link.bus.publish(event)

    # ---- modes ------------------------------------------------------------------

    def submit_set_mode(self, mode: str | int, source: str = ""):
        number = _mode_number(mode)
        return self.submit_command(Cmd.DO_SET_MODE, 1, number, source=source)

    def set_mode(self, mode: str | int, source: str = "", timeout_s: float = 10.0) -> None:
        """Change flight mode and wait until the heartbeat shows it."""
        number = _mode_number(mode)
        name = CopterMode(number).name if number in CopterMode._value2member_map_ else str(mode)
        self.submit_set_mode(number, source).result(timeout_s + 30)
        self.wait_for(lambda s: s.mode == name, timeout_s, f"mode {name}")

    # ---- arming -------------------------------------------------------------------

    def arm(self, force: bool = False, source: str = "", timeout_s: float = 10.0) -> None:
        """Arm; raises CommandError carrying the autopilot's reason ("PreArm: ...")."""
        self.submit_command(
            Cmd.COMPONENT_ARM_DISARM, 1, FORCE_ARM_MAGIC if force else 0, source=source
        ).result(timeout_s + 30)
        self.wait_for(lambda s: s.armed, timeout_s, "armed")

    def disarm(self, force: bool = False, source: str = "", timeout_s: float = 10.0) -> None:
        self.submit_command(
            Cmd.COMPONENT_ARM_DISARM, 0, FORCE_ARM_MAGIC if force else 0, source=source
        ).result(timeout_s + 30)
        self.wait_for(lambda s: not s.armed, timeout_s, "disarmed")

    def safe_arm(
        self, no_fly_fence: Sequence[MissionItem] = (), source: str = "", **limits
    ) -> None:
        """Arm after the one preflight (:func:`dronepatrol.mavlink.preflight.prepare_flight`):
        the no-fly zones added to the vehicle's fence, fence enabled, failsafes checked."""
        from dronepatrol.mavlink.preflight import prepare_flight

        prepare_flight(self, no_fly_fence, keep_held=True, **limits)
        self.arm(source=source)

    def safe_takeoff(
        self,
        alt_m: float,
        no_fly_fence: Sequence[MissionItem] = (),
        source: str = "",
        **limits,
    ) -> None:
        """:meth:`takeoff` after the one preflight, as :meth:`safe_arm`."""
        from dronepatrol.mavlink.preflight import prepare_flight

        prepare_flight(self, no_fly_fence, keep_held=True, **limits)
        self.takeoff(alt_m, source)

    # ---- takeoff and mission ----------------------------------------------------------

    def takeoff(self, alt_m: float, source: str = "", timeout_s: float = 120.0) -> None:
        """GUIDED, arm, NAV_TAKEOFF to ``alt_m`` [m above home]; waits until 95 % reached."""
        if not 1.0 <= alt_m <= 500.0:
            raise ValueError(f"takeoff altitude {alt_m:g} m is outside 1..500 m")
        self.set_mode(CopterMode.GUIDED, source)
        if not self.snapshot.armed:
            self.arm(source=source)
        self.submit_command(Cmd.NAV_TAKEOFF, 0, 0, 0, 0, 0, 0, alt_m, source=source).result(60)
        self.wait_for(
            lambda s: s.position is not None and s.position.alt_rel_m >= 0.95 * alt_m,
            timeout_s,
            f"takeoff to {alt_m:g} m",
        )

    def start_mission(self, source: str = "", timeout_s: float = 10.0) -> None:
        """AUTO then MISSION_START: fly the uploaded mission from its first item."""
        self.set_mode(CopterMode.AUTO, source, timeout_s)
        self.submit_command(Cmd.MISSION_START, 0, 0, source=source).result(60)

    def pause(self, source: str = "", timeout_s: float = 10.0) -> int:
        """Hold position (BRAKE, else LOITER); returns the mission item it paused at."""
        seq = self.snapshot.mission.current_seq
        try:
            self.set_mode(CopterMode.BRAKE, source, timeout_s)
        except CommandError:
            self.set_mode(CopterMode.LOITER, source, timeout_s)
        self._paused_seq = seq
        return seq

    def resume(self, seq: int | None = None, source: str = "", timeout_s: float = 10.0) -> None:
        """Continue the mission in AUTO from item ``seq`` (default: where it paused)."""
        if seq is None:
            seq = getattr(self, "_paused_seq", None) or self.snapshot.mission.current_seq
        if seq > 0:
            self.submit_command(Cmd.DO_SET_MISSION_CURRENT, seq, source=source).result(60)
        self.set_mode(CopterMode.AUTO, source, timeout_s)

    # ---- guided moves -----------------------------------------------------------------

    def submit_goto(
        self,
        lat_deg: float,
        lon_deg: float,
        alt_rel_m: float,
        speed_mps: float = -1.0,
        source: str = "",
    ):
        """DO_REPOSITION (COMMAND_INT, relative altitude), switching to GUIDED."""
        return self.submit_command(
            Cmd.DO_REPOSITION,
            speed_mps,
            1,
            0,
            math.nan,
            lat_deg,
            lon_deg,
            alt_rel_m,
            use_int=True,
            frame=6,
            source=source,
        )

    def goto(
        self,
        lat_deg: float,
        lon_deg: float,
        alt_rel_m: float,
        speed_mps: float = -1.0,
        source: str = "",
        wait_arrival_s: float = 0.0,
        radius_m: float = 3.0,
    ) -> None:
        """Fly to a place in GUIDED; with ``wait_arrival_s`` > 0 also wait to be there.

        ``speed_mps`` > 0 is set with DO_CHANGE_SPEED once in GUIDED: ArduCopter ignores
        DO_REPOSITION's own speed field, and resets the speed on every mode change.
        """
        if self.snapshot.flight_mode is not CopterMode.GUIDED:
            self.set_mode(CopterMode.GUIDED, source)
        self.submit_goto(lat_deg, lon_deg, alt_rel_m, speed_mps, source).result(60)
        if speed_mps > 0:
            self.change_speed(speed_mps, source)
        if wait_arrival_s > 0:
            self.wait_for(
                lambda s: (
                    s.position is not None
                    and distance_m(s.position.lat_deg, s.position.lon_deg, lat_deg, lon_deg)
                    <= radius_m
                ),
                wait_arrival_s,
                f"arrival at {lat_deg:.6f},{lon_deg:.6f}",
            )

    def fly_route(
        self,
        route: Sequence[tuple[float, float]],
        alt_rel_m: float,
        speed_mps: float = -1.0,
        look_at: tuple[float, float] | None = None,
        source: str = "",
        arrival_radius_m: float = ROUTE_CORNER_RADIUS_M,
        timeout_s: float | None = None,
    ) -> None:
        """Fly a routed path (from :class:`dronepatrol.planning.airspace.Airspace`) in GUIDED.

        ``route`` starts where the vehicle is; each later corner is flown to
        with DO_REPOSITION and passed within ``arrival_radius_m`` [m] before
        the next is sent, so the vehicle never cuts across what the route goes
        round. The last point is held. With ``look_at`` (lat, lon), once
        there, DO_SET_ROI_LOCATION points the camera at it (after the last
        reposition: ArduCopter's GUIDED resets the yaw to default on each new
        destination). ``timeout_s`` bounds each leg (default: twice its
        flight time at 5 m/s, plus a minute).
        """
        points = list(route)[1:] or list(route)
        here = self.snapshot.position
        previous = (here.lat_deg, here.lon_deg) if here is not None else points[0]
        for k, (lat, lon) in enumerate(points):
            leg_m = distance_m(*previous, lat, lon)
            leg_timeout = timeout_s or 60.0 + 2.0 * leg_m / 5.0
            self.goto(
                lat,
                lon,
                alt_rel_m,
                speed_mps=speed_mps if k == 0 else -1.0,
                source=source,
                wait_arrival_s=leg_timeout,
                radius_m=arrival_radius_m,
            )
            previous = (lat, lon)
        if look_at is not None:
            self.set_roi(look_at[0], look_at[1], 0.0, source)

    def set_roi(self, lat_deg: float, lon_deg: float, alt_rel_m: float, source: str = "") -> None:
        """DO_SET_ROI_LOCATION: camera (and nose) on a place; ``alt_rel_m`` above home [m].

        ArduCopter takes it as COMMAND_INT in any mode (GCS_MAVLINK::handle_command_do_set_roi).
        """
        self.command(
            mavlink.MAV_CMD_DO_SET_ROI_LOCATION,
            0,
            0,
            0,
            0,
            lat_deg,
            lon_deg,
            alt_rel_m,
            use_int=True,
            frame=6,
            source=source,
        )

    def orbit_via(
        self,
        route: Sequence[tuple[float, float]],
        lat_deg: float,
        lon_deg: float,
        alt_rel_m: float,
        radius_m: float,
        source: str = "",
        transit_speed_mps: float = -1.0,
        timeout_s: float = 1800.0,
    ) -> None:
        """Fly ``route`` (ending on the orbit's circle) then circle (lat, lon) at ``radius_m``."""
        self.fly_route(route, alt_rel_m, transit_speed_mps, source=source)
        self.orbit(
            lat_deg,
            lon_deg,
            radius_m,
            alt_rel_m,
            source=source,
            timeout_s=timeout_s,
            transit_speed_mps=transit_speed_mps,
        )

    def orbit(
        self,
        lat_deg: float,
        lon_deg: float,
        radius_m: float,
        alt_rel_m: float,
        speed_mps: float = 3.0,
        source: str = "",
        timeout_s: float = 120.0,
        transit_speed_mps: float = -1.0,
    ) -> None:
        """Circle a place: DO_ORBIT where supported, else ArduCopter's CIRCLE mode.

        ArduCopter's CIRCLE centres its circle CIRCLE_RADIUS ahead of the
        vehicle, so the fallback flies to the point ``radius_m`` from the
        centre on the vehicle's side (at ``transit_speed_mps`` [m/s] when > 0,
        else the autopilot's WPNAV_SPEED), faces the centre, sets CIRCLE_RADIUS
        [cm] and CIRCLE_RATE [deg/s] and switches to CIRCLE.
        """
        try:
            self.submit_command(
                mavlink.MAV_CMD_DO_ORBIT,
                radius_m,
                speed_mps,
                0,
                0,
                lat_deg,
                lon_deg,
                alt_rel_m,
                use_int=True,
                frame=6,
                source=source,
            ).result(60)
            return
        except CommandError as exc:
            if exc.result not in (3, None):  # only UNSUPPORTED (or silence) falls back
                raise
        snap = self.snapshot
        if snap.position is None:
            raise FlightError(f"{self.vehicle_id}: position unknown, cannot orbit")
        from dronepatrol.geo import bearing_deg

        bearing = bearing_deg(lat_deg, lon_deg, snap.position.lat_deg, snap.position.lon_deg)
        start = offset(
            lat_deg,
            lon_deg,
            radius_m * math.cos(math.radians(bearing)),
            radius_m * math.sin(math.radians(bearing)),
        )
        self.goto(
            start[0],
            start[1],
            alt_rel_m,
            speed_mps=transit_speed_mps,
            source=source,
            wait_arrival_s=timeout_s,
        )
        face = (bearing + 180.0) % 360.0
        self.command(Cmd.CONDITION_YAW, face, 30, 0, 0, source=source)
        self.wait_for(
            lambda s: abs((s.heading_deg - face + 180) % 360 - 180) < 10,
            30,
            "facing the orbit centre",
        )
        self.set_param("CIRCLE_RADIUS", radius_m * 100.0)
        self.set_param("CIRCLE_RATE", math.degrees(speed_mps / max(radius_m, 1.0)))
        self.set_mode(CopterMode.CIRCLE, source)

    def change_speed(self, speed_mps: float, source: str = "") -> None:
        """DO_CHANGE_SPEED (ground speed [m/s]) for the current mission or guided move."""
        if not 0.1 <= speed_mps <= 50:
            raise ValueError(f"speed {speed_mps:g} m/s is outside 0.1..50 m/s")
        self.submit_command(Cmd.DO_CHANGE_SPEED, 1, speed_mps, -1, 0, source=source).result(60)

    # ---- coming home --------------------------------------------------------------------

    def rtl(self, source: str = "", timeout_s: float = 10.0) -> None:
        self.set_mode(CopterMode.RTL, source, timeout_s)

    def return_home(
        self, route: Sequence[tuple[float, float]] = (), source: str = "", timeout_s: float = 10.0
    ) -> None:
        """Come home along a routed path, then RTL.

        ArduCopter's RTL flies a straight line home (climbing to RTL_ALT
        first) and knows nothing of a route; its rally points only change
        the destination. So the controller flies the route's corners in
        GUIDED (:meth:`fly_route`) up to the last one, from which the
        straight line home is clear, and then switches to RTL, which lands
        with the autopilot's own descent and disarm. ``route`` runs from the
        vehicle to home (:meth:`dronepatrol.planning.airspace.Airspace.route_home`);
        with no corners this is a plain RTL.
        """
        corners = list(route)[1:-1]
        if corners:
            here = self.snapshot.position
            alt = max(here.alt_rel_m if here is not None else 0.0, 15.0)
            self.fly_route([tuple(route[0]), *corners], alt, source=source)
        self.rtl(source, timeout_s)

    def land(self, source: str = "", timeout_s: float = 10.0) -> None:
        self.set_mode(CopterMode.LAND, source, timeout_s)

    def wait_landed(self, timeout_s: float = 600.0) -> None:
        """Wait until EXTENDED_SYS_STATE says on the ground (or disarmed on the ground)."""
        self.wait_for(
            lambda s: (
                s.link is LinkState.UP
                and (
                    s.landed_state == LandedState.ON_GROUND
                    or (not s.armed and s.landed_state == LandedState.UNDEFINED)
                )
            ),
            timeout_s,
            "landed",
        )

    def disarm_after_landing(self, timeout_s: float = 600.0, source: str = "") -> None:
        """Wait to be on the ground, give the autopilot DISARM_DELAY to disarm, else disarm."""
        self.wait_landed(timeout_s)
        delay = self.params().get("DISARM_DELAY", 10.0) or 10.0
        try:
            self.wait_for(lambda s: not s.armed, delay + 5.0, "automatic disarm")
        except FlightError:
            self.disarm(source=source)

    # ---- at the station ---------------------------------------------------------------

    def battery_swapped(
        self, percentage: float = 100.0, source: str = "", timeout_s: float = 10.0
    ) -> None:
        """Tell the autopilot its pack was swapped: BATTERY_RESET of every battery.

        The crew swapped (or charged) the pack of a drone that stayed powered;
        the autopilot's battery monitor still counts the old pack's consumed
        mAh, so its remaining % (what the scheduler reads) stays low until
        reset. ArduPilot sets each battery's consumed charge from
        ``percentage`` [%] against BATT_CAPACITY and recomputes its battery
        failsafe. Refused here while armed (ArduPilot itself would accept);
        raises CommandError when the autopilot refuses (FAILED, UNSUPPORTED),
        FlightError when the new remaining % does not show in its telemetry
        within ``timeout_s`` [s] (skipped when it reports none).
        """
        if not 0.0 <= percentage <= 100.0:
            raise ValueError(f"battery percentage {percentage:g} is outside 0..100 %")
        blocked = self.why_not("battery_swapped")
        if blocked:
            raise FlightError(f"{self.vehicle_id}: {blocked}")
        self.submit_command(
            Cmd.BATTERY_RESET, ALL_BATTERIES_MASK, percentage, source=source
        ).result(timeout_s + 30)
        if self.snapshot.battery.remaining_pct is None:
            return  # no capacity-based remaining % to watch (BATT_CAPACITY unset)
        self.wait_for(
            lambda s: (
                s.battery.remaining_pct is not None
                and abs(s.battery.remaining_pct - percentage) <= 1.0
            ),
            timeout_s,
            f"battery remaining {percentage:g} %",
        )
