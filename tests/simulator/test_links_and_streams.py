"""Streams only when asked, parameters, several clients, link cuts, UDP output, speedup."""

from __future__ import annotations

import socket
import time

import pytest
from flight.flightlib import FlightError
from pymavlink.dialects.v20 import ardupilotmega as M
from support import wait_until

from dronepatrol.sitl.params import PARAM_NAMES

pytestmark = pytest.mark.timeout(60)

# TIMESYNC: ArduPilot asks every link for one each 10 s (GCS_MAVLINK::update_send)
UNASKED_OK = {
    "HEARTBEAT",
    "STATUSTEXT",
    "HOME_POSITION",
    "GPS_GLOBAL_ORIGIN",
    "PARAM_VALUE",
    "TIMESYNC",
}


def _collect(gcs, seconds: float) -> dict[str, int]:
    counts: dict[str, int] = {}
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        msg = gcs.recv(0.1)
        if msg is not None:
            counts[msg.get_type()] = counts.get(msg.get_type(), 0) + 1
    return counts


def test_nothing_is_streamed_until_asked(make_fleet, connect) -> None:
    gcs = connect(make_fleet(speedup=10).urls[0], streams=False)
    counts = _collect(gcs, 1.0)  # 10 s of simulated time, through start-up
    assert set(counts) <= UNASKED_OK, counts
    assert counts["HEARTBEAT"] >= 5
    # SET_MESSAGE_INTERVAL: ATTITUDE at 10 Hz of simulated time (time_boot_ms is simulated)
    assert gcs.set_message_interval(M.MAVLINK_MSG_ID_ATTITUDE, 10) == M.MAV_RESULT_ACCEPTED
    stamps = [gcs.wait("ATTITUDE", timeout=5).time_boot_ms for _ in range(40)]
    rate_hz = (len(stamps) - 1) / ((stamps[-1] - stamps[0]) / 1000)
    assert 9.0 <= rate_hz <= 11.0, rate_hz
    gcs.command(M.MAV_CMD_SET_MESSAGE_INTERVAL, M.MAVLINK_MSG_ID_ATTITUDE, -1)
    _collect(gcs, 0.2)
    assert "ATTITUDE" not in _collect(gcs, 0.5)
    # REQUEST_DATA_STREAM starts a whole group; start_stop=0 stops it
    gcs.send(gcs.conn.mav.request_data_stream_send, 1, 1, M.MAV_DATA_STREAM_POSITION, 2, 1)
    assert _collect(gcs, 0.5).get("GLOBAL_POSITION_INT", 0) >= 5
    gcs.send(gcs.conn.mav.request_data_stream_send, 1, 1, M.MAV_DATA_STREAM_POSITION, 0, 0)
    _collect(gcs, 0.2)
    assert "GLOBAL_POSITION_INT" not in _collect(gcs, 0.5)


def test_request_message_answers_once(make_fleet, connect) -> None:
    gcs = connect(make_fleet().urls[0], streams=False)
    result = gcs.command(M.MAV_CMD_REQUEST_MESSAGE, M.MAVLINK_MSG_ID_AUTOPILOT_VERSION)
    assert result == M.MAV_RESULT_ACCEPTED
    version = gcs.wait("AUTOPILOT_VERSION", timeout=5)
    assert version.capabilities & M.MAV_PROTOCOL_CAPABILITY_MISSION_INT
    assert gcs.command(M.MAV_CMD_REQUEST_MESSAGE, 60000) == M.MAV_RESULT_FAILED


def test_startup_is_realistic_without_fast_start(make_fleet, connect) -> None:
    gcs = connect(make_fleet(speedup=20, fast_start=False).urls[0])
    gps = gcs.wait("GPS_RAW_INT", timeout=10)
    assert gps.fix_type < 3  # no fix in the first seconds
    fix = gcs.wait("GPS_RAW_INT", lambda m: m.fix_type >= 3, timeout=10)
    assert fix.time_usec / 1e6 >= 9.0
    origin = gcs.wait("GPS_GLOBAL_ORIGIN", timeout=10)
    assert origin.time_usec / 1e6 >= 39.0
    gcs.wait_ready(timeout=10)


