"""Mission, fence and rally transfer against a scripted ArduCopter peer.

The peer asks with MISSION_REQUEST (as ArduPilot does even on MAVLink 2),
re-requests after a second of silence, answers duplicates with
INVALID_SEQUENCE, reads item 0 back as home and relative int frames as frame 3.
"""

from __future__ import annotations

import pytest

from dronepatrol.events import EventKind
from dronepatrol.mavlink import Link, MissionTransferError, MissionVerifyError
from dronepatrol.mission import Cmd, Frame, Mission, MissionItem, MissionType
from link.mavpeer import ScriptedCopter

HOME = (-35.363261, 149.165230, 584.0)


def patrol(n: int) -> tuple[MissionItem, ...]:
    items = [MissionItem(Cmd.NAV_TAKEOFF, alt_m=20)]
    for i in range(n):
        items.append(
            MissionItem(
                Cmd.NAV_WAYPOINT,
                frame=Frame.GLOBAL_RELATIVE_ALT_INT,
                param1=2,
                param2=3,
                lat_deg=HOME[0] + 1e-4 * i,
                lon_deg=HOME[1] + 2e-4 * (i % 3),
                alt_m=25 + i % 5,
            )
        )
    items.append(MissionItem(Cmd.NAV_RETURN_TO_LAUNCH))
    return tuple(items)


@pytest.fixture
def vehicle(copter: ScriptedCopter, bus):
    link = Link(copter.url, bus).start()
    yield link.wait_vehicle(timeout_s=5)
    link.close()


def test_upload_answers_mission_request_and_verifies_by_download(copter, vehicle, bus):
    sub = bus.subscribe()
    mission = Mission(patrol(8), home=HOME)
    vehicle.mission.upload(mission)
    stored = copter.lists[0]
    assert len(stored) == 11 and stored[0].command == Cmd.NAV_WAYPOINT
    assert [m.seq for m in stored] == list(range(11))
    assert {m._type for m in copter.received} >= {
        "MISSION_COUNT",
        "MISSION_ITEM_INT",
        "MISSION_REQUEST_INT",
        "MISSION_ACK",
    }
    progress = [e.data for e in sub.drain() if e.kind == EventKind.MISSION_UPLOAD]
    sent = [d["sent"] for d in progress if d["phase"] == "upload" and "result" not in d]
    assert sent == list(range(1, 12))
    assert any(d["phase"] == "verify" and d["result"] == "ACCEPTED" for d in progress)
    assert vehicle.mission.download(MissionType.MISSION)[5].alt_m == stored[5].z


def test_lost_requests_are_recovered_by_the_vehicles_re_request(copter, vehicle):
    copter.drop_requests = {3, 7}
    vehicle.mission.upload_items(
        [MissionItem(Cmd.NAV_WAYPOINT, lat_deg=1, lon_deg=2, alt_m=10)] * 10, MissionType.MISSION
    )
    assert len(copter.lists[0]) == 10


def test_a_transfer_the_vehicle_cancelled_is_started_again(copter, vehicle):
    copter.cancel_after_items = 4
    vehicle.mission.upload(Mission(patrol(6), home=HOME))
    assert len(copter.lists[0]) == 9
    counts = [m for m in copter.received if m._type == "MISSION_COUNT" and m.mission_type == 0]
    assert len(counts) == 2


def test_lost_item_replies_are_requested_again_during_download(copter, vehicle):
    vehicle.mission.upload_items(
        [MissionItem(Cmd.NAV_WAYPOINT, lat_deg=1, lon_deg=2, alt_m=i) for i in range(6)],
        MissionType.MISSION,
        verify=False,
    )
    copter.drop_item_replies = {2, 4}
    items = vehicle.mission.download(MissionType.MISSION)
    assert [i.alt_m for i in items[1:]] == [1, 2, 3, 4, 5]
    requests = [m.seq for m in copter.received if m._type == "MISSION_REQUEST_INT"]
    assert requests.count(2) == 2 and requests.count(4) == 2


