"""The link against a scripted ArduCopter peer: connect, commands, parameters, events.

Real TCP sockets and real MAVLink 2 bytes on both sides; the peer answers the
way ArduCopter does and misbehaves on request (lost acks, refusals).
"""

from __future__ import annotations

import time

import pytest
from pymavlink.dialects.v20 import ardupilotmega as mavlink
from support import wait_event, wait_events, wait_until

from dronepatrol.events import EventBus, EventKind
from dronepatrol.mavlink import (
    CommandError,
    CommandTimeout,
    Fleet,
    Link,
    LinkUrl,
    LinkUrlError,
    ParamError,
    UnknownVehicleError,
)
from dronepatrol.mavlink.operations import why_not
from dronepatrol.sitl.proxy import LinkProxy
from dronepatrol.state import LinkState
from link.mavpeer import ScriptedCopter


@pytest.fixture
def link(copter: ScriptedCopter, bus: EventBus):
    link = Link(copter.url, bus).start()
    yield link
    link.close()


def test_link_urls_parse_and_bad_ones_say_the_form():
    assert LinkUrl.parse("udpin:0.0.0.0:14550") == LinkUrl("udpin", "0.0.0.0", 14550)
    assert LinkUrl.parse("serial:/dev/ttyUSB0:57600").host == "/dev/ttyUSB0"
    for bad in ("tcp:127.0.0.1", "http://x:1", "tcp:host:0", "udpout:h:port"):
        with pytest.raises(LinkUrlError, match=r"tcp:HOST:PORT|out of range|not a number"):
            LinkUrl.parse(bad)


def test_connect_identifies_vehicle_asks_for_telemetry_reads_params(copter, link):
    vehicle = link.wait_vehicle(timeout_s=5)
    snap = vehicle.telemetry.wait_for(
        lambda s: s.position is not None and s.home is not None, 10, "telemetry"
    )
    assert (snap.autopilot, snap.vehicle_type, snap.sysid) == ("ARDUPILOTMEGA", "QUADROTOR", 1)
    assert snap.battery.voltage_v == pytest.approx(12.6)
    assert snap.position.lat_deg == pytest.approx(-35.363261)
    intervals = {
        int(m.param1) for m in copter.received if m._type == "COMMAND_LONG" and m.command == 511
    }
    assert mavlink.MAVLINK_MSG_ID_GLOBAL_POSITION_INT in intervals
    assert mavlink.MAVLINK_MSG_ID_EXTENDED_SYS_STATE in intervals
    wait_until(lambda: "DISARM_DELAY" in vehicle.params.heard(), 10, "parameters")
    assert vehicle.params.heard()["RTL_ALT"] == 1500.0


def test_gcs_heartbeat_is_sent_at_one_hertz(copter, link):
    link.wait_vehicle(timeout_s=5)
    start = len([m for m in copter.received if m._type == "HEARTBEAT"])
    beats = wait_until(
        lambda: [m for m in copter.received if m._type == "HEARTBEAT"][start:],
        10,
        "four GCS heartbeats",
        accept=lambda beats: len(beats) >= 4,
    )[:4]
    span_s = beats[-1].received_at - beats[0].received_at
    assert 2.4 <= span_s <= 3.6, f"3 heartbeat intervals took {span_s:.2f} s, not about 3 s"
    assert all(m.type == mavlink.MAV_TYPE_GCS and m.get_srcSystem() == 255 for m in beats)


def test_falls_back_to_request_data_stream_when_intervals_are_refused(bus):
    peer = ScriptedCopter()
    peer.support_interval = False
    peer.start()
    link = Link(peer.url, bus).start()
    try:
        link.wait_vehicle(timeout_s=5)
        wait_until(
            lambda: any(m._type == "REQUEST_DATA_STREAM" for m in peer.received),
            10,
            "REQUEST_DATA_STREAM",
        )
    finally:
        link.close()
        peer.stop()