def test_parameters_list_read_and_set(make_fleet, connect) -> None:
    gcs = connect(make_fleet().urls[0], streams=False)
    gcs.send(gcs.conn.mav.param_request_list_send, 1, 1)
    seen: dict[int, str] = {}
    while len(seen) < len(PARAM_NAMES):
        msg = gcs.wait("PARAM_VALUE", timeout=5)
        assert msg.param_count == len(PARAM_NAMES)
        seen[msg.param_index] = msg.param_id
    for name in (
        "MAV_SYSID",
        "WPNAV_SPEED",
        "RTL_ALT",
        "FENCE_ENABLE",
        "FENCE_ACTION",
        "FENCE_ALT_MAX",
        "FS_GCS_ENABLE",
        "BATT_FS_LOW_ACT",
        "BATT_LOW_VOLT",
        "BATT_CAPACITY",
        "DISARM_DELAY",
        "SIM_GPS_DISABLE",
        "SIM_WIND_SPD",
    ):
        assert name in seen.values()
    assert gcs.get_param("WPNAV_SPEED") == 1000
    gcs.set_param("WPNAV_SPEED", 500)
    assert gcs.get_param("WPNAV_SPEED") == 500
    # integer parameters are stored as their type
    gcs.set_param("FENCE_ENABLE", 1)
    assert gcs.get_param("NO_SUCH_PARAM", timeout=0.5, tries=1) is None


def test_waypoint_speed_parameter_limits_flight(make_fleet, connect) -> None:
    fleet = make_fleet(speedup=20)
    gcs = connect(fleet.urls[0])
    gcs.wait_ready(timeout=30)
    gcs.set_param("WPNAV_SPEED", 300)
    gcs.set_mode("GUIDED")
    gcs.arm()
    gcs.takeoff(10)
    from dronepatrol import geo

    lat, lon = geo.offset(-35.363261, 149.165230, 150, 0)
    gcs.goto(lat, lon, 10)
    fastest = 0.0
    end = time.monotonic() + 3
    while time.monotonic() < end:
        hud = gcs.wait("VFR_HUD", timeout=5)
        fastest = max(fastest, hud.groundspeed)
    assert 2.5 <= fastest <= 3.1


def test_several_clients_share_a_vehicle(make_fleet, connect) -> None:
    url = make_fleet().urls[0]
    a = connect(url, streams=False)
    b = connect(url, source_system=254, streams=False)
    # a command's ACK goes to the client that sent it
    assert a.command(M.MAV_CMD_REQUEST_MESSAGE, M.MAVLINK_MSG_ID_AUTOPILOT_VERSION) == 0
    with pytest.raises(FlightError):
        b.wait("COMMAND_ACK", timeout=0.5)
    # a parameter change is announced to everyone
    a.set_param("RTL_ALT", 2500)
    b.wait("PARAM_VALUE", lambda m: m.param_id == "RTL_ALT" and m.param_value == 2500, 5)


def test_cut_link_drops_traffic_both_ways(make_fleet, connect) -> None:
    fleet = make_fleet()
    gcs = connect(fleet.urls[0], streams=False)
    fleet.cut_link(0)
    gcs.recv(0.3)  # drain what was in flight
    with pytest.raises(FlightError):
        gcs.wait("HEARTBEAT", timeout=1.0)
    gcs.send(gcs.conn.mav.param_set_send, 1, 1, b"RTL_ALT", 3000.0, M.MAV_PARAM_TYPE_INT32)
    fleet.restore_link(0)
    gcs.wait("HEARTBEAT", timeout=5)
    assert gcs.get_param("RTL_ALT") == 1500  # the set sent during the cut never arrived
    assert fleet.snapshot(0)["link_up"] is True


