"""The simulator runs the MAVLink mission protocol the way ArduPilot's MissionItemProtocol does."""

from __future__ import annotations

import math
import time

import pytest
from flight.flightlib import FlightError, fence_polygon, home_item, takeoff_item, waypoint
from pymavlink.dialects.v20 import ardupilotmega as M

from dronepatrol import geo

pytestmark = pytest.mark.timeout(60)


def _mission(n_wps: int = 3) -> list[tuple]:
    home = home_item(-35.363261, 149.165230, 584)
    wps = [geo.offset(-35.363261, 149.165230, 30 * k, 0) for k in range(1, n_wps + 1)]
    return [home, takeoff_item(10)] + [
        waypoint(lat, lon, 10 + k) for k, (lat, lon) in enumerate(wps)
    ]


def test_upload_is_requested_with_mission_request_even_on_mavlink2(make_fleet, connect) -> None:
    gcs = connect(make_fleet().urls[0], streams=False)
    items = _mission()
    gcs.send(gcs.conn.mav.mission_count_send, 1, 1, len(items), 0)
    req = gcs.wait(("MISSION_REQUEST", "MISSION_REQUEST_INT"), timeout=5)
    assert req.get_type() == "MISSION_REQUEST"
    assert req.seq == 0
    assert gcs.conn.mavlink20()


def test_silence_gets_a_rerequest_then_the_upload_is_cancelled(make_fleet, connect) -> None:
    fleet = make_fleet(speedup=10)
    gcs = connect(fleet.urls[0], streams=False)
    gcs.send(gcs.conn.mav.mission_count_send, 1, 1, 3, 0)
    first = gcs.wait("MISSION_REQUEST", timeout=5)
    t0 = time.monotonic()
    again = gcs.wait("MISSION_REQUEST", timeout=5)
    assert again.seq == first.seq == 0
    # ~1 s of simulated time at 10x
    assert time.monotonic() - t0 < 1.0
    ack = gcs.wait("MISSION_ACK", timeout=10)
    assert ack.type == M.MAV_MISSION_OPERATION_CANCELLED
    # the old mission (empty) is untouched
    assert len(gcs.download()) == 1


def test_wrong_sequence_and_foreign_uploader_are_refused(make_fleet, connect) -> None:
    url = make_fleet().urls[0]
    gcs = connect(url, streams=False)
    other = connect(url, source_system=200, streams=False)
    items = _mission()
    gcs.send(gcs.conn.mav.mission_count_send, 1, 1, len(items), 0)
    gcs.wait("MISSION_REQUEST", lambda m: m.seq == 0, timeout=5)
    # another system may not start an upload while this one runs
    other.send(other.conn.mav.mission_count_send, 1, 1, 2, 0)
    assert other.wait("MISSION_ACK", timeout=5).type == M.MAV_MISSION_DENIED
    # an item out of order is refused with INVALID_SEQUENCE
    frame, cmd, p1, p2, p3, p4, x, y, z = items[2]
    gcs.send(
        gcs.conn.mav.mission_item_int_send, 1, 1, 2, frame, cmd, 0, 1, p1, p2, p3, p4, x, y, z, 0
    )
    assert gcs.wait("MISSION_ACK", timeout=5).type == M.MAV_MISSION_INVALID_SEQUENCE


def test_read_back_overwrites_home_and_reports_float_frames(make_fleet, connect) -> None:
    gcs = connect(make_fleet().urls[0])
    gcs.wait_ready(timeout=30)
    items = _mission()
    items[0] = home_item(10.0, 10.0, 1.0)  # nonsense home: the vehicle keeps its own
    assert gcs.upload(items) == M.MAV_MISSION_ACCEPTED
    back = gcs.download()
    assert (back[0].x, back[0].y) == (-353632610, 1491652300)
    assert back[0].frame == M.MAV_FRAME_GLOBAL
    assert back[0].z == pytest.approx(584.0)
    assert [m.frame for m in back[1:]] == [M.MAV_FRAME_GLOBAL_RELATIVE_ALT] * 4
    # the float download (MISSION_REQUEST -> MISSION_ITEM) gives the same items
    gcs.send(gcs.conn.mav.mission_request_send, 1, 1, 2, 0)
    item = gcs.wait("MISSION_ITEM", timeout=5)
    assert item.x == pytest.approx(back[2].x / 1e7, abs=1e-6)


