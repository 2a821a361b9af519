"""The demo's simulated copters carry the pack the planner's drone profile assumes."""

from __future__ import annotations

import pytest
from support import wait_until

from dronepatrol.cli.runtime import _swap_demo_pack, demo_pack_ah
from dronepatrol.events import Event, EventKind
from dronepatrol.planning import load_profile
from dronepatrol.sitl import SimFleet
from dronepatrol.sitl.physics import HOVER_CURRENT_A, flight_current_a

from .conftest import HOME


def test_demo_pack_hovers_as_long_as_the_profile_promises() -> None:
    profile = load_profile()
    pack_ah = demo_pack_ah(profile)
    hover_s = pack_ah / HOVER_CURRENT_A * 3600.0
    assert hover_s == pytest.approx(profile.hover_endurance_s)
    with SimFleet(1, HOME, base_port=0, fast_start=True, battery_ah=pack_ah) as fleet:
        v = fleet.vehicles[0]
        # the frame's pack sets the monitor's capacity (SITL's Frame::init)
        assert v.params["BATT_CAPACITY"] == pytest.approx(pack_ah * 1000, abs=1)
        # a sortie of the profile's usable share leaves the rest in the pack
        used_s = profile.usable_battery_frac * profile.hover_endurance_s
        v.battery.step(used_s, HOVER_CURRENT_A, 12.6)
        assert v.battery.remaining_pct(v.params["BATT_CAPACITY"]) == pytest.approx(
            100 * (1 - profile.usable_battery_frac), abs=1
        )
        assert v.battery.remaining_ah == pytest.approx(pack_ah * (1 - profile.usable_battery_frac))


def test_reported_swap_puts_a_full_pack_in() -> None:
    with SimFleet(1, HOME, base_port=0, fast_start=True, battery_ah=1.0).start() as fleet:
        v = fleet.vehicles[0]
        fleet.call(0, lambda c: c.battery.step(60.0, flight_current_a(c.air, False, False), 12.6))
        fleet.call(0, lambda c: setattr(c.battery, "remaining_ah", 0.2))
        packs = {"S01-1": (fleet, 0)}
        ignored = Event(EventKind.COMMAND_RESULT, "S01-1", {"command": 42651, "ok": False})
        _swap_demo_pack(ignored, packs)
        assert fleet.call(0, lambda c: c.battery.remaining_ah) == pytest.approx(0.2)
        swapped = Event(EventKind.COMMAND_RESULT, "S01-1", {"command": 42651, "ok": True})
        _swap_demo_pack(swapped, packs)
        wait_until(
            lambda: fleet.call(0, lambda c: c.battery.remaining_ah),
            5,
            "the pack refilled [Ah]",
            accept=lambda ah: ah >= 0.99,
            every_s=0.05,
        )
        assert v.battery.remaining_ah == pytest.approx(1.0, abs=0.01)
