"""Fuzzed input, MAVLink 2 signing and the .tlog: the link stays correct and honest."""

from __future__ import annotations

import random
import struct
import time

import pytest
from pymavlink import mavutil
from pymavlink.dialects.v20 import ardupilotmega as mavlink

from dronepatrol.events import EventKind
from dronepatrol.mavlink import Link, LinkDownError
from dronepatrol.mavlink.link import signing_secret
from link.mavpeer import ScriptedCopter


def frame(msg, sysid: int = 1, compid: int = 1) -> bytes:
    class Sink:
        data = b""

        def write(self, b):
            Sink.data += bytes(b)

    mav = mavlink.MAVLink(Sink(), srcSystem=sysid, srcComponent=compid)
    mav.send(msg)
    return Sink.data


def unknown_id_frame(msgid: int, payload: bytes, sysid: int = 1) -> bytes:
    header = struct.pack(
        "<BBBBBBBHB", 0xFD, len(payload), 0, 0, 7, sysid, 1, msgid & 0xFFFF, msgid >> 16
    )
    return header + payload + b"\x12\x34"


def test_fuzzed_bytes_neither_crash_the_link_nor_corrupt_state(copter, bus):
    link = Link(copter.url, bus).start()
    try:
        vehicle = link.wait_vehicle(timeout_s=5)
        before = vehicle.telemetry.wait_for(
            lambda s: s.position is not None and s.home is not None, 10
        )
        rng = random.Random(20240611)
        wrong_place = mavlink.MAVLink_global_position_int_message(
            0, 123456789, 987654321, 9_999_000, 50_000, 0, 0, 0, 0
        )
        valid = frame(wrong_place)
        for _ in range(60):
            kind = rng.randrange(7)
            if kind == 0:
                burst = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300)))
            elif kind == 1:  # truncated frame
                burst = valid[: rng.randrange(1, len(valid) - 1)]
            elif kind == 2:  # wrong CRC
                burst = valid[:-2] + bytes([valid[-2] ^ 0xFF, valid[-1]])
            elif kind == 3:  # unknown message id
                burst = unknown_id_frame(rng.randrange(50000, 60000), b"\x01" * 9)
            elif kind == 4:  # a stranger system on the link claims a position
                burst = frame(wrong_place, sysid=77)
            elif kind == 5:  # another component of our vehicle's system (not the autopilot)
                burst = frame(wrong_place, sysid=1, compid=99)
            else:  # another ground station's heartbeat
                burst = frame(mavlink.MAVLink_heartbeat_message(6, 8, 0, 0, 4, 3), sysid=200)
            copter.inject(burst + b"\x00" * 300)  # padding lets the parser resynchronise
        time.sleep(1.0)
        assert link.running
        assert link.stats.handler_errors == 0
        assert link.stats.bad_data > 0 and link.stats.unknown_ids > 0 and link.stats.foreign > 0
        assert list(link.vehicles) == [1]
        after = vehicle.telemetry.wait_for(lambda s: s.time_s > before.time_s + 0.5, 5)
        assert after.position.lat_deg == pytest.approx(before.position.lat_deg)
        assert after.position.alt_amsl_m == pytest.approx(before.position.alt_amsl_m)
        vehicle.action.arm()
        assert vehicle.snapshot.armed
    finally:
        link.close()


def test_signed_link_talks_to_a_vehicle_with_the_same_key(bus):
    peer = ScriptedCopter(signing_key=signing_secret("patrol key"))
    peer.start()
    link = Link(peer.url, bus, signing_key="patrol key").start()
    try:
        vehicle = link.wait_vehicle(timeout_s=5)
        vehicle.action.arm()
        signed = [m for m in peer.received if m._type == "COMMAND_LONG"]
        assert signed and all(m._signed for m in signed)
        assert peer.parser.signing.reject_count == 0
    finally:
        link.close()
        peer.stop()


@pytest.mark.parametrize("peer_key", [None, signing_secret("another key")])
def test_signing_rejects_unsigned_and_wrongly_signed_vehicles(bus, peer_key):
    peer = ScriptedCopter(signing_key=peer_key)
    peer.start()
    link = Link(peer.url, bus, signing_key="patrol key").start()
    try:
        with pytest.raises(LinkDownError):
            link.wait_vehicle(timeout_s=2)
        assert link.stats.rejected_signature >= 2
        assert link.stats.messages_in == 0
    finally:
        link.close()
        peer.stop()


def test_tlog_records_every_message_both_ways_append_only(copter, bus, tmp_path):
    path = tmp_path / "sortie.tlog"
    started = time.time()
    media = bus.subscribe(accept=lambda e: e.kind == EventKind.MEDIA)
    link = Link(copter.url, bus, tlog_path=path).start()
    vehicle = link.wait_vehicle(timeout_s=5)
    vehicle.action.arm()
    link.close()
    filed = [
        (e.vehicle_id, e.data["path"], e.data["kind"], e.data["complete"]) for e in media.drain()
    ]
    assert filed == [("1", str(path), "tlog", False), ("1", str(path), "tlog", True)]
    first = path.read_bytes()
    assert first
    log = mavutil.mavlink_connection(str(path))
    seen = []
    while (msg := log.recv_match()) is not None:
        seen.append(msg)
    log.close()
    assert all(started - 1 <= m._timestamp <= time.time() + 1 for m in seen)
    ours = [m for m in seen if m.get_srcSystem() == 255]
    theirs = [m for m in seen if m.get_srcSystem() == 1]
    assert {"HEARTBEAT", "COMMAND_LONG"} <= {m.get_type() for m in ours}
    assert {"HEARTBEAT", "COMMAND_ACK"} <= {m.get_type() for m in theirs}
    assert link.tlog.messages == len(seen)
    link2 = Link(copter.url, bus, tlog_path=path).start()
    link2.wait_vehicle(timeout_s=5)
    link2.close()
    assert path.read_bytes().startswith(first) and path.stat().st_size > len(first)
