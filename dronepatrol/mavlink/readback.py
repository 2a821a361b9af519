"""Verifying a transfer: what ArduPilot keeps of each item, and the read-back compared to it.

ArduPilot does not store MISSION_ITEM_INT as sent. A mission item becomes an
``AP_Mission::Mission_Command`` (``mavlink_int_to_mission_cmd``) and is read
back from it (``mission_cmd_to_mavlink_int``); a fence item becomes an
``AC_PolyFenceItem``, a rally item a ``RallyLocation``. On the way:

* a command without a place (DO_ items, RETURN_TO_LAUNCH...) keeps no frame,
  position or altitude: it comes back with frame 0 (MAV_FRAME_GLOBAL) and
  zeros;
* a command with a place keeps lat/lon as integers [1e-7 deg], the altitude
  as whole centimetres (float32 ``z * 100`` truncated) and only whether it is
  relative or above terrain: the frame comes back as 0, 3 or 10 (never an
  _INT frame, and MAV_FRAME_MISSION reads back as 0);
* parameters are packed into the few bytes the command has: NAV_WAYPOINT
  keeps a whole-second hold time and nothing else on a copter; LOITER_TIME
  keeps its time and returns the direction as +-1; LOITER_TURNS packs turns
  and radius into one byte each; DO_CHANGE_SPEED keeps its speed type as a
  byte; the rest are float32;
* fence items keep the vertex count or the radius (float32) and the
  position; rally points keep their altitude as whole metres (int16).

:func:`stored_item` models that round trip for the commands the controller
writes (read from ArduPilot 4.7's ``AP_Mission.cpp``,
``MissionItemProtocol_Fence.cpp`` and ``MissionItemProtocol_Rally.cpp``);
:func:`compare_items` accepts a read-back field when it equals either what
was sent or what ArduPilot keeps of it, so a vehicle that stores items
verbatim passes too, and anything else is a mismatch.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from dronepatrol.mission import Cmd, Frame, MissionItem, MissionType

_INT_FRAME_TWIN = {
    mavlink.MAV_FRAME_GLOBAL_INT: mavlink.MAV_FRAME_GLOBAL,
    mavlink.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT: mavlink.MAV_FRAME_GLOBAL_RELATIVE_ALT,
    mavlink.MAV_FRAME_GLOBAL_TERRAIN_ALT_INT: mavlink.MAV_FRAME_GLOBAL_TERRAIN_ALT,
}
"""_INT frames and the plain frame ArduPilot (and this comparison) takes them for."""

_STORED_IN_LOCATION = frozenset(
    {
        mavlink.MAV_CMD_NAV_WAYPOINT,
        mavlink.MAV_CMD_NAV_LOITER_UNLIM,
        mavlink.MAV_CMD_NAV_LOITER_TURNS,
        mavlink.MAV_CMD_NAV_LOITER_TIME,
        mavlink.MAV_CMD_NAV_LAND,
        mavlink.MAV_CMD_NAV_TAKEOFF,
        mavlink.MAV_CMD_NAV_CONTINUE_AND_CHANGE_ALT,
        mavlink.MAV_CMD_NAV_LOITER_TO_ALT,
        mavlink.MAV_CMD_NAV_SPLINE_WAYPOINT,
        mavlink.MAV_CMD_NAV_GUIDED_ENABLE,
        mavlink.MAV_CMD_DO_SET_HOME,
        mavlink.MAV_CMD_DO_RETURN_PATH_START,
        mavlink.MAV_CMD_DO_LAND_START,
        mavlink.MAV_CMD_DO_GO_AROUND,
        mavlink.MAV_CMD_DO_SET_ROI_LOCATION,
        mavlink.MAV_CMD_DO_SET_ROI,
        mavlink.MAV_CMD_NAV_VTOL_TAKEOFF,
        mavlink.MAV_CMD_NAV_VTOL_LAND,
        mavlink.MAV_CMD_NAV_PAYLOAD_PLACE,
    }
)
"""``AP_Mission::stored_in_location``: mission commands that keep a position and altitude."""

MAV_MOUNT_MODE_MAVLINK_TARGETING = mavlink.MAV_MOUNT_MODE_MAVLINK_TARGETING


def f32(value: float) -> float:
    """``value`` as a C float holds it."""
    if not math.isfinite(value):
        return value
    return struct.unpack("<f", struct.pack("<f", value))[0]


def _trunc(value: float, bits: int, signed: bool = False) -> int:
    """C's float-to-integer conversion (truncation) into an integer of ``bits``."""
    if not math.isfinite(value):
        return 0
    n = int(value) & ((1 << bits) - 1)
    if signed and n >= 1 << (bits - 1):
        n -= 1 << bits
    return n


