"""Extract the mission-protocol conversations of real ArduCopter 4.7 tlogs into JSON.

Usage: python extract.py RECORDING.tlog... (writes ``<name>.transfers.json`` beside this file)

Each JSON file holds, in order, every mission-protocol message of the
recording (MISSION_* but MISSION_CURRENT and MISSION_ITEM_REACHED) and every
STATUSTEXT at WARNING or worse or about plans and fences: ``t`` [s] since the
first kept message, ``src`` (MAVLink system id: 255 the ground station, 1 the
vehicle), ``type`` and ``hex``, the raw MAVLink packet, so tests decode the
vehicle's own bytes with pymavlink.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from pymavlink import mavutil

SKIP = {"MISSION_CURRENT", "MISSION_ITEM_REACHED"}


def keep(msg) -> bool:
    kind = msg.get_type()
    if kind.startswith("MISSION_") and kind not in SKIP:
        return True
    if kind == "STATUSTEXT":
        text = msg.text.lower()
        return msg.severity <= 4 or "plan" in text or "fence" in text
    return False


def extract(path: Path) -> list[dict]:
    conn = mavutil.mavlink_connection(str(path))
    out: list[dict] = []
    first = None
    while (msg := conn.recv_match()) is not None:
        if not keep(msg):
            continue
        first = msg._timestamp if first is None else first
        out.append(
            {
                "t": round(msg._timestamp - first, 6),
                "src": msg.get_srcSystem(),
                "type": msg.get_type(),
                "hex": bytes(msg.get_msgbuf()).hex(),
            }
        )
    return out


if __name__ == "__main__":
    for name in sys.argv[1:]:
        src = Path(name)
        target = Path(__file__).with_name(src.stem + ".transfers.json")
        messages = extract(src)
        target.write_text(json.dumps({"source": src.name, "messages": messages}, indent=0) + "\n")
        print(f"{target.name}: {len(messages)} messages")
