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
from dataclasses import dataclass
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


Check = Callable[[VehicleSnapshot], "str | None"]


@dataclass(frozen=True)
class Rule:
    """One row of the can-do table: what the vehicle must be, in words, and the check.

    ``needs`` is what an operator reads before asking (the control app serves it with
    each command); ``check`` says why not from a snapshot, or None. Calling the rule
    runs the check.
    """

    needs: str
    check: Check

    def __call__(self, snapshot: VehicleSnapshot) -> str | None:
        return self.check(snapshot)


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
    """Dispatch takes off a drone on the ground (disarmed: after the one preflight) or
    diverts one in the air; an armed drone still on the ground is neither."""
    if s.returning:
        return f"returning ({s.mode})"
    if s.armed and not s.flying:
        return "armed on the ground: take off or disarm it first"
    return None


CAN_DO: dict[Action, Rule] = {
    Action.ARM: Rule("on the ground, disarmed", _on_ground_disarmed),
    Action.DISARM: Rule("armed, on the ground", _disarmable),
    Action.TAKEOFF: Rule("on the ground, disarmed", _on_ground_disarmed),
    Action.START_MISSION: Rule("armed, with a mission uploaded", _mission_loaded),
    Action.PAUSE: Rule("flying a mission (AUTO)", _in_auto),
    Action.RESUME: Rule("flying, its mission paused", _paused),
    Action.GOTO: Rule("flying", _flying),
    Action.ORBIT: Rule("flying", _flying),
    Action.CHANGE_SPEED: Rule("flying", _flying),
    Action.RTL: Rule("armed", _armed),
    Action.LAND: Rule("armed", _armed),
    Action.BATTERY_SWAPPED: Rule("on the ground, disarmed", _landed_disarmed),
    Action.LAUNCH_PATROL: Rule("on the ground, disarmed", _launchable),
    Action.RESPOND: Rule("in the air and not returning home, or disarmed", _respondable),
}
"""The table: each action's rule, from the snapshot, beyond a live link (:data:`LINK_NEEDED`)."""

LINK_NEEDED = "a live link"
"""What every action needs before its own rule: the vehicle heard on its link."""


def why_not(snapshot: VehicleSnapshot, action: Action | str) -> str | None:
    """Why the vehicle cannot take ``action`` now (words an operator acts on), or None.

    ``action`` may be given by its value (``"pause"``); unknown names raise ValueError.
    """
    action = Action(action)
    if snapshot.link is not LinkState.UP:
        return f"link is {snapshot.link.value}: wait until it is back"
    return CAN_DO[action](snapshot)