def test_arm_refusal_carries_result_and_the_autopilots_reason(bus):
    peer = ScriptedCopter(ekf_ready=False)
    peer.start()
    sub = bus.subscribe()
    link = Link(peer.url, bus).start()
    try:
        vehicle = link.wait_vehicle(timeout_s=5)
        with pytest.raises(CommandError) as refused:
            vehicle.action.arm(source="operator alice")
        assert refused.value.result == 4 and refused.value.result_name == "FAILED"
        assert refused.value.reason == "Arm: Need Position Estimate"
        result = wait_event(
            sub,
            5,
            "the arm command's result",
            lambda e: e.kind == EventKind.COMMAND_RESULT and e.data["command"] == 400,
        )
        assert result.data["ok"] is False
        assert result.data["source"] == "operator alice"
        assert result.data["reason"] == "Arm: Need Position Estimate"
        peer.ekf_ready = True
        vehicle.action.arm()
        assert vehicle.snapshot.armed
    finally:
        link.close()
        peer.stop()


def test_lost_acks_are_retried_with_confirmation_incremented(copter, link):
    vehicle = link.wait_vehicle(timeout_s=5)
    copter.drop_acks[400] = 2
    vehicle.action.arm()
    confirmations = [c for cmd, c in copter.confirmations if cmd == 400]
    assert confirmations == [0, 1, 2]


def test_no_ack_at_all_is_a_timeout_error(copter, link):
    vehicle = link.wait_vehicle(timeout_s=5)
    copter.drop_acks[178] = 99
    handle = vehicle.commands.submit(178, 1, 5, -1, ack_timeout_s=0.1, retries=3)
    with pytest.raises(CommandTimeout, match="no COMMAND_ACK"):
        handle.result(10)
    assert [c for cmd, c in copter.confirmations if cmd == 178] == [0, 1, 2, 3]


def test_denied_command_is_typed(copter, link):
    vehicle = link.wait_vehicle(timeout_s=5)
    copter.command_results[20] = 2
    with pytest.raises(CommandError) as denied:
        vehicle.commands.run(20)
    assert denied.value.result_name == "DENIED"


def test_submit_returns_at_once_and_the_result_arrives_as_an_event(copter, link, bus):
    vehicle = link.wait_vehicle(timeout_s=5)
    sub = bus.subscribe()
    copter.drop_acks[176] = 1  # the answer needs a retry: 1.5 s away
    started = time.monotonic()
    handle = vehicle.action.submit_set_mode("GUIDED", source="web:bob")
    assert time.monotonic() - started < 0.05
    sent = wait_event(
        sub,
        5,
        "DO_SET_MODE sent",
        lambda e: e.kind == EventKind.COMMAND_SENT and e.data["command_id"] == handle.command_id,
    )
    assert sent.data["name"] == "DO_SET_MODE"
    result = wait_event(
        sub,
        10,
        "DO_SET_MODE's result",
        lambda e: e.kind == EventKind.COMMAND_RESULT and e.data["command_id"] == handle.command_id,
    )
    assert result.data["ok"] and result.data["attempts"] == 2
    assert result.data["source"] == "web:bob"
    vehicle.telemetry.wait_for(lambda s: s.mode == "GUIDED", 5, "GUIDED")


def test_param_set_is_confirmed_by_the_vehicles_echo(copter, link):
    vehicle = link.wait_vehicle(timeout_s=5)
    assert vehicle.params.set("RTL_ALT", 2500) == 2500
    assert copter.params["RTL_ALT"] == 2500


def test_refused_param_value_is_a_typed_error(copter, link):
    vehicle = link.wait_vehicle(timeout_s=5)
    copter.refuse_params.add("FENCE_ALT_MAX")
    with pytest.raises(ParamError, match="kept 100, refused 5000"):
        vehicle.params.set("FENCE_ALT_MAX", 5000)
    with pytest.raises(ParamError, match="no answer"):
        vehicle.params.read("NO_SUCH_PARAM")