def test_partial_write_replaces_items(make_fleet, connect) -> None:
    gcs = connect(make_fleet().urls[0], streams=False)
    items = _mission(3)
    assert gcs.upload(items) == M.MAV_MISSION_ACCEPTED
    gcs.send(gcs.conn.mav.mission_write_partial_list_send, 1, 1, 3, 3, 0)
    req = gcs.wait("MISSION_REQUEST", timeout=5)
    assert req.seq == 3
    frame, cmd, _, p2, p3, p4, x, y, _ = items[3]
    gcs.send(
        gcs.conn.mav.mission_item_int_send,
        1,
        1,
        3,
        frame,
        cmd,
        0,
        1,
        7.0,
        p2,
        p3,
        p4,
        x,
        y,
        55.0,
        0,
    )
    assert gcs.wait("MISSION_ACK", timeout=5).type == M.MAV_MISSION_ACCEPTED
    back = gcs.download()
    assert len(back) == len(items)
    assert back[3].z == pytest.approx(55.0)
    assert back[3].param1 == pytest.approx(7.0)
    assert back[4].z == pytest.approx(items[4][8])
    # a range beyond the list is an error
    gcs.send(gcs.conn.mav.mission_write_partial_list_send, 1, 1, 9, 12, 0)
    assert gcs.wait("MISSION_ACK", timeout=5).type == M.MAV_MISSION_ERROR


def test_clear_unsupported_items_and_fence(make_fleet, connect) -> None:
    gcs = connect(make_fleet().urls[0], streams=False)
    assert gcs.upload(_mission()) == M.MAV_MISSION_ACCEPTED
    gcs.send(gcs.conn.mav.mission_clear_all_send, 1, 1, 0)
    assert gcs.wait("MISSION_ACK", timeout=5).type == M.MAV_MISSION_ACCEPTED
    assert len(gcs.download()) == 1  # home only
    bogus = [_mission()[0], (M.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT, 31337, 0, 0, 0, 0, 0, 0, 0)]
    assert gcs.upload(bogus) == M.MAV_MISSION_UNSUPPORTED
    fence = fence_polygon([(-35.36, 149.16), (-35.36, 149.17), (-35.37, 149.17)])
    assert gcs.upload(fence, mission_type=M.MAV_MISSION_TYPE_FENCE) == M.MAV_MISSION_ACCEPTED
    assert len(gcs.download(M.MAV_MISSION_TYPE_FENCE)) == 3
    # a polygon whose vertex count does not match is refused as a whole: ERROR after
    # "Fence validation failed" (AC_PolyFence_loader::write_fence)
    broken = fence[:2]
    assert gcs.upload(broken, mission_type=M.MAV_MISSION_TYPE_FENCE) == M.MAV_MISSION_ERROR
    assert len(gcs.download(M.MAV_MISSION_TYPE_FENCE)) == 3
    rally = [
        (
            M.MAV_FRAME_GLOBAL_RELATIVE_ALT,
            M.MAV_CMD_NAV_RALLY_POINT,
            0,
            0,
            0,
            0,
            -353632610,
            1491652300,
            30,
        )
    ]
    assert gcs.upload(rally, mission_type=M.MAV_MISSION_TYPE_RALLY) == M.MAV_MISSION_ACCEPTED
    assert gcs.get_param("RALLY_TOTAL") == 1


def test_stored_mission_survives_a_disconnect(make_fleet, connect) -> None:
    url = make_fleet().urls[0]
    first = connect(url, streams=False)
    assert first.upload(_mission(2)) == M.MAV_MISSION_ACCEPTED
    first.close()
    second = connect(url, streams=False)
    back = second.download()
    assert len(back) == 4
    assert second.get_param("MIS_TOTAL") == 3


def test_download_during_an_upload_is_denied(make_fleet, connect) -> None:
    gcs = connect(make_fleet().urls[0], streams=False)
    gcs.send(gcs.conn.mav.mission_count_send, 1, 1, 3, 0)
    gcs.wait("MISSION_REQUEST", timeout=5)
    gcs.send(gcs.conn.mav.mission_request_list_send, 1, 1, 0)
    ack = gcs.wait("MISSION_ACK", timeout=5)
    assert ack.type == M.MAV_MISSION_DENIED
    with pytest.raises(FlightError):
        gcs.wait("MISSION_COUNT", timeout=0.5)


@pytest.mark.parametrize(
    ("mission_type", "limit"),
    [
        (M.MAV_MISSION_TYPE_MISSION, 1306),
        (M.MAV_MISSION_TYPE_FENCE, 70),
        (M.MAV_MISSION_TYPE_RALLY, 46),
    ],
)
def test_storage_limits_are_sitls(make_fleet, connect, mission_type: int, limit: int) -> None:
    """MissionItemProtocol::handle_mission_count: more than max_items() is NO_SPACE.

    SITL's 32 KiB storage (StorageManager's copter layout) holds 1306 mission
    commands of 15 bytes, 560 fence bytes (max_items: 8 bytes an item) and
    46 rally points of 15 bytes; the real vehicle refused a 92-item fence
    with "Only 70 items are supported".
    """
    gcs = connect(make_fleet().urls[0], streams=False)
    gcs.send(gcs.conn.mav.mission_count_send, 1, 1, limit + 1, mission_type)
    assert gcs.wait("MISSION_ACK", timeout=5).type == M.MAV_MISSION_NO_SPACE
    gcs.wait_text(f"Only {limit} items are supported", timeout=5)
    gcs.send(gcs.conn.mav.mission_count_send, 1, 1, limit, mission_type)
    assert gcs.wait("MISSION_REQUEST", timeout=5).seq == 0


