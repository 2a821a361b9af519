"""A link's forward: another ground station shares the vehicle, and what it asks is audited.

The vehicle is the scripted ArduCopter peer (real TCP and MAVLink bytes);
the other ground station is plain pymavlink on UDP, as MAVProxy or a script
would be. The DroneKit flight test (tests/flight/test_shared_link.py) flies
the same path against the simulator and real SITL.
"""

from __future__ import annotations

import socket

import pytest
from pymavlink import mavutil
from support import heartbeat_answer, wait_events

from dronepatrol.events import EventKind
from dronepatrol.mavlink import Fleet, Link, forward
from link.mavpeer import ScriptedCopter

pytestmark = pytest.mark.timeout(60)


def _udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def shared(copter, bus, monkeypatch):
    """(link, client, endpoint): the copter's link shared on a udpin endpoint, a client on it."""
    monkeypatch.setattr(forward, "EXTERNAL_ANSWER_TIMEOUT_S", 0.5)
    endpoint = f"udpin:127.0.0.1:{_udp_port()}"
    link = Link(copter.url, bus, forwards=[endpoint]).start()
    link.wait_vehicle(timeout_s=5)
    client = mavutil.mavlink_connection(
        endpoint.replace("udpin", "udpout"), source_system=250, source_component=0
    )
    heard = heartbeat_answer(client, 10, "the vehicle's HEARTBEAT on the shared endpoint")
    assert heard.get_srcSystem() == copter.sysid
    yield link, client, endpoint
    client.close()
    link.close()


def _results(events, count: int, timeout_s: float = 10.0) -> dict[str, dict]:
    """The next ``count`` external COMMAND_RESULTs, by name."""
    found = wait_events(
        events,
        count,
        timeout_s,
        "external command results",
        lambda e: e.kind == EventKind.COMMAND_RESULT and e.data.get("external"),
    )
    return {event.data["name"]: dict(event.data) for event in found}


def test_what_another_ground_station_asks_reaches_the_vehicle_and_is_audited(
    copter, bus, shared
) -> None:
    link, client, endpoint = shared
    events = bus.subscribe()
    copter.refuse_params.add("FENCE_ENABLE")
    copter.drop_acks[183] = 99  # DO_SET_SERVO: the vehicle never answers
    client.mav.param_set_send(1, 1, b"RTL_ALT", 2000, 9)
    client.mav.param_set_send(1, 1, b"FENCE_ENABLE", 0, 9)
    client.mav.command_long_send(1, 1, 176, 0, 1, 6, 0, 0, 0, 0, 0)  # DO_SET_MODE RTL
    client.mav.command_long_send(1, 1, 183, 0, 9, 1500, 0, 0, 0, 0, 0)
    # the vehicle's answers go back to the station that asked
    ack = client.recv_match(
        type="COMMAND_ACK", condition="COMMAND_ACK.command==176", blocking=True, timeout=5
    )
    assert ack is not None and (ack.target_system, ack.target_component) == (250, 0)
    client.mav.mission_count_send(1, 1, 1, 0)
    request = client.recv_match(type=["MISSION_REQUEST", "MISSION_REQUEST_INT"], blocking=True)
    assert request is not None and request.target_system == 250
    client.mav.mission_item_int_send(1, 1, 0, 3, 16, 1, 1, 0, 0, 0, 0, -353632610, 1491652300, 20)

    results = _results(events, 5)
    assert {name: r["result"] for name, r in results.items()} == {
        "PARAM_SET RTL_ALT": "ACCEPTED",
        "PARAM_SET FENCE_ENABLE": "DENIED",
        "DO_SET_MODE": "ACCEPTED",
        "DO_SET_SERVO": "TIMEOUT",
        "MISSION_UPLOAD": "ACCEPTED",
    }
    assert all(r["source"] == f"external {endpoint}" for r in results.values())
    # the vehicle did as the other station asked
    assert copter.params["RTL_ALT"] == 2000 and copter.custom_mode == 6
    assert len(copter.lists[0]) == 1
    assert link.stats.forwarded_in >= 6


def test_a_busy_port_is_refused_at_once(copter, bus) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        with pytest.raises(OSError):
            Link(copter.url, bus, forwards=[f"udpin:127.0.0.1:{port}"])


def test_a_fleet_gives_each_vehicle_link_its_own_port(bus) -> None:
    """`serve --mavlink-out udpin:HOST:P`: the k-th link added forwards on P + k."""
    peers = [ScriptedCopter(sysid=i + 1) for i in range(2)]
    base = _udp_port()
    fleet = Fleet(bus, mavlink_out=[f"udpin:127.0.0.1:{base}"])
    try:
        for peer in peers:
            peer.start()
            fleet.add(peer.url, wait_s=5)
        for k, peer in enumerate(peers):
            client = mavutil.mavlink_connection(f"udpout:127.0.0.1:{base + k}")
            try:
                heard = heartbeat_answer(client, 10, f"vehicle {peer.sysid}'s HEARTBEAT")
                assert heard.get_srcSystem() == peer.sysid
            finally:
                client.close()
    finally:
        fleet.close()
        for peer in peers:
            peer.stop()