def test_heartbeat_silence_is_link_lost_within_3s_and_comes_back(copter, link, bus):
    vehicle = link.wait_vehicle(timeout_s=5)
    vehicle.telemetry.wait_for(lambda s: s.link is LinkState.UP, 5)
    sub = bus.subscribe()
    copter.heartbeats = False
    silenced = time.monotonic()
    lost = wait_event(sub, 5, "LINK_LOST", lambda e: e.kind == EventKind.LINK_LOST)
    assert time.monotonic() - silenced <= 3.0
    assert lost.data["silent_s"] <= 3.0
    assert vehicle.snapshot.link is LinkState.LOST
    copter.heartbeats = True
    wait_event(sub, 5, "LINK_RESTORED", lambda e: e.kind == EventKind.LINK_RESTORED)
    vehicle.telemetry.wait_for(lambda s: s.link is LinkState.UP, 5, "link up")
    vehicle.action.arm()  # commands work again without any operator action


def test_dropped_tcp_connection_reconnects_by_itself(copter, link):
    vehicle = link.wait_vehicle(timeout_s=5)
    copter.drop_clients()
    wait_until(lambda: link.stats.reconnects, 5, "a reconnect", accept=lambda n: n >= 1)
    wait_until(lambda: copter.clients, 5, "client back")
    vehicle.action.arm()
    assert vehicle.snapshot.armed


def test_several_vehicles_on_one_link_by_system_id(copter, link):
    link.wait_vehicle(1, timeout_s=5)
    copter.send(mavlink.MAVLink_heartbeat_message(2, 3, 0x81, 5, 4, 3), src=(2, 1))
    second = link.wait_vehicle(2, timeout_s=5)
    second.telemetry.wait_for(lambda s: s.mode == "LOITER" and s.armed, 5, "second vehicle state")
    assert link.vehicles[1].snapshot.mode == "STABILIZE"


def test_fleet_adds_names_commands_and_removes_vehicles(bus):
    peers = [ScriptedCopter(sysid=i + 1) for i in range(2)]
    for p in peers:
        p.start()
    sub = bus.subscribe()
    fleet = Fleet(bus)
    try:
        fleet.add(peers[0].url, sysid=1, name="station-north", wait_s=5)
        fleet.add(peers[1].url, wait_s=5)
        assert sorted(fleet.vehicles()) == ["2", "station-north"]
        assert [s.vehicle_id for s in fleet.snapshots()] == ["2", "station-north"]
        fleet.run("station-north", "set_mode", "GUIDED")
        assert peers[0].custom_mode == 4 and peers[1].custom_mode == 0
        future = fleet.submit("2", "arm")
        future.result(10)
        assert peers[1].armed
        wait_event(
            sub, 5, "vehicle 2 ARMED", lambda e: e.kind == EventKind.ARMED and e.vehicle_id == "2"
        )
        with pytest.raises(UnknownVehicleError):
            fleet.submit("nope", "rtl")
        fleet.remove("2")
        assert sorted(fleet.vehicles()) == ["station-north"]
    finally:
        fleet.close()
        for p in peers:
            p.stop()


def test_statustext_failsafe_becomes_a_failsafe_event(copter, link, bus):
    link.wait_vehicle(timeout_s=5)
    sub = bus.subscribe()
    copter.statustext("GCS Failsafe", severity=2)
    event = wait_event(sub, 5, "a FAILSAFE event", lambda e: e.kind == EventKind.FAILSAFE)
    assert event.data["failsafe"] == "gcs" and event.data["text"] == "GCS Failsafe"


def test_telemetry_events_are_steady_track_samples(copter, link, bus):
    vehicle = link.wait_vehicle(timeout_s=5)
    vehicle.telemetry.wait_for(lambda s: s.position is not None, 5)
    sub = bus.subscribe()
    samples = wait_events(sub, 6, 5, "telemetry samples", lambda e: e.kind == EventKind.TELEMETRY)
    span = samples[-1].time_s - samples[0].time_s
    assert 5 / span >= 2.0  # at least 2 Hz
    data = samples[-1].data
    for key in (
        "lat_deg",
        "lon_deg",
        "alt_rel_m",
        "battery_pct",
        "battery_v",
        "mode",
        "armed",
        "time_s",
    ):
        assert key in data


