"""Flight operations on one vehicle, the way ArduCopter expects them.

Each operation sends its commands through the acknowledged command protocol
(:class:`~dronepatrol.mavlink.plugins.commands.CommandPlugin`) and then waits
for the vehicle to show the result (mode in the heartbeat, altitude reached,
landed and disarmed), raising a typed error otherwise. Web handlers run them
in the background through :mod:`dronepatrol.mavlink.operations`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from dronepatrol.actions import Action, why_not
from dronepatrol.geo import bearing_deg, distance_m, offset
from dronepatrol.mavlink.errors import CommandError, FlightError
from dronepatrol.mavlink.plugins.commands import (
    GLOBAL_RELATIVE_ALT_INT,
    CommandHandle,
    CommandPlugin,
)
from dronepatrol.mavlink.plugins.params import ParamPlugin
from dronepatrol.mavlink.plugins.telemetry import TelemetryPlugin
from dronepatrol.mavlink.preflight import blocking_reasons
from dronepatrol.mission import Cmd, MissionItem
from dronepatrol.state import CopterMode

ROUTE_CORNER_RADIUS_M = 5.0
"""A routed path's corner counts as passed within this distance [m] (WPNAV_RADIUS-like)."""
FORCE_ARM_MAGIC = 21196
"""param2 of COMPONENT_ARM_DISARM that skips the checks (ArduPilot and PX4)."""
ALL_BATTERIES_MASK = 0xFFFF
"""param1 of BATTERY_RESET naming every battery: ArduPilot casts it to a uint16 bit mask
(bit 0 battery 1). Not -1: a flight controller's float-to-unsigned conversion makes that 0."""
ORBIT_FALLBACK_RESULTS = (mavlink.MAV_RESULT_UNSUPPORTED, None)
"""DO_ORBIT outcomes after which CIRCLE mode is flown instead (UNSUPPORTED, or silence)."""

Preflight = Callable[..., object]
"""The one preflight before a take-off: ``(no_fly_fence, **limits)``, raising PreflightError
(:func:`dronepatrol.mavlink.preflight.prepare_flight` on this vehicle, wired by the vehicle)."""


def _mode_number(mode: str | int | CopterMode) -> int:
    if isinstance(mode, str):
        try:
            return CopterMode[mode.upper()].value
        except KeyError:
            raise ValueError(f"unknown ArduCopter mode {mode!r}") from None
    return int(mode)


