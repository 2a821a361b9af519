"""Differential check: what a vehicle said in a scripted conversation, summed up and compared.

A conversation is recorded as a tlog (MAVProxy's format: per message an
8-byte big-endian timestamp [us since the epoch], then the raw packet;
system 255 the ground station, system 1 the vehicle). :func:`summarize`
reduces it to what must agree between real ArduCopter SITL and the
simulator for the same script:

* ``types``: every message type the vehicle sent;
* ``rates_hz``: how often each streamed type came, per simulated second
  (counted against the vehicle's 1 Hz HEARTBEAT, so the speed-up of the run
  drops out);
* ``command_acks``: [command, result] of each COMMAND_ACK, in order
  (repeats of the same answer in a row collapsed: clients retry);
* ``mission_acks``: [mission_type, result] of each MISSION_ACK, in order;
* ``modes``: the (mode, armed) sequence of the vehicle's heartbeats;
* ``readbacks``: the last read-back of each stored item (frame, command,
  autocontinue, params, position);
* ``texts``: the STATUSTEXTs, in first-seen order.

:func:`compare` lists the differences; :data:`NOT_MODELLED` names, with the
reason, what SITL says that the simulator deliberately does not (sensor
drivers, SITL's physics), so everything else must match.
"""

from __future__ import annotations

import re
import struct
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pymavlink import mavutil
from pymavlink.dialects.v20 import ardupilotmega as mavlink

GCS_SYSID = 255
VEHICLE_SYSID = 1

NOT_MODELLED_TYPES = {
    # SITL's own state and second/third sensors: no counterpart in a kinematic model
    "SIMSTATE": "SITL's physics state",
    "AHRS2": "second attitude estimate (DCM beside EKF3)",
    "SCALED_IMU": "IMU driver readings",
    "SCALED_IMU2": "second IMU",
    "SCALED_IMU3": "third IMU",
    "SCALED_PRESSURE2": "second barometer",
    "VIBRATION": "IMU vibration levels",
    "ESC_TELEMETRY_1_TO_4": "simulated ESC telemetry",
    "MCU_STATUS": "SITL's MCU temperature and voltage",
    "RC_CHANNELS_RAW": "RC input driver (MAVLink 1 form)",
    "TERRAIN_REQUEST": "terrain database: the simulator has flat ground",
    "TERRAIN_REPORT": "terrain database: the simulator has flat ground",
    "UNKNOWN_11030": "ESC telemetry packet a MAVLink 1 reader cannot decode",
    "MAG_CAL_REPORT": "compass calibration",
    "HWSTATUS": "board voltages",
    "PID_TUNING": "attitude controller internals",
    "BAD_DATA": "bytes the reader could not decode",
}
"""Message types real SITL sends that the simulator does not, and why."""

NOT_MODELLED_TEXTS = (
    "RCInput:",
    "Calibrating barometer",
    "Barometer ",
    "GPS 1: probing",
    "EKF3 IMU1 ",  # the second EKF core; the simulator reports one
    "SIM Hit ground",
    "RC7: ",
    "AHRS: ",
    "ArduPilot Ready",
    "Field Elevation Set",
    "EKF3 IMU0 MAG0 in-flight yaw alignment complete",  # the yaw learnt from flying
)
"""STATUSTEXT starts from sensor drivers and SITL's physics the simulator does not model."""
_SYSTEM_ID_TEXT = re.compile(r"^[0-9A-Za-z]{32}$")  # SITL banner line: a hash of the host

EVENT_TYPES = {
    "STATUSTEXT",
    "PARAM_VALUE",
    "TIMESYNC",
    "COMMAND_ACK",
    "MISSION_ACK",
    "MISSION_COUNT",
    "MISSION_ITEM",
    "MISSION_ITEM_INT",
    "MISSION_REQUEST",
    "MISSION_ITEM_REACHED",
    "HOME_POSITION",
    "GPS_GLOBAL_ORIGIN",
    "AUTOPILOT_VERSION",
    "TERRAIN_REQUEST",
}
"""Types sent in answer to something, not streamed: no rate to compare."""
RATE_TOLERANCE = 0.35
"""Relative difference allowed between stream rates [-] (SITL's scheduler jitters)."""
ALT_TOLERANCE_M = 0.2
"""Read-back altitudes may differ this much [m] (home is SITL's barometric ground)."""