def test_orbit_is_sent_as_do_orbit_command_int_with_the_centre_in_dege7(copter, link):
    vehicle = link.wait_vehicle(timeout_s=5)
    vehicle.action.orbit(-35.3601234, 149.1702345, radius_m=40, alt_rel_m=30, speed_mps=4)
    sent = [m for m in copter.received if m._type == "COMMAND_INT" and m.command == 34]
    assert len(sent) == 1
    orbit = sent[0]
    assert (orbit.x, orbit.y, orbit.z) == (-353601234, 1491702345, 30)
    assert (orbit.param1, orbit.param2, orbit.frame) == (40, 4, 6)


def test_goto_is_a_guided_reposition_in_relative_altitude(copter, link):
    vehicle = link.wait_vehicle(timeout_s=5)
    vehicle.action.goto(-35.36, 149.17, 25)
    assert copter.custom_mode == 4  # GUIDED first
    reposition = [m for m in copter.received if m._type == "COMMAND_INT" and m.command == 192]
    assert reposition and reposition[0].frame == 6 and reposition[0].z == 25
    assert int(reposition[0].param2) & 1  # MAV_DO_REPOSITION_FLAGS_CHANGE_MODE


def test_a_silent_tcp_connection_is_reopened(copter, bus):
    _scheme, host, port = copter.url.split(":")
    relay = LinkProxy(host, int(port)).start()
    link = Link(relay.url, bus, silence_reconnect_s=1.0).start()
    try:
        vehicle = link.wait_vehicle(timeout_s=5)
        relay.cut()  # half-open: the connection stays up, nothing arrives
        wait_until(
            lambda: link.stats.reconnects, 5, "a reconnect after silence", accept=lambda n: n >= 1
        )
        relay.restore()
        vehicle.telemetry.wait_for(lambda s: s.link is LinkState.UP, 10, "link up again")
        vehicle.action.arm()
        assert copter.armed
    finally:
        link.close()
        relay.stop()


def test_why_not_explains_what_a_vehicle_cannot_do_now(bus):
    peer = ScriptedCopter(ekf_ready=False)
    peer.start()
    link = Link(peer.url, bus).start()
    try:
        vehicle = link.wait_vehicle(timeout_s=5)
        vehicle.telemetry.wait_for(lambda s: s.position is not None, 5)
        assert "EKF" in why_not(vehicle, "takeoff")
        assert why_not(vehicle, "goto") == "not flying: take off first"
        assert "not armed" in why_not(vehicle, "start_mission")
        assert why_not(vehicle, "set_mode") is None
        peer.heartbeats = False
        vehicle.telemetry.wait_for(lambda s: s.link is LinkState.LOST, 5)
        assert why_not(vehicle, "rtl") == "link is lost: wait until it is back"
    finally:
        link.close()
        peer.stop()


def test_submitted_operations_report_their_outcome_as_events(bus):
    peer = ScriptedCopter(ekf_ready=False)
    peer.start()
    fleet = Fleet(bus)
    sub = bus.subscribe()
    try:
        fleet.add(peer.url, wait_s=5)
        ok = fleet.submit("1", "set_mode", "GUIDED", source="web:carol")
        refused = fleet.submit("1", "arm", source="web:carol")
        with pytest.raises(ValueError, match="no flight operation"):
            fleet.submit("1", "_recover")
        ok.result(10)
        with pytest.raises(CommandError):
            refused.result(10)
        results = wait_events(
            sub,
            2,
            5,
            "both operations' results",
            lambda e: e.kind == EventKind.COMMAND_RESULT and e.data.get("operation"),
        )
        done = {e.data["command_id"]: e.data for e in results}
        assert done[ok.command_id]["ok"] and done[ok.command_id]["result"] == "DONE"
        assert done[refused.command_id]["ok"] is False
        assert "Need Position Estimate" in done[refused.command_id]["reason"]
        assert done[refused.command_id]["source"] == "web:carol"
    finally:
        fleet.close()
        peer.stop()