def _frame(frame: int) -> int:
    """The frame ArduPilot reads back for a stored position: absolute, relative or terrain."""
    plain = _INT_FRAME_TWIN.get(frame, frame)
    if plain in (Frame.GLOBAL_RELATIVE_ALT, Frame.GLOBAL_TERRAIN_ALT):
        return plain
    return Frame.GLOBAL


def _mission_params(it: MissionItem) -> tuple[float, float, float, float]:
    """param1..4 as ``mission_cmd_to_mavlink_int`` returns them from the packed command."""
    p1, p2, p3, p4 = it.param1, it.param2, it.param3, it.param4
    c = it.command
    if c in (Cmd.NAV_WAYPOINT, Cmd.NAV_TAKEOFF, Cmd.DO_SET_HOME, 82, 92, 30):
        return float(_trunc(p1, 16)), 0.0, 0.0, 0.0
    if c in (Cmd.DO_SET_ROI_LOCATION, Cmd.DO_SET_ROI_NONE, 201):
        return float(_trunc(p1, 16)), 0.0, 0.0, 0.0
    if c == Cmd.NAV_LOITER_UNLIM:
        radius = float(_trunc(abs(p3), 16))
        return 0.0, 0.0, -radius if p3 < 0 else radius, 0.0
    if c == Cmd.NAV_LOITER_TURNS:
        fraction = 0 < p1 < 1
        turns = _trunc(min(255.0, p1 * 256.0 if fraction else p1), 16) & 0xFF
        big = abs(p3) > 255
        radius = _trunc(min(255.0, abs(p3) * 0.1) if big else abs(p3), 8)
        out3 = float(-radius if p3 < 0 else radius) * (10 if big else 1)
        return (turns / 256.0 if fraction else float(turns)), 0.0, out3, float(p4 > 0)
    if c == Cmd.NAV_LOITER_TIME:
        return float(_trunc(p1, 16)), 0.0, -1.0 if p3 < 0 else 1.0, float(p4 > 0)
    if c == Cmd.NAV_RETURN_TO_LAUNCH:
        return 0.0, 0.0, 0.0, 0.0
    if c == Cmd.NAV_LAND:
        ccw = not math.isnan(p4) and p4 < 0
        return float(_trunc(p1, 16)), 0.0, 0.0, -1.0 if ccw else 1.0
    if c == Cmd.CONDITION_YAW:
        return f32(p1), f32(p2), float(_trunc(p3, 8, signed=True)), float(_trunc(p4, 8))
    if c == Cmd.DO_JUMP:
        return float(_trunc(p1, 16)), float(_trunc(p2, 16, signed=True)), 0.0, 0.0
    if c == Cmd.DO_CHANGE_SPEED:
        return float(_trunc(p1, 8)), f32(p2), f32(p3), 0.0
    if c == Cmd.DO_MOUNT_CONTROL:
        return f32(p1), f32(p2), f32(p3), 0.0
    return f32(p1), f32(p2), f32(p3), f32(p4)