def test_udp_output_reaches_a_ground_station(make_fleet) -> None:
    from pymavlink.dialects.v20 import ardupilotmega as mavlink

    gcs_sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    gcs_sock.bind(("127.0.0.1", 0))
    gcs_sock.settimeout(5)
    port = gcs_sock.getsockname()[1]
    make_fleet(n=2, udp_out=("127.0.0.1", port))
    parser = mavlink.MAVLink(None, 255, 190)
    senders = {}

    def systems_heard() -> set[int]:
        data, addr = gcs_sock.recvfrom(65536)
        for msg in parser.parse_buffer(data) or []:
            if msg.get_type() == "HEARTBEAT":
                senders[msg.get_srcSystem()] = addr
        return set(senders)

    heard = wait_until(
        systems_heard, 5, "both vehicles' heartbeats", accept=lambda s: len(s) == 2, every_s=0
    )
    assert heard == {1, 2}
    # answers go back to the sending vehicle
    req = parser.command_long_encode(2, 1, M.MAV_CMD_REQUEST_MESSAGE, 0, 148, 0, 0, 0, 0, 0, 0)
    gcs_sock.sendto(req.pack(parser), senders[2])

    def ack_from_2():
        data, _ = gcs_sock.recvfrom(65536)
        acks = [m for m in parser.parse_buffer(data) or [] if m.get_type() == "COMMAND_ACK"]
        return next((m for m in acks if m.get_srcSystem() == 2), None)

    got = wait_until(ack_from_2, 5, "vehicle 2's COMMAND_ACK", every_s=0)
    gcs_sock.close()
    assert got.result == M.MAV_RESULT_ACCEPTED


def test_speedup_scales_simulated_time(make_fleet, connect) -> None:
    gcs = connect(make_fleet(speedup=5).urls[0], streams=False)
    gcs.set_message_interval(M.MAVLINK_MSG_ID_SYSTEM_TIME, 2)
    first = gcs.wait("SYSTEM_TIME", timeout=5)
    start = time.monotonic()
    hb = 0
    while time.monotonic() - start < 2.0:
        msg = gcs.recv(0.1)
        hb += msg is not None and msg.get_type() == "HEARTBEAT"
    last = gcs.wait("SYSTEM_TIME", timeout=5)
    ratio = (last.time_boot_ms - first.time_boot_ms) / 1000 / (time.monotonic() - start)
    # 5x when the machine keeps up; a loaded machine slows the simulation, never speeds it
    assert 2.5 <= ratio <= 5.5, ratio
    assert hb >= 4  # heartbeats at 1 Hz of simulated time


def test_fleet_ports_and_system_ids(make_fleet) -> None:
    from pymavlink import mavutil

    fleet = make_fleet(n=3)
    assert len(set(fleet.ports)) == 3
    for i, url in enumerate(fleet.urls):
        conn = mavutil.mavlink_connection(url, source_system=255)
        hb = conn.wait_heartbeat(timeout=5)
        assert hb.get_srcSystem() == i + 1 and hb.get_srcComponent() == 1
        assert hb.type == M.MAV_TYPE_QUADROTOR and hb.autopilot == M.MAV_AUTOPILOT_ARDUPILOTMEGA
        conn.close()