def test_read_back_mismatch_is_a_verify_error(copter, vehicle):
    copter.corrupt_readback_seq = 3
    with pytest.raises(MissionVerifyError, match="item 3: alt"):
        vehicle.mission.upload(Mission(patrol(4), home=HOME))


def test_home_item_differences_are_not_mismatches(copter, vehicle):
    copter.home = (10.0, 20.0, 30.0)  # the vehicle's home differs from the plan's
    vehicle.mission.upload(Mission(patrol(2), home=HOME))


def test_too_many_items_is_a_typed_no_space_error_with_the_reason(copter, vehicle):
    copter.max_items = 5
    with pytest.raises(MissionTransferError) as failed:
        vehicle.mission.upload(Mission(patrol(8), home=HOME))
    assert failed.value.result_name == "NO_SPACE"
    assert "Only 5 items are supported" in failed.value.reason


def test_silent_vehicle_times_out_after_the_protocol_retries(copter, vehicle):
    copter.heartbeats = True
    vehicle.mission.timeouts = type(vehicle.mission.timeouts)(ack_s=0.1, item_s=0.05, retries=3)
    copter.handle = lambda msg: None  # hears everything, answers nothing
    with pytest.raises(MissionTransferError) as failed:
        vehicle.mission.upload_items([MissionItem(Cmd.NAV_WAYPOINT)] * 3, MissionType.MISSION)
    assert failed.value.result_name == "TIMEOUT"
    counts = [m for m in copter.received if m._type == "MISSION_COUNT"]
    assert len(counts) == 4  # the first and 3 retries


def test_fence_and_rally_lists_are_uploaded_and_verified(copter, vehicle):
    ring = (
        (HOME[0] - 0.001, HOME[1] - 0.001),
        (HOME[0] + 0.001, HOME[1] - 0.001),
        (HOME[0] + 0.001, HOME[1] + 0.001),
        (HOME[0] - 0.001, HOME[1] + 0.001),
    )
    no_fly = ((HOME[0], HOME[1]), (HOME[0] + 0.0002, HOME[1]), (HOME[0], HOME[1] + 0.0002))
    mission = Mission(
        patrol(2),
        home=HOME,
        fence_inclusions=(ring,),
        fence_exclusions=(no_fly,),
        rally_points=((HOME[0] + 0.0005, HOME[1], 15.0),),
    )
    vehicle.mission.upload(mission)
    fence = copter.lists[1]
    assert [m.command for m in fence] == [5001] * 4 + [5002] * 3
    assert [m.param1 for m in fence] == [4.0] * 4 + [3.0] * 3
    assert len(copter.lists[2]) == 1 and copter.lists[2][0].command == 5100


def test_empty_fence_upload_clears_an_old_fence(copter, vehicle):
    copter.lists[1] = ["stale"]
    vehicle.mission.upload(Mission(patrol(1), home=HOME))
    assert copter.lists[1] == []


def test_read_back_keeps_five_requests_outstanding_and_all_items_arrive_in_order(copter, vehicle):
    sent = [MissionItem(Cmd.NAV_WAYPOINT, lat_deg=1, lon_deg=2, alt_m=i) for i in range(40)]
    vehicle.mission.upload_items(sent, MissionType.MISSION, verify=False)
    before = len(copter.received)
    copter.drop_item_replies = {7, 23}
    got = vehicle.mission.download(MissionType.MISSION)
    assert [i.alt_m for i in got[1:]] == list(range(1, 40))  # item 0: the vehicle's home
    asked = [m.seq for m in copter.received[before:] if m._type == "MISSION_REQUEST_INT"]
    assert asked[:5] == [0, 1, 2, 3, 4]  # the window, sent before any answer
    assert sorted(set(asked)) == list(range(40))
    assert asked.count(7) == 2 and asked.count(23) == 2  # lost answers asked again