def stored_item(item: MissionItem, mission_type: MissionType) -> MissionItem:
    """``item`` as ArduPilot 4.7 reads it back after storing it in list ``mission_type``.

    >>> from dronepatrol.mission import Cmd
    >>> speed = MissionItem(Cmd.DO_CHANGE_SPEED, Frame.MISSION, 1.0, 10.0, -1.0)
    >>> int(stored_item(speed, MissionType.MISSION).frame)
    0
    >>> hold = MissionItem(Cmd.NAV_WAYPOINT, param1=2.7, param2=3.0, alt_m=60.004)
    >>> s = stored_item(hold, MissionType.MISSION)
    >>> (s.param1, s.param2, round(s.alt_m, 4), int(s.frame))
    (2.0, 0.0, 60.0, 3)
    """
    lat = round(item.lat_deg * 1e7) * 1e-7
    lon = round(item.lon_deg * 1e7) * 1e-7
    if mission_type == MissionType.FENCE:
        p1 = f32(item.param1)
        if item.command in (
            Cmd.NAV_FENCE_POLYGON_VERTEX_INCLUSION,
            Cmd.NAV_FENCE_POLYGON_VERTEX_EXCLUSION,
        ):
            p1 = float(_trunc(item.param1, 8))
        return MissionItem(item.command, Frame.GLOBAL, p1, lat_deg=lat, lon_deg=lon)
    if mission_type == MissionType.RALLY:
        return MissionItem(
            item.command,
            _frame(item.frame),
            lat_deg=lat,
            lon_deg=lon,
            alt_m=float(_trunc(item.alt_m, 16, signed=True)),
        )
    p1, p2, p3, p4 = _mission_params(item)
    if item.command in _STORED_IN_LOCATION:
        alt_cm = _trunc(f32(f32(item.alt_m) * f32(100.0)), 32, signed=True)
        return MissionItem(
            item.command, _frame(item.frame), p1, p2, p3, p4, lat, lon, f32(alt_cm * f32(0.01))
        )
    z = float(MAV_MOUNT_MODE_MAVLINK_TARGETING) if item.command == Cmd.DO_MOUNT_CONTROL else 0.0
    return MissionItem(item.command, Frame.GLOBAL, p1, p2, p3, p4, 0.0, 0.0, z)


def _same(x: float, y: float) -> bool:
    if math.isnan(x) or math.isnan(y):
        return math.isnan(x) and math.isnan(y)
    return abs(x - y) <= 1e-6 * max(1.0, abs(x))


def _field_ok(sent: float, kept: float, got: float) -> bool:
    """A read-back value is right when it is what was sent or what ArduPilot keeps of it."""
    return _same(sent, got) or _same(kept, got)


def item_differences(
    sent: MissionItem, got: MissionItem, mission_type: MissionType = MissionType.MISSION
) -> list[str]:
    """How the read-back ``got`` differs from the uploaded ``sent`` (empty: as stored)."""
    kept = stored_item(sent, mission_type)
    diff: list[str] = []
    if got.command != sent.command:
        return [f"command {got.command} != {sent.command}"]
    frames = {_INT_FRAME_TWIN.get(sent.frame, sent.frame), kept.frame}
    if _INT_FRAME_TWIN.get(got.frame, got.frame) not in frames:
        diff.append(f"frame {got.frame} != {kept.frame}")
    for name in ("lat_deg", "lon_deg"):
        a, k, b = getattr(sent, name), getattr(kept, name), getattr(got, name)
        if round(b * 1e7) not in (round(a * 1e7), round(k * 1e7)):
            diff.append(f"{name.removesuffix('_deg')} {b:.7f} != {k:.7f}")
    if not _field_ok(sent.alt_m, kept.alt_m, got.alt_m):
        diff.append(f"alt {got.alt_m:g} != {kept.alt_m:g}")
    for k in range(1, 5):
        name = f"param{k}"
        a, s, b = getattr(sent, name), getattr(kept, name), getattr(got, name)
        if not math.isnan(a) and not _field_ok(a, s, b):
            diff.append(f"{name} {b:g} != {s:g}")
    return diff


def compare_items(
    sent: Sequence[MissionItem],
    got: Sequence[MissionItem],
    skip_first: bool,
    mission_type: MissionType = MissionType.MISSION,
) -> list[str]:
    """Differences between an uploaded list and what the vehicle read back (empty: verified).

    Each item is compared field by field with what ArduPilot keeps of it
    (:func:`stored_item`); a NaN parameter ("leave unchanged") matches any value.
    Item 0 of a mission is home, which ArduPilot overwrites with its own: it is
    skipped (``skip_first``).
    """
    if len(sent) != len(got):
        return [f"vehicle holds {len(got)} items, {len(sent)} were sent"]
    problems: list[str] = []
    for seq, (a, b) in enumerate(zip(sent, got, strict=True)):
        if skip_first and seq == 0:
            continue
        diff = item_differences(a, b, mission_type)
        if diff:
            problems.append(f"item {seq}: " + ", ".join(diff))
    return problems
