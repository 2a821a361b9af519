"""Flight operations by name, for callers that name them (the web's command route, the fleet).

One explicit table, :data:`OPERATIONS`, maps each name to the row of the
can-do table it answers to (:data:`dronepatrol.actions.CAN_DO`) and to a
typed call on the vehicle's plugins; a name not in it is refused, so nothing
else on a vehicle is reachable by name. :func:`submit_operation` runs one on
the link's operation pool and reports it on the bus as a command:
COMMAND_SENT then COMMAND_RESULT with ``operation`` True, ``command`` None,
``name`` the operation and ``result`` ``DONE`` or the error's name.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from dronepatrol.actions import Action
from dronepatrol.events import Event, EventKind
from dronepatrol.mavlink.errors import FlightError
from dronepatrol.mavlink.plugins.commands import CommandHandle
from dronepatrol.mavlink.vehicle import Vehicle
from dronepatrol.mission import Mission, MissionItem, MissionType
from dronepatrol.state import LinkState

Route = Sequence[tuple[float, float]]
"""A routed path of (lat, lon) [deg] from the vehicle on (:mod:`dronepatrol.planning.airspace`)."""


@dataclass(frozen=True)
class Operation:
    """One flight operation a caller may name.

    Attributes:
        action: its row of the can-do table (None: it needs only a live link).
        run: the call, ``run(vehicle, *arguments, source=who)``; blocks until done
            and raises the plugin's typed error when refused.
    """

    action: Action | None
    run: Callable[..., Any]


def _set_mode(v: Vehicle, mode: str | int, *, source: str) -> None:
    v.action.set_mode(mode, source)


def _arm(v: Vehicle, force: bool = False, *, source: str) -> None:
    v.action.arm(force, source)


def _safe_arm(v: Vehicle, no_fly_fence: Sequence[MissionItem] = (), *, source: str) -> None:
    v.action.safe_arm(no_fly_fence, source)


def _disarm(v: Vehicle, force: bool = False, *, source: str) -> None:
    v.action.disarm(force, source)


def _takeoff(v: Vehicle, alt_m: float, *, source: str) -> None:
    v.action.takeoff(alt_m, source)


def _safe_takeoff(
    v: Vehicle, alt_m: float, no_fly_fence: Sequence[MissionItem] = (), *, source: str
) -> None:
    v.action.safe_takeoff(alt_m, no_fly_fence, source)


def _start_mission(v: Vehicle, *, source: str) -> None:
    v.action.start_mission(source)


def _pause(v: Vehicle, *, source: str) -> int:
    return v.action.pause(source)


def _resume(v: Vehicle, seq: int | None = None, airspace: Any = None, *, source: str) -> None:
    """Continue the mission from ``seq`` (default: where it paused).

    With ``airspace`` (:class:`dronepatrol.planning.airspace.Airspace`), the way
    back to the mission's next place goes round its no-fly zones first: AUTO flies
    a straight line to it from wherever a goto left the vehicle.
    """
    if airspace is not None and airspace.zones:
        _back_to_mission(v, seq, airspace, source)
    v.action.resume(seq, source)


def _back_to_mission(v: Vehicle, seq: int | None, airspace: Any, source: str) -> None:
    """Fly round the no-fly zones to where the straight line to the next mission place
    is clear (the vehicle's mission read back: item ``k`` is sequence number ``k``)."""
    snap = v.snapshot
    here = snap.position
    if here is None:
        return
    at = seq if seq is not None else (v.action.paused_seq or snap.mission.current_seq)
    items = v.mission.download(MissionType.MISSION)
    place = next(
        (
            item
            for item in items[max(at, 1) :]
            if item.is_nav and item.has_position and (item.lat_deg or item.lon_deg)
        ),
        None,
    )
    if place is None:
        return
    route = airspace.route((here.lat_deg, here.lon_deg), (place.lat_deg, place.lon_deg))
    if route is None:
        raise FlightError(
            "no flyable way back to the mission round the no-fly zones: fly it back by hand "
            "or return home"
        )
    if len(route) > 2:
        v.action.fly_route(route[:-1], max(here.alt_rel_m, 15.0), source=source)


def _goto(
    v: Vehicle,
    lat_deg: float,
    lon_deg: float,
    alt_rel_m: float,
    speed_mps: float = -1.0,
    *,
    source: str,
) -> None:
    v.action.goto(lat_deg, lon_deg, alt_rel_m, speed_mps, source)


def _fly_route(
    v: Vehicle,
    route: Route,
    alt_rel_m: float,
    speed_mps: float = -1.0,
    look_at: tuple[float, float] | None = None,
    *,
    source: str,
) -> None:
    v.action.fly_route(route, alt_rel_m, speed_mps, look_at, source)


def _set_roi(v: Vehicle, lat_deg: float, lon_deg: float, alt_rel_m: float, *, source: str) -> None:
    v.action.set_roi(lat_deg, lon_deg, alt_rel_m, source)


def _orbit(
    v: Vehicle,
    lat_deg: float,
    lon_deg: float,
    radius_m: float,
    alt_rel_m: float,
    speed_mps: float = 3.0,
    *,
    source: str,
) -> None:
    v.action.orbit(lat_deg, lon_deg, radius_m, alt_rel_m, speed_mps, source)


def _orbit_via(
    v: Vehicle,
    route: Route,
    lat_deg: float,
    lon_deg: float,
    alt_rel_m: float,
    radius_m: float,
    *,
    source: str,
) -> None:
    v.action.orbit_via(route, lat_deg, lon_deg, alt_rel_m, radius_m, source)


def _change_speed(v: Vehicle, speed_mps: float, *, source: str) -> None:
    v.action.change_speed(speed_mps, source)


def _rtl(v: Vehicle, *, source: str) -> None:
    v.action.rtl(source)


def _return_home(v: Vehicle, route: Route = (), *, source: str) -> None:
    v.action.return_home(route, source)


def _land(v: Vehicle, *, source: str) -> None:
    v.action.land(source)


def _wait_landed(v: Vehicle, timeout_s: float = 600.0, *, source: str) -> None:
    v.telemetry.wait_landed(timeout_s)


def _disarm_after_landing(v: Vehicle, timeout_s: float = 600.0, *, source: str) -> None:
    v.action.disarm_after_landing(timeout_s, source)


def _upload_mission(v: Vehicle, mission: Mission, verify: bool = True, *, source: str) -> None:
    v.mission.upload(mission, verify)


def _set_param(v: Vehicle, name: str, value: float, *, source: str) -> float:
    return v.params.set(name, value)


def _battery_swapped(v: Vehicle, percentage: float = 100.0, *, source: str) -> None:
    v.action.battery_swapped(percentage, source)


OPERATIONS: dict[str, Operation] = {
    "set_mode": Operation(None, _set_mode),
    "arm": Operation(Action.ARM, _arm),
    "safe_arm": Operation(Action.ARM, _safe_arm),
    "disarm": Operation(Action.DISARM, _disarm),
    "takeoff": Operation(Action.TAKEOFF, _takeoff),
    "safe_takeoff": Operation(Action.TAKEOFF, _safe_takeoff),
    "start_mission": Operation(Action.START_MISSION, _start_mission),
    "pause": Operation(Action.PAUSE, _pause),
    "resume": Operation(Action.RESUME, _resume),
    "goto": Operation(Action.GOTO, _goto),
    "fly_route": Operation(Action.GOTO, _fly_route),
    "set_roi": Operation(None, _set_roi),
    "orbit": Operation(Action.ORBIT, _orbit),
    "orbit_via": Operation(Action.ORBIT, _orbit_via),
    "change_speed": Operation(Action.CHANGE_SPEED, _change_speed),
    "rtl": Operation(Action.RTL, _rtl),
    "return_home": Operation(Action.RTL, _return_home),
    "land": Operation(Action.LAND, _land),
    "wait_landed": Operation(None, _wait_landed),
    "disarm_after_landing": Operation(None, _disarm_after_landing),
    "upload_mission": Operation(None, _upload_mission),
    "set_param": Operation(None, _set_param),
    "battery_swapped": Operation(Action.BATTERY_SWAPPED, _battery_swapped),
}
"""Every operation a caller may name (web requests name one; nothing else is reachable)."""

_op_ids = itertools.count(1)


def operation(name: str) -> Operation:
    """The operation called ``name``; ValueError naming the known ones otherwise."""
    found = OPERATIONS.get(name)
    if found is None:
        raise ValueError(f"no flight operation named {name!r}; known: {sorted(OPERATIONS)}")
    return found


def why_not(vehicle: Vehicle, name: str) -> str | None:
    """Why operation ``name`` cannot be taken now (for an HTTP 409), or None when it can.

    Its can-do row through :meth:`ActionPlugin.why_not` (with the autopilot's
    arming blockers before a take-off); an operation with no row needs only a live link.
    """
    action = operation(name).action
    if action is None:
        snap = vehicle.snapshot
        return None if snap.link is LinkState.UP else f"link is {snap.link.value}"
    return vehicle.action.why_not(action)


def submit_operation(vehicle: Vehicle, name: str, *args: Any, source: str = "") -> CommandHandle:
    """Run operation ``name`` (one of :data:`OPERATIONS`) in the background.

    Returns at once with a :class:`CommandHandle` whose id names the operation in
    its COMMAND_SENT and COMMAND_RESULT events; the result event says ``DONE`` or
    why not. Raises ValueError at once for an unknown operation.
    """
    op = operation(name)
    op_id = f"op-{next(_op_ids)}"
    params = [a if isinstance(a, (int, float, str)) else repr(a) for a in args]
    _emit(
        vehicle,
        EventKind.COMMAND_SENT,
        command_id=op_id,
        name=name,
        params=params,
        source=source,
        attempt=1,
    )
    started = time.monotonic()
    future = vehicle.channel.run_in_background(op.run, vehicle, *args, source=source)
    future.add_done_callback(
        lambda f: _done(vehicle, f, op_id, name, source, time.monotonic() - started)
    )
    return CommandHandle(op_id, future)


def _done(
    vehicle: Vehicle, future: Future, op_id: str, name: str, source: str, elapsed_s: float
) -> None:
    error = future.exception()
    result, code = "DONE", None
    if error is not None:
        result = getattr(error, "result_name", None) or type(error).__name__
        code = getattr(error, "result", None)
    _emit(
        vehicle,
        EventKind.COMMAND_RESULT,
        command_id=op_id,
        name=name,
        ok=error is None,
        result=result,
        result_code=code,
        reason="" if error is None else str(error),
        source=source,
        attempts=1,
        elapsed_s=round(elapsed_s, 3),
    )


def _emit(vehicle: Vehicle, kind: EventKind, **data: Any) -> None:
    event = Event(
        kind=kind,
        vehicle_id=vehicle.vehicle_id,
        data={**data, "command": None, "operation": True},
    )
    vehicle.channel.bus.publish(event)