def _mode_name(custom_mode: int) -> str:
    return mavutil.mode_mapping_acm.get(custom_mode, str(custom_mode))


def read_tlog(path: Path) -> list[tuple[float, Any]]:
    """(timestamp [s], message) of every packet in a tlog, in order."""
    conn = mavutil.mavlink_connection(str(path), dialect="ardupilotmega")
    out = []
    try:
        while (msg := conn.recv_match()) is not None:
            out.append((msg._timestamp, msg))
    finally:
        conn.close()
    return out


def _texts_kept(text: str) -> bool:
    return not text.startswith(NOT_MODELLED_TEXTS) and not _SYSTEM_ID_TEXT.match(text)


def _collapse(items: Iterable[Any]) -> list[Any]:
    out: list[Any] = []
    for item in items:
        if not out or out[-1] != item:
            out.append(item)
    return out


def _readback(msg: Any) -> dict[str, Any]:
    if msg.get_type() == "MISSION_ITEM":
        x, y = round(msg.x * 1e7), round(msg.y * 1e7)
    else:
        x, y = msg.x, msg.y
    return {
        "frame": msg.frame,
        "command": msg.command,
        "autocontinue": msg.autocontinue,
        "params": [round(float(p), 4) for p in (msg.param1, msg.param2, msg.param3, msg.param4)],
        "x": x,
        "y": y,
        "z": round(float(msg.z), 2),
    }


def vehicle_sysid(messages: list[tuple[float, Any]]) -> int:
    """The autopilot's system id: the first heartbeat from something not a ground station.

    (SITL instance i is system i+1, so a recording need not be of system 1.)
    """
    for _, m in messages:
        if m.get_type() == "HEARTBEAT" and m.type != mavlink.MAV_TYPE_GCS:
            return m.get_srcSystem()
    return VEHICLE_SYSID