def test_reboot_keeps_parameters_and_missions(make_fleet, connect) -> None:
    from flight.flightlib import home_item, takeoff_item

    gcs = connect(make_fleet().urls[0])
    gcs.wait_ready(timeout=30)
    gcs.set_param("RTL_ALT", 3000)
    items = [home_item(-35.363261, 149.165230, 584), takeoff_item(12)]
    assert gcs.upload(items) == M.MAV_MISSION_ACCEPTED
    assert gcs.set_message_interval(M.MAVLINK_MSG_ID_ATTITUDE, 5) == M.MAV_RESULT_ACCEPTED
    assert gcs.command(M.MAV_CMD_GET_MESSAGE_INTERVAL, M.MAVLINK_MSG_ID_ATTITUDE) == 0
    assert gcs.wait("MESSAGE_INTERVAL", timeout=5).interval_us == 200_000
    assert gcs.command(M.MAV_CMD_PREFLIGHT_REBOOT_SHUTDOWN, 1) == M.MAV_RESULT_ACCEPTED
    gcs.wait_text(r"ArduCopter V", timeout=10)
    gcs.wait("GPS_GLOBAL_ORIGIN", timeout=20)  # the EKF starts again
    assert gcs.get_param("RTL_ALT") == 3000
    assert [m.command for m in gcs.download()[1:]] == [M.MAV_CMD_NAV_TAKEOFF]
    # streams were forgotten: only asked-for messages again
    gcs.drain(0.3)
    with pytest.raises(FlightError):
        gcs.wait("ATTITUDE", timeout=0.5)


def test_set_mode_message_is_acknowledged_as_command_11(make_fleet, connect) -> None:
    gcs = connect(make_fleet().urls[0], streams=False)
    gcs.send(gcs.conn.mav.set_mode_send, 1, M.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED, 4)
    ack = gcs.wait("COMMAND_ACK", lambda m: m.command == M.MAVLINK_MSG_ID_SET_MODE, timeout=5)
    assert ack.result == M.MAV_RESULT_ACCEPTED
    gcs.wait_mode("GUIDED", timeout=5)
    gcs.send(gcs.conn.mav.set_mode_send, 1, M.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED, 99)
    ack = gcs.wait("COMMAND_ACK", lambda m: m.command == M.MAVLINK_MSG_ID_SET_MODE, timeout=5)
    assert ack.result == M.MAV_RESULT_FAILED


def test_messages_for_other_systems_or_components_are_ignored(make_fleet, connect) -> None:
    gcs = connect(make_fleet().urls[0], streams=False)
    for target_system, target_component in ((7, 1), (1, 100)):
        gcs.send(
            gcs.conn.mav.command_long_send,
            target_system,
            target_component,
            M.MAV_CMD_REQUEST_MESSAGE,
            0,
            148,
            0,
            0,
            0,
            0,
            0,
            0,
        )
    with pytest.raises(FlightError):
        gcs.wait("COMMAND_ACK", timeout=0.5)
    assert gcs.command(M.MAV_CMD_REQUEST_MESSAGE, 148) == M.MAV_RESULT_ACCEPTED


def test_setup_signing_signs_everything_sent(make_fleet, connect) -> None:
    from pymavlink import mavutil

    url = make_fleet().urls[0]
    gcs = connect(url, streams=False)
    key = bytes(range(1, 33))
    gcs.send(gcs.conn.mav.setup_signing_send, 1, 1, list(key), 0)
    gcs.drain(0.3)
    # a ground station holding the key, refusing anything unsigned, hears the vehicle
    signed = mavutil.mavlink_connection(url, source_system=250)
    signed.setup_signing(key, sign_outgoing=True, allow_unsigned_callback=lambda *_: False)
    hb = signed.recv_match(type="HEARTBEAT", blocking=True, timeout=5)
    assert hb is not None and hb._signed
    assert signed.mav.signing.goodsig_count > 0 and signed.mav.signing.badsig_count == 0
    # and a wrong key sees only bad signatures
    wrong = mavutil.mavlink_connection(url, source_system=249)
    wrong.setup_signing(bytes(32 * [7]), allow_unsigned_callback=lambda *_: False)
    assert wrong.recv_match(type="HEARTBEAT", blocking=True, timeout=1.5) is None
    assert wrong.mav.signing.badsig_count > 0
    # a zero key turns signing off again
    gcs.send(gcs.conn.mav.setup_signing_send, 1, 1, [0] * 32, 0)
    gcs.drain(0.3)
    hb = gcs.wait("HEARTBEAT", timeout=5)
    assert not hb._signed
    for conn in (signed, wrong):
        conn.close()
