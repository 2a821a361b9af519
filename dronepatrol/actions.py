"""What a vehicle can be asked to do now, and why not: one table for every caller.

The web's command buttons (HTTP 409 with the reason), the fleet's
``why_not``, the scheduler's launch check and dispatch all ask
:func:`why_not` so that they never disagree about, say, when a mission can
be paused. The answers read only the vehicle's snapshot (the vocabulary of
:mod:`dronepatrol.state`): a quick look, not a promise, since the autopilot
may still refuse, and its refusal arrives as the command's result. The
autopilot's own arming checks (GPS, EKF, prearm) are added by the fleet
(:func:`dronepatrol.mavlink.preflight.blocking_reasons`), which hears its
STATUSTEXTs.

>>> from dronepatrol.state import LinkState, VehicleSnapshot
>>> why_not(VehicleSnapshot("1", link=LinkState.UP, mode="STABILIZE"), Action.PAUSE)
'not flying: take off first'
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum

from dronepatrol.state import HOLDING_MODES, CopterMode, LinkState, VehicleSnapshot


class Action(Enum):
    """Things a vehicle is asked to do, by the operator, the scheduler or dispatch."""

    ARM = "arm"
    DISARM = "disarm"
    TAKEOFF = "takeoff"
    START_MISSION = "start_mission"
    PAUSE = "pause"
    RESUME = "resume"
    GOTO = "goto"
    ORBIT = "orbit"
    CHANGE_SPEED = "change_speed"
    RTL = "rtl"
    LAND = "land"
    BATTERY_SWAPPED = "battery_swapped"
    LAUNCH_PATROL = "launch_patrol"  # the scheduler sends it on a sortie from its station
    RESPOND = "respond"  # dispatch sends it to an incident or an overwatch point


Rule = Callable[[VehicleSnapshot], "str | None"]


def _on_ground_disarmed(s: VehicleSnapshot) -> str | None:
    if s.flying:
        return "already flying"
    if s.armed:
        return "already armed"
    return None


def _armed(s: VehicleSnapshot) -> str | None:
    return None if s.armed else "not armed: arm it and take off first"


def _flying(s: VehicleSnapshot) -> str | None:
    return None if s.flying else "not flying: take off first"


def _disarmable(s: VehicleSnapshot) -> str | None:
    if not s.armed:
        return "not armed"
    return "flying: land first" if s.flying else None


def _mission_loaded(s: VehicleSnapshot) -> str | None:
    """Armed with a mission: AUTO and MISSION_START fly it, taking off by its first item
    when still on the ground (ArduCopter starts a mission armed on the ground)."""
    if not s.armed:
        return "not armed: arm it first"
    if s.mission.total <= 1:
        return "no mission on the vehicle: upload a plan first"
    return None


def _in_auto(s: VehicleSnapshot) -> str | None:
    if not s.flying:
        return "not flying: take off first"
    if s.flight_mode is not CopterMode.AUTO:
        return f"in {s.mode}, not flying a mission (AUTO)"
    return None


def _paused(s: VehicleSnapshot) -> str | None:
    if not s.flying:
        return "not flying: take off first"
    if s.mission.total <= 1:
        return "no mission on the vehicle to resume"
    if s.flight_mode not in HOLDING_MODES:
        return f"the mission is not paused (mode {s.mode}): pause it first"
    return None


def _landed_disarmed(s: VehicleSnapshot) -> str | None:
    if s.armed or s.flying:
        return "armed: land and disarm before swapping the battery"
    return None


def _launchable(s: VehicleSnapshot) -> str | None:
    if s.armed or s.flying:
        return "flying"
    return None


def _respondable(s: VehicleSnapshot) -> str | None:
    if s.returning:
        return f"returning ({s.mode})"
    return None


CAN_DO: dict[Action, Rule] = {
    Action.ARM: _on_ground_disarmed,
    Action.DISARM: _disarmable,
    Action.TAKEOFF: _on_ground_disarmed,
    Action.START_MISSION: _mission_loaded,
    Action.PAUSE: _in_auto,
    Action.RESUME: _paused,
    Action.GOTO: _flying,
    Action.ORBIT: _flying,
    Action.CHANGE_SPEED: _flying,
    Action.RTL: _armed,
    Action.LAND: _armed,
    Action.BATTERY_SWAPPED: _landed_disarmed,
    Action.LAUNCH_PATROL: _launchable,
    Action.RESPOND: _respondable,
}
"""The table: each action's rule, from the snapshot, beyond a live link."""


def why_not(snapshot: VehicleSnapshot, action: Action | str) -> str | None:
    """Why the vehicle cannot take ``action`` now (words an operator acts on), or None.

    ``action`` may be given by its value (``"pause"``); unknown names raise ValueError.
    """
    action = Action(action)
    if snapshot.link is not LinkState.UP:
        return f"link is {snapshot.link.value}: wait until it is back"
    return CAN_DO[action](snapshot)
