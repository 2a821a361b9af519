"""Real ArduCopter 4.7 mission-protocol conversations, decoded from the test data.

``tests/data/ardupilot-4.7/*.transfers.json`` hold the raw MAVLink packets of
recorded ground-station sessions with ArduCopter 4.7 SITL (``extract.py``
there made them from the tlogs). :func:`transfers` splits one recording into
uploads and read-backs per list type.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from dronepatrol.mavlink.transfer import msg_to_item
from dronepatrol.mission import MissionItem

DATA = Path(__file__).resolve().parent.parent / "data" / "ardupilot-4.7"
GCS = 255
VEHICLE = 1


@dataclass
class Transfer:
    """One upload of a list and what the vehicle answered, or one read-back."""

    kind: str
    """``upload`` or ``download``."""
    mission_type: int
    count: int = 0
    items: list[MissionItem] = field(default_factory=list)
    ack: int | None = None
    texts: list[str] = field(default_factory=list)
    item_types: set[str] = field(default_factory=set)
    seconds: float = 0.0


def messages(name: str) -> list[tuple[float, int, object]]:
    """(t [s], source system, decoded message) of one recording, in order."""
    doc = json.loads((DATA / f"{name}.transfers.json").read_text())
    parser = mavlink.MAVLink(None)
    out = []
    for entry in doc["messages"]:
        (msg,) = parser.parse_buffer(bytes.fromhex(entry["hex"]))
        out.append((entry["t"], entry["src"], msg))
    return out


def transfers(name: str) -> list[Transfer]:
    """Every upload (GCS MISSION_COUNT to vehicle ACK) and download (REQUEST_LIST to GCS ACK)."""
    out: list[Transfer] = []
    current: Transfer | None = None
    started = 0.0
    for t, src, msg in messages(name):
        kind = msg.get_type()
        mtype = getattr(msg, "mission_type", 0)
        if src == GCS and kind == "MISSION_COUNT":
            current = Transfer("upload", mtype, msg.count)
            started = t
            out.append(current)
        elif src == GCS and kind == "MISSION_REQUEST_LIST":
            current = Transfer("download", mtype)
            started = t
            out.append(current)
        elif current is None:
            continue
        elif kind == "MISSION_COUNT" and src == VEHICLE and current.kind == "download":
            current.count = msg.count
        elif kind in ("MISSION_ITEM_INT", "MISSION_ITEM"):
            sender = GCS if current.kind == "upload" else VEHICLE
            if src == sender and msg.seq == len(current.items):
                current.items.append(msg_to_item(msg))
                current.item_types.add(kind)
        elif kind == "STATUSTEXT" and src == VEHICLE:
            current.texts.append(msg.text)
        elif kind == "MISSION_ACK":
            acker = VEHICLE if current.kind == "upload" else GCS
            if src == acker and current.ack is None:
                current.ack = msg.type
                current.seconds = t - started
    return out