class ActionPlugin:
    """Modes, arming, take-off, mission start/pause/resume, guided moves, return and landing.

    Args:
        vehicle_id: the controller's id (in error messages).
        commands: sends the MAV_CMDs.
        params: for CIRCLE's radius and rate, and DISARM_DELAY.
        telemetry: the snapshot each operation waits on.
        preflight: run before :meth:`safe_arm` and :meth:`safe_takeoff`.
    """

    def __init__(
        self,
        vehicle_id: str,
        commands: CommandPlugin,
        params: ParamPlugin,
        telemetry: TelemetryPlugin,
        preflight: Preflight,
    ) -> None:
        self.vehicle_id = vehicle_id
        self._commands = commands
        self._params = params
        self._telemetry = telemetry
        self._preflight = preflight
        self._paused_seq: int | None = None

    def why_not(self, action: Action) -> str | None:
        """Why ``action`` cannot be taken now (for an HTTP 409), or None when it can.

        The answer of :func:`dronepatrol.actions.why_not` (one table for the web,
        the scheduler and dispatch), plus the autopilot's arming blockers before
        a take-off. A quick look at the latest snapshot, not a promise: the
        autopilot may still refuse, and that refusal arrives as the command's result.
        """
        snap = self._telemetry.snapshot
        blocked = why_not(snap, action)
        if blocked is None and action in (Action.ARM, Action.TAKEOFF):
            reasons = blocking_reasons(snap, self._telemetry.recent_statustexts(10.0))
            return "; ".join(reasons) if reasons else None
        return blocked

    # ---- modes ------------------------------------------------------------------

    def submit_set_mode(self, mode: str | int, source: str = "") -> CommandHandle:
        """DO_SET_MODE, queued; the heartbeat shows the mode once the autopilot took it."""
        number = _mode_number(mode)
        return self._commands.submit(
            Cmd.DO_SET_MODE, mavlink.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED, number, source=source
        )

    def set_mode(self, mode: str | int, source: str = "", timeout_s: float = 10.0) -> None:
        """Change flight mode and wait until the heartbeat shows it."""
        number = _mode_number(mode)
        name = CopterMode(number).name if number in CopterMode._value2member_map_ else str(mode)
        self.submit_set_mode(number, source).result(timeout_s + 30)
        self._telemetry.wait_for(lambda s: s.mode == name, timeout_s, f"mode {name}")

    # ---- arming -------------------------------------------------------------------

    def arm(self, force: bool = False, source: str = "", timeout_s: float = 10.0) -> None:
        """Arm; raises CommandError carrying the autopilot's reason ("PreArm: ...")."""
        self._commands.submit(
            Cmd.COMPONENT_ARM_DISARM, 1, FORCE_ARM_MAGIC if force else 0, source=source
        ).result(timeout_s + 30)
        self._telemetry.wait_for(lambda s: s.armed, timeout_s, "armed")

    def disarm(self, force: bool = False, source: str = "", timeout_s: float = 10.0) -> None:
        self._commands.submit(
            Cmd.COMPONENT_ARM_DISARM, 0, FORCE_ARM_MAGIC if force else 0, source=source
        ).result(timeout_s + 30)
        self._telemetry.wait_for(lambda s: not s.armed, timeout_s, "disarmed")

    def safe_arm(
        self, no_fly_fence: Sequence[MissionItem] = (), source: str = "", **limits
    ) -> None:
        """Arm after the one preflight (:func:`dronepatrol.mavlink.preflight.prepare_flight`):
        the no-fly zones added to the vehicle's fence, fence enabled, failsafes checked."""
        self._preflight(no_fly_fence, **limits)
        self.arm(source=source)

    def safe_takeoff(
        self,
        alt_m: float,
        no_fly_fence: Sequence[MissionItem] = (),
        source: str = "",
        **limits,
    ) -> None:
        """:meth:`takeoff` after the one preflight, as :meth:`safe_arm`."""
        self._preflight(no_fly_fence, **limits)
        self.takeoff(alt_m, source)

    # ---- takeoff and mission ----------------------------------------------------------

    def takeoff(self, alt_m: float, source: str = "", timeout_s: float = 120.0) -> None:
        """GUIDED, arm, NAV_TAKEOFF to ``alt_m`` [m above home]; waits until 95 % reached."""
        if not 1.0 <= alt_m <= 500.0:
            raise ValueError(f"takeoff altitude {alt_m:g} m is outside 1..500 m")
        self.set_mode(CopterMode.GUIDED, source)
        if not self._telemetry.snapshot.armed:
            self.arm(source=source)
        self._commands.submit(Cmd.NAV_TAKEOFF, 0, 0, 0, 0, 0, 0, alt_m, source=source).result(60)
        self._telemetry.wait_for(
            lambda s: s.position is not None and s.position.alt_rel_m >= 0.95 * alt_m,
            timeout_s,
            f"takeoff to {alt_m:g} m",
        )

    def start_mission(self, source: str = "", timeout_s: float = 10.0) -> None:
        """AUTO then MISSION_START: fly the uploaded mission from its first item."""
        self.set_mode(CopterMode.AUTO, source, timeout_s)
        self._commands.submit(Cmd.MISSION_START, 0, 0, source=source).result(60)

    def pause(self, source: str = "", timeout_s: float = 10.0) -> int:
        """Hold position (BRAKE, else LOITER); returns the mission item it paused at."""
        seq = self._telemetry.snapshot.mission.current_seq
        try:
            self.set_mode(CopterMode.BRAKE, source, timeout_s)
        except CommandError:
            self.set_mode(CopterMode.LOITER, source, timeout_s)
        self._paused_seq = seq
        return seq

    @property
    def paused_seq(self) -> int | None:
        """The mission item the last :meth:`pause` left (None before any)."""
        return self._paused_seq

    def resume(self, seq: int | None = None, source: str = "", timeout_s: float = 10.0) -> None:
        """Continue the mission in AUTO from item ``seq`` (default: where it paused)."""
        if seq is None:
            seq = self._paused_seq or self._telemetry.snapshot.mission.current_seq
        if seq > 0:
            self._commands.submit(Cmd.DO_SET_MISSION_CURRENT, seq, source=source).result(60)
        self.set_mode(CopterMode.AUTO, source, timeout_s)

    # ---- guided moves -----------------------------------------------------------------

    def submit_goto(
        self,
        lat_deg: float,
        lon_deg: float,
        alt_rel_m: float,
        speed_mps: float = -1.0,
        source: str = "",
    ) -> CommandHandle:
        """DO_REPOSITION (COMMAND_INT, relative altitude), switching to GUIDED."""
        return self._commands.submit(
            Cmd.DO_REPOSITION,
            speed_mps,
            1,
            0,
            math.nan,
            lat_deg,
            lon_deg,
            alt_rel_m,
            use_int=True,
            frame=GLOBAL_RELATIVE_ALT_INT,
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
        if self._telemetry.snapshot.flight_mode is not CopterMode.GUIDED:
            self.set_mode(CopterMode.GUIDED, source)
        self.submit_goto(lat_deg, lon_deg, alt_rel_m, speed_mps, source).result(60)
        if speed_mps > 0:
            self.change_speed(speed_mps, source)
        if wait_arrival_s > 0:
            self._telemetry.wait_for(
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
        cancelled: Callable[[], bool] | None = None,
    ) -> None:
        """Fly a routed path (from :class:`dronepatrol.planning.airspace.Airspace`) in GUIDED.

        ``route`` starts where the vehicle is; each later corner is flown to
        with DO_REPOSITION and passed within ``arrival_radius_m`` [m] before
        the next is sent, so the vehicle never cuts across what the route goes
        round. The last point is held. With ``look_at`` (lat, lon), once
        there, DO_SET_ROI_LOCATION points the camera at it (after the last
        reposition: ArduCopter's GUIDED resets the yaw to default on each new
        destination). ``timeout_s`` bounds each leg (default: twice its
        flight time at 5 m/s, plus a minute). ``cancelled`` is asked before each
        leg: once it says so (someone else took the vehicle over, say the energy
        watch sending it home), no further move is sent and FlightError says so.
        """
        points = list(route)[1:] or list(route)
        here = self._telemetry.snapshot.position
        previous = (here.lat_deg, here.lon_deg) if here is not None else points[0]
        for k, (lat, lon) in enumerate(points):
            if cancelled is not None and cancelled():
                raise FlightError("route abandoned: the vehicle was taken over")
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
        self._commands.run(
            mavlink.MAV_CMD_DO_SET_ROI_LOCATION,
            0,
            0,
            0,
            0,
            lat_deg,
            lon_deg,
            alt_rel_m,
            use_int=True,
            frame=GLOBAL_RELATIVE_ALT_INT,
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
        cancelled: Callable[[], bool] | None = None,
    ) -> None:
        """Fly ``route`` (ending on the orbit's circle) then circle (lat, lon) at ``radius_m``.

        ``cancelled`` as for :meth:`fly_route`, asked once more before the circle.
        """
        self.fly_route(route, alt_rel_m, transit_speed_mps, source=source, cancelled=cancelled)
        if cancelled is not None and cancelled():
            raise FlightError("orbit abandoned: the vehicle was taken over")
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
            self._commands.submit(
                mavlink.MAV_CMD_DO_ORBIT,
                radius_m,
                speed_mps,
                0,
                0,
                lat_deg,
                lon_deg,
                alt_rel_m,
                use_int=True,
                frame=GLOBAL_RELATIVE_ALT_INT,
                source=source,
            ).result(60)
            return
        except CommandError as exc:
            if exc.result not in ORBIT_FALLBACK_RESULTS:
                raise
        snap = self._telemetry.snapshot
        if snap.position is None:
            raise FlightError(f"{self.vehicle_id}: position unknown, cannot orbit")
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
        self._commands.run(Cmd.CONDITION_YAW, face, 30, 0, 0, source=source)
        self._telemetry.wait_for(
            lambda s: abs((s.heading_deg - face + 180) % 360 - 180) < 10,
            30,
            "facing the orbit centre",
        )
        self._params.set("CIRCLE_RADIUS", radius_m * 100.0)
        self._params.set("CIRCLE_RATE", math.degrees(speed_mps / max(radius_m, 1.0)))
        self.set_mode(CopterMode.CIRCLE, source)

    def change_speed(self, speed_mps: float, source: str = "") -> None:
        """DO_CHANGE_SPEED (ground speed [m/s]) for the current mission or guided move."""
        if not 0.1 <= speed_mps <= 50:
            raise ValueError(f"speed {speed_mps:g} m/s is outside 0.1..50 m/s")
        self._commands.submit(Cmd.DO_CHANGE_SPEED, 1, speed_mps, -1, 0, source=source).result(60)

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
            here = self._telemetry.snapshot.position
            alt = max(here.alt_rel_m if here is not None else 0.0, 15.0)
            self.fly_route([tuple(route[0]), *corners], alt, source=source)
        self.rtl(source, timeout_s)

    def land(self, source: str = "", timeout_s: float = 10.0) -> None:
        self.set_mode(CopterMode.LAND, source, timeout_s)

    def disarm_after_landing(self, timeout_s: float = 600.0, source: str = "") -> None:
        """Wait to be on the ground, give the autopilot DISARM_DELAY to disarm, else disarm."""
        self._telemetry.wait_landed(timeout_s)
        delay = self._params.heard().get("DISARM_DELAY", 10.0) or 10.0
        try:
            self._telemetry.wait_for(lambda s: not s.armed, delay + 5.0, "automatic disarm")
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
        blocked = self.why_not(Action.BATTERY_SWAPPED)
        if blocked:
            raise FlightError(f"{self.vehicle_id}: {blocked}")
        self._commands.submit(
            Cmd.BATTERY_RESET, ALL_BATTERIES_MASK, percentage, source=source
        ).result(timeout_s + 30)
        if self._telemetry.snapshot.battery.remaining_pct is None:
            return  # no capacity-based remaining % to watch (BATT_CAPACITY unset)
        self._telemetry.wait_for(
            lambda s: (
                s.battery.remaining_pct is not None
                and abs(s.battery.remaining_pct - percentage) <= 1.0
            ),
            timeout_s,
            f"battery remaining {percentage:g} %",
        )
