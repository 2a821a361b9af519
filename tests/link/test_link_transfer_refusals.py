"""A vehicle that answers a transfer with something unexpected: the transfer is refused in
the vehicle's own words, and no half-written sortie is left on it to be flown.

The peer is a fake ArduCopter on a real TCP socket that writes mission and
rally items as they arrive (as ArduPilot does) and keeps a fence only when it
is complete.
"""

from __future__ import annotations

import pytest

from dronepatrol.fence_storage import FenceCapacity
from dronepatrol.mavlink import FenceTooBigError, Link, MissionTransferError
from dronepatrol.mission import Cmd, Mission, MissionItem, MissionType
from link.mavpeer import ScriptedCopter

HOME = (-35.363261, 149.165230, 584.0)
MAV_MISSION_INVALID_PARAM1 = 6


def sortie_mission(n_waypoints: int = 6, fence_vertices: int = 4) -> Mission:
    items = [MissionItem(Cmd.NAV_TAKEOFF, alt_m=20)]
    items += [
        MissionItem(Cmd.NAV_WAYPOINT, lat_deg=HOME[0] + 1e-4 * k, lon_deg=HOME[1], alt_m=30)
        for k in range(n_waypoints)
    ]
    items.append(MissionItem(Cmd.NAV_RETURN_TO_LAUNCH))
    ring = tuple(
        (HOME[0] + 0.002 * (k % 2) - 0.001, HOME[1] + 0.002 * (k // 2 % 2) - 0.001)
        for k in range(fence_vertices)
    )
    return Mission(
        tuple(items),
        home=HOME,
        fence_inclusions=(ring,),
        rally_points=((HOME[0], HOME[1], 30.0),),
    )


@pytest.fixture
def vehicle(copter: ScriptedCopter, bus):
    link = Link(copter.url, bus).start()
    yield link.wait_vehicle(timeout_s=5)
    link.close()


def previous_sortie(copter: ScriptedCopter, vehicle) -> None:
    vehicle.mission.upload(sortie_mission(3))
    assert len(copter.lists[0]) == 6 and len(copter.lists[1]) == 4


def test_a_fence_refused_for_space_is_named_in_the_vehicles_words_and_the_mission_cleared(
    copter, vehicle
):
    previous_sortie(copter, vehicle)
    copter.max_items_by_type = {1: 5}
    with pytest.raises(MissionTransferError) as failed:
        vehicle.mission.upload(sortie_mission(8, fence_vertices=6))
    error = failed.value
    assert error.result_name == "NO_SPACE"
    assert error.reason == "Only 5 items are supported"  # the STATUSTEXT sent after the ACK
    assert "fence transfer failed: NO_SPACE: Only 5 items are supported" in str(error)
    # The new mission went up, its fence did not: no mission without its fence stays.
    assert copter.lists[0] == [] and error.cleared == ("mission",)
    assert len(copter.lists[1]) == 4  # ArduPilot kept the previous fence


def test_an_item_refused_mid_upload_leaves_no_half_mission(copter, vehicle):
    previous_sortie(copter, vehicle)
    copter.refuse_item = (0, 4, MAV_MISSION_INVALID_PARAM1, "Bad param1 on item 4")
    with pytest.raises(MissionTransferError) as failed:
        vehicle.mission.upload(sortie_mission(8))
    error = failed.value
    assert (error.result_name, error.reason, error.items_sent) == (
        "INVALID_PARAM1",
        "Bad param1 on item 4",
        5,  # items 0..4 went out; the vehicle refused the fifth
    )
    assert copter.lists[0] == []  # items 0..3 were new, the rest old: cleared
    assert "cleared the vehicle's mission list" in str(error)


def test_an_early_accept_is_refused_not_taken_for_success(copter, vehicle):
    copter.early_accept_at = 3
    with pytest.raises(MissionTransferError, match="accepted before every item was sent"):
        vehicle.mission.upload(sortie_mission(6))
    assert copter.lists[0] == []


def test_a_request_for_an_item_that_does_not_exist_ends_the_transfer(copter, vehicle):
    copter.request_beyond = 40
    with pytest.raises(MissionTransferError, match="vehicle asked for item 40 of 9"):
        vehicle.mission.upload(sortie_mission(6))
    cancels = [m for m in copter.received if m._type == "MISSION_ACK" and m.type == 15]
    assert cancels  # our side told the vehicle the transfer is over
    assert copter.lists[0] == []


def test_a_fence_too_big_for_the_vehicle_is_refused_before_anything_is_sent(copter, vehicle):
    previous_sortie(copter, vehicle)
    before = len(copter.received)
    vehicle.mission.fence_capacity = FenceCapacity(64)  # 8 items
    need = 4 + 1 + 2 + 8 * 10  # header, end marker, type and count, 10 vertices
    with pytest.raises(FenceTooBigError, match=f"needs 10 items and {need} bytes") as failed:
        vehicle.mission.upload(sortie_mission(6, fence_vertices=10))
    assert "inclusion polygon of 10 vertices" in str(failed.value)
    sent = [m._type for m in copter.received[before:] if m._type.startswith("MISSION")]
    assert sent == []  # the vehicle is left exactly as it was
    assert len(copter.lists[0]) == 6


def test_a_fence_of_circles_goes_up_and_verifies(copter, vehicle):
    mission = sortie_mission(4)
    mission = Mission(
        mission.items,
        home=HOME,
        fence_inclusions=mission.fence_inclusions,
        fence_exclusion_circles=((HOME[0] + 5e-4, HOME[1] + 5e-4, 35.5),),
    )
    vehicle.mission.upload(mission)
    fence = copter.lists[MissionType.FENCE]
    assert [m.command for m in fence] == [5001] * 4 + [5004]
    assert fence[-1].param1 == pytest.approx(35.5)