def summarize(messages: list[tuple[float, Any]], texts_from: str | None = None) -> dict[str, Any]:
    """The comparable summary of one conversation (see the module docstring).

    ``texts_from``: count STATUSTEXTs only from the ground station's first
    message of this type on (for recordings that start after the boot).
    """
    sysid = vehicle_sysid(messages)
    vehicle = [
        (t, m) for t, m in messages if m.get_srcSystem() == sysid and m.get_srcComponent() == 1
    ]
    types = sorted({m.get_type() for _, m in vehicle})
    heartbeats = [t for t, m in vehicle if m.get_type() == "HEARTBEAT"]
    counts: dict[str, int] = {}
    # rates from the second half of the conversation, when the streams are set up
    if len(heartbeats) >= 4:
        start, end = heartbeats[len(heartbeats) // 2], heartbeats[-1]
        beats = sum(1 for t in heartbeats if start <= t <= end) - 1
        for t, m in vehicle:
            if start <= t < end:
                counts[m.get_type()] = counts.get(m.get_type(), 0) + 1
        rates = {
            k: round(v / beats, 2)
            for k, v in sorted(counts.items())
            if v >= 3 and k not in EVENT_TYPES
        }
    else:
        rates = {}
    acks = [m for _, m in vehicle if m.get_type() == "COMMAND_ACK"]
    command_acks = _collapse([m.command, m.result] for m in acks)
    mission_acks = [
        [getattr(m, "mission_type", 0), m.type] for _, m in vehicle if m.get_type() == "MISSION_ACK"
    ]
    modes = _collapse(
        [_mode_name(m.custom_mode), bool(m.base_mode & mavlink.MAV_MODE_FLAG_SAFETY_ARMED)]
        for _, m in vehicle
        if m.get_type() == "HEARTBEAT"
    )
    readbacks: dict[str, dict[str, Any]] = {}
    for _, m in vehicle:
        if m.get_type() in ("MISSION_ITEM", "MISSION_ITEM_INT") and m.current != 2:
            readbacks[f"{getattr(m, 'mission_type', 0)}:{m.seq}"] = _readback(m)
    texts: list[str] = []
    since = 0.0
    if texts_from is not None:
        starts = [
            t for t, m in messages if m.get_type() == texts_from and m.get_srcSystem() == GCS_SYSID
        ]
        since = starts[0] if starts else float("inf")
    for t, m in vehicle:
        if m.get_type() == "STATUSTEXT" and t >= since:
            text = m.text.rstrip("\x00")
            if _texts_kept(text) and text not in texts:
                texts.append(text)
    return {
        "types": types,
        "rates_hz": rates,
        "command_acks": command_acks,
        "mission_acks": mission_acks,
        "modes": modes,
        "readbacks": readbacks,
        "texts": texts,
    }


def compare(reference: dict[str, Any], observed: dict[str, Any]) -> list[str]:
    """Every way ``observed`` (the simulator) differs from ``reference`` (real SITL)."""
    problems: list[str] = []
    ref_types = set(reference["types"]) - set(NOT_MODELLED_TYPES)
    obs_types = set(observed["types"])
    for kind in sorted(ref_types - obs_types):
        problems.append(f"type {kind}: sent by ArduCopter, not by the simulator")
    for kind in sorted(obs_types - set(reference["types"])):
        problems.append(f"type {kind}: sent by the simulator, never by ArduCopter")
    for kind, rate in reference["rates_hz"].items():
        if kind in NOT_MODELLED_TYPES or kind not in observed["rates_hz"]:
            continue
        got = observed["rates_hz"][kind]
        if abs(got - rate) > RATE_TOLERANCE * rate:
            problems.append(f"rate {kind}: {got} Hz, ArduCopter {rate} Hz")
    for key in ("command_acks", "mission_acks", "modes"):
        if reference[key] != observed[key]:
            problems.append(f"{key}: {observed[key]}, ArduCopter {reference[key]}")
    for seq, ref in reference["readbacks"].items():
        got = observed["readbacks"].get(seq)
        if got is None:
            problems.append(f"read-back {seq}: missing")
            continue
        for field in ("frame", "command", "autocontinue", "params", "x", "y"):
            if got[field] != ref[field]:
                problems.append(f"read-back {seq} {field}: {got[field]}, ArduCopter {ref[field]}")
        if abs(got["z"] - ref["z"]) > ALT_TOLERANCE_M:
            problems.append(f"read-back {seq} z: {got['z']}, ArduCopter {ref['z']}")
    for seq in sorted(set(observed["readbacks"]) - set(reference["readbacks"])):
        problems.append(f"read-back {seq}: not in ArduCopter's")
    for text in filter(_texts_kept, reference["texts"]):
        if text not in observed["texts"]:
            problems.append(f"text {text!r}: said by ArduCopter, not by the simulator")
    for text in filter(_texts_kept, observed["texts"]):
        if text not in reference["texts"]:
            problems.append(f"text {text!r}: said by the simulator, never by ArduCopter")
    return problems


class TlogRecorder:
    """A LinkProxy tap writing both directions to a tlog, as MAVProxy records one."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file = path.open("wb")
        self._parsers = {
            True: mavlink.MAVLink(None),
            False: mavlink.MAVLink(None),
        }
        for parser in self._parsers.values():
            parser.robust_parsing = True

    def __call__(self, from_client: bool, data: bytes) -> None:
        parser = self._parsers[from_client]
        stamp = struct.pack(">Q", int(time.time() * 1e6))
        for msg in parser.parse_buffer(data) or []:
            if msg.get_type() == "BAD_DATA":
                continue
            self._file.write(stamp + bytes(msg.get_msgbuf()))
        self._file.flush()

    def close(self) -> None:
        self._file.close()
