"""Dispatch: the earliest feasible arrival answers the incident."""

from __future__ import annotations

import math

import pytest

from dronepatrol.dispatch.choice import propose_dispatch
from dronepatrol.geo import offset
from dronepatrol.responders import Responder, ResponderState, ResponseModel, reach

CITY = (-35.363261, 149.165230)


def _drone(vid, north_m, east_m, state=ResponderState.IDLE, battery=1.0, alt=None, station=(0, 0)):
    lat, lon = offset(*CITY, north_m, east_m)
    slat, slon = offset(*CITY, *station)
    if alt is None:
        alt = 0.0 if state is ResponderState.IDLE else 60.0
    return Responder(vid, state, lat, lon, alt, battery, slat, slon)


INCIDENT = offset(*CITY, 2000, 0)


def test_patrolling_drone_nearby_beats_idle_drone_far_away() -> None:
    idle = _drone("idle", 0, 0)
    patrol = _drone("patrol", 1500, 0, ResponderState.PATROLLING, battery=0.9)
    proposal = propose_dispatch([idle, patrol], *INCIDENT, hold_s=300)
    assert proposal.chosen is not None and proposal.chosen.vehicle_id == "patrol"
    assert proposal.diverts_patrol
    # the patrol drone: 500 m at 15 m/s, no climb; the idle one: launch + climb + 2 km
    assert proposal.chosen.eta_s == pytest.approx(500 / 15, rel=1e-2)
    assert proposal.options[1].vehicle_id == "idle"
    assert proposal.options[1].eta_s == pytest.approx(15 + 20 + 2000 / 15, rel=1e-2)


def test_low_battery_drone_is_skipped_with_its_reason() -> None:
    close_but_flat = _drone("flat", 1900, 0, ResponderState.PATROLLING, battery=0.22)
    idle = _drone("idle", 0, 0)
    proposal = propose_dispatch([close_but_flat, idle], *INCIDENT, hold_s=600)
    assert proposal.chosen.vehicle_id == "idle"
    assert not proposal.diverts_patrol
    flat = next(o for o in proposal.options if o.vehicle_id == "flat")
    assert not flat.feasible and flat.reason.startswith("battery: needs")


def test_busy_and_unavailable_drones_are_listed_not_chosen() -> None:
    busy = _drone("busy", 2000, 0, ResponderState.ON_INCIDENT)
    lost = _drone("lost", 2000, 0, ResponderState.UNAVAILABLE)
    proposal = propose_dispatch([busy, lost], *INCIDENT, hold_s=60)
    assert proposal.chosen is None
    assert {o.reason for o in proposal.options} == {"on_incident", "unavailable"}
    assert all(math.isinf(o.eta_s) for o in proposal.options)


def test_equal_eta_prefers_idle_over_diverting_a_patrol() -> None:
    model = ResponseModel(launch_delay_s=0.0)
    idle = _drone("b-idle", 0, 0, ResponderState.IDLE, alt=60.0)
    patrol = _drone("a-patrol", 0, 0, ResponderState.PATROLLING, alt=60.0)
    proposal = propose_dispatch([patrol, idle], *INCIDENT, hold_s=60, model=model)
    assert proposal.chosen.vehicle_id == "b-idle"


def test_route_length_function_is_used() -> None:
    """A no-fly detour makes the straight-line winner the slower one."""
    a = _drone("a", 1000, 0, ResponderState.PATROLLING)
    b = _drone("b", 0, 0, ResponderState.PATROLLING)

    def detour(lat1, lon1, lat2, lon2):
        from dronepatrol.geo import distance_m

        straight = distance_m(lat1, lon1, lat2, lon2)
        return straight * (5 if (lat1, lon1) == (a.lat_deg, a.lon_deg) else 1)

    proposal = propose_dispatch([a, b], *INCIDENT, hold_s=60, distance_fn=detour)
    assert proposal.chosen.vehicle_id == "b"


def test_model_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="cruise_speed_mps"):
        ResponseModel(cruise_speed_mps=0)
    with pytest.raises(ValueError, match="reserve_frac"):
        ResponseModel(reserve_frac=1.5)


def test_dispatch_sees_a_drone_through_the_can_do_table() -> None:
    """An armed drone still on the ground is neither idle (dispatch would skip the
    preflight and the take-off) nor patrolling: the table says why it cannot respond."""
    from dronepatrol.actions import Action, why_not
    from dronepatrol.dispatch import responder_of
    from dronepatrol.state import LandedState, LinkState, Position, VehicleSnapshot

    here = Position(*CITY, 584.0, 0.0)

    def snapshot(**state) -> VehicleSnapshot:
        return VehicleSnapshot("1", link=LinkState.UP, position=here, home=here, **state)

    armed_on_ground = snapshot(armed=True, mode="GUIDED", landed_state=LandedState.ON_GROUND)
    assert why_not(armed_on_ground, Action.RESPOND) == (
        "armed on the ground: take off or disarm it first"
    )
    assert responder_of(armed_on_ground).state is ResponderState.UNAVAILABLE
    refused = reach(responder_of(armed_on_ground), *INCIDENT, 300, ResponseModel())
    assert not refused.feasible  # the operator reads the table's reason, not "unavailable"
    assert refused.reason == "armed on the ground: take off or disarm it first"
    ready = snapshot(ekf_ok=True, landed_state=LandedState.ON_GROUND)
    assert responder_of(ready).state is ResponderState.IDLE
    aloft = Position(*CITY, 644.0, 60.0)
    returning = snapshot(armed=True, mode="SMART_RTL", landed_state=LandedState.IN_AIR)
    assert responder_of(returning).state is ResponderState.RETURNING
    patrolling = snapshot(armed=True, mode="AUTO", landed_state=LandedState.IN_AIR)
    assert responder_of(patrolling).state is ResponderState.PATROLLING
    assert responder_of(VehicleSnapshot("1", link=LinkState.UP, position=aloft)).state is (
        ResponderState.UNAVAILABLE  # neither ready on the ground nor flying
    )