def test_fence_that_fits_the_count_but_not_the_storage_is_refused(make_fleet, connect) -> None:
    """Two 35-vertex polygons: 70 items, but 4 + 2 * (2 + 35 * 8) = 568 bytes > 560."""
    gcs = connect(make_fleet().urls[0], streams=False)
    ring = [
        geo.offset(-35.363261, 149.165230, 300 * math.cos(a), 300 * math.sin(a))
        for a in (2 * math.pi * k / 35 for k in range(35))
    ]
    fence = fence_polygon(ring) + fence_polygon([(lat, lon + 0.01) for lat, lon in ring])
    assert gcs.upload(fence, mission_type=M.MAV_MISSION_TYPE_FENCE) == M.MAV_MISSION_ERROR
    gcs.wait_text("Fence exceeds storage size", timeout=5)
    assert gcs.upload(fence[:35], mission_type=M.MAV_MISSION_TYPE_FENCE) == M.MAV_MISSION_ACCEPTED
    gcs.wait_text("Fence Indexed OK", timeout=5)


def test_read_back_is_what_arducopter_stores(make_fleet, connect) -> None:
    """AP_Mission keeps no autocontinue, no frame for items without a position, packed params."""
    gcs = connect(make_fleet().urls[0], streams=False)
    lat, lon = geo.offset(-35.363261, 149.165230, 50, 0)
    items = [
        home_item(-35.363261, 149.165230, 584),
        (M.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT, M.MAV_CMD_NAV_TAKEOFF, 0, 0, 0, 0, 0, 0, 20.004),
        (M.MAV_FRAME_MISSION, M.MAV_CMD_DO_CHANGE_SPEED, 1, 10.5, -1, 7, 0, 0, 0),
        (6, M.MAV_CMD_NAV_LOITER_TIME, 20.7, 3, 0, 0, round(lat * 1e7), round(lon * 1e7), 60),
        (6, M.MAV_CMD_NAV_WAYPOINT, 2.5, 4, 5, 6, round(lat * 1e7), round(lon * 1e7), 60),
        (3, M.MAV_CMD_NAV_RETURN_TO_LAUNCH, 0, 0, 0, 0, 0, 0, 0),
    ]
    assert gcs.upload(items) == M.MAV_MISSION_ACCEPTED
    back = gcs.download()
    assert all(it.autocontinue == 1 for it in back[1:])
    takeoff, speed, loiter, wp, rtl = back[1:]
    assert takeoff.frame == M.MAV_FRAME_GLOBAL_RELATIVE_ALT
    assert takeoff.z == pytest.approx(20.0)  # kept in whole centimetres
    assert (speed.frame, speed.param1, speed.param2, speed.param3, speed.param4) == (
        0,
        1,
        10.5,
        -1,
        0,
    )
    assert (loiter.param1, loiter.param3) == (20, 1)  # whole seconds; +1: clockwise
    assert (wp.param1, wp.param2, wp.param3, wp.param4) == (2, 0, 0, 0)  # only the delay
    assert (rtl.frame, rtl.x, rtl.y, rtl.z) == (0, 0, 0, 0)


def test_guided_go_here_by_mission_item_current_2(make_fleet, connect) -> None:
    """GCS_MAVLINK::handle_mission_item: current=2 goes to ModeAuto::do_guided, not to storage.

    ACCEPTED and flown in GUIDED; MISSION_ERROR in any other mode; the stored
    mission is untouched either way.
    """
    gcs = connect(make_fleet(speedup=20).urls[0])
    gcs.wait_ready(timeout=30)
    lat, lon = geo.offset(-35.363261, 149.165230, 60, 0)

    def go_here() -> int:
        gcs.send(
            gcs.conn.mav.mission_item_send, 1, 1, 0, M.MAV_FRAME_GLOBAL_RELATIVE_ALT,
            M.MAV_CMD_NAV_WAYPOINT, 2, 0, 0, 0, 0, 0, lat, lon, 15,
        )  # fmt: skip
        return gcs.wait("MISSION_ACK", timeout=5).type

    gcs.set_mode("LOITER")
    assert go_here() == M.MAV_MISSION_ERROR
    gcs.set_mode("GUIDED")
    gcs.arm()
    gcs.takeoff(10)
    assert go_here() == M.MAV_MISSION_ACCEPTED
    gcs.wait(
        "GLOBAL_POSITION_INT",
        lambda m: geo.distance_m(m.lat / 1e7, m.lon / 1e7, lat, lon) < 2,
        30,
        "at the guided destination",
    )
    assert len(gcs.download()) == 1  # home only: nothing was stored
    # a float MISSION_ITEM outside an upload is an error, after ArduPilot's warning
    gcs.send(
        gcs.conn.mav.mission_item_send, 1, 1, 0, 3, 16, 0, 1, 0, 0, 0, 0, lat, lon, 15,
    )  # fmt: skip
    assert gcs.wait("MISSION_ACK", timeout=5).type == M.MAV_MISSION_ERROR
    gcs.wait_text("got MISSION_ITEM; GCS should send MISSION_ITEM_INT", timeout=5)
