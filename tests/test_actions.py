"""The can-do table: one answer to "can this vehicle do X now, and why not"."""

from __future__ import annotations

import pytest

from dronepatrol.actions import CAN_DO, Action, why_not
from dronepatrol.state import (
    CopterMode,
    LandedState,
    LinkState,
    MissionProgress,
    Position,
    VehicleSnapshot,
)

UP = LinkState.UP


def snap(mode="STABILIZE", armed=False, alt=0.0, landed=LandedState.ON_GROUND, mission=0, link=UP):
    return VehicleSnapshot(
        "1",
        link=link,
        armed=armed,
        mode=mode,
        position=Position(-35.0, 149.0, 600.0 + alt, alt),
        landed_state=landed,
        mission=MissionProgress(total=mission),
    )


ON_GROUND = snap()
IN_AUTO = snap("AUTO", True, 30.0, LandedState.IN_AIR, mission=8)
PAUSED = snap("BRAKE", True, 30.0, LandedState.IN_AIR, mission=8)
RETURNING = snap("AUTO_RTL", True, 30.0, LandedState.IN_AIR, mission=8)
# an autopilot without EXTENDED_SYS_STATE: armed and high up still counts as flying
NO_EXT_STATE = snap("GUIDED", True, 20.0, LandedState.UNDEFINED)


def test_every_action_has_a_rule() -> None:
    assert set(CAN_DO) == set(Action)


def test_vocabulary_is_typed_and_defined_once() -> None:
    assert IN_AUTO.flight_mode is CopterMode.AUTO
    assert snap("UNKNOWN").flight_mode is None
    assert IN_AUTO.flying and not IN_AUTO.returning and not IN_AUTO.on_ground
    assert RETURNING.returning  # AUTO_RTL is a return like RTL and SMART_RTL
    assert NO_EXT_STATE.flying
    assert ON_GROUND.on_ground and not ON_GROUND.flying


@pytest.mark.parametrize(
    ("snapshot", "action", "reason"),
    [
        (ON_GROUND, Action.PAUSE, "not flying"),
        (PAUSED, Action.PAUSE, "not flying a mission (AUTO)"),
        (IN_AUTO, Action.PAUSE, None),
        (IN_AUTO, Action.RESUME, "not paused"),
        (PAUSED, Action.RESUME, None),
        (snap("CIRCLE", True, 30.0, LandedState.IN_AIR, mission=8), Action.RESUME, None),
        (snap("BRAKE", True, 30.0, LandedState.IN_AIR), Action.RESUME, "no mission"),
        (ON_GROUND, Action.TAKEOFF, None),
        (IN_AUTO, Action.TAKEOFF, "already flying"),
        (ON_GROUND, Action.GOTO, "not flying"),
        (NO_EXT_STATE, Action.GOTO, None),
        (ON_GROUND, Action.RTL, "not armed"),
        (IN_AUTO, Action.DISARM, "flying: land first"),
        (IN_AUTO, Action.BATTERY_SWAPPED, "armed"),
        (ON_GROUND, Action.BATTERY_SWAPPED, None),
        (IN_AUTO, Action.LAUNCH_PATROL, "flying"),
        (ON_GROUND, Action.LAUNCH_PATROL, None),
        (RETURNING, Action.RESPOND, "returning (AUTO_RTL)"),
        (IN_AUTO, Action.RESPOND, None),
        (ON_GROUND, Action.RESPOND, None),
        (snap(armed=True), Action.RESPOND, "armed on the ground"),
        (snap(link=LinkState.LOST), Action.RTL, "link is lost"),
        (ON_GROUND, Action.START_MISSION, "not armed"),
        (snap(armed=True), Action.START_MISSION, "no mission"),
        (snap(armed=True, mission=8), Action.START_MISSION, None),
    ],
)
def test_why_not(snapshot, action, reason) -> None:
    got = why_not(snapshot, action)
    if reason is None:
        assert got is None
    else:
        assert got is not None and reason in got


def test_actions_are_named_by_value_and_unknown_ones_refused() -> None:
    assert why_not(IN_AUTO, "pause") is None
    with pytest.raises(ValueError):
        why_not(IN_AUTO, "loop_the_loop")
