"""How ArduCopter SITL stores missions, fences and rally points: room and stored form.

Room comes from StorageManager's copter layout for SITL's 32 KiB storage
(HAL_STORAGE_SIZE 32768, 18 areas): AP_Mission keeps 15 bytes per command
after a 4-byte header, AP_Rally 15 bytes per RallyLocation, and
AC_PolyFence_loader needs 4 header bytes, then per polygon one type byte,
one count byte and 8 bytes a vertex, per circle 13 bytes, per return point
9 bytes, then an end-of-storage byte (fence_storage_space_required,
write_fence). A MISSION_COUNT above ``max_items`` is answered NO_SPACE
("Only N items are supported"), a fence that does not fit ERROR
("Fence exceeds storage size").

The stored form is what a download reads back. AP_Mission keeps a command,
a 16-bit ``p1`` or a packed content, and for commands with a position
lat/lon in degE7 and altitude in centimetres with relative/terrain flags
(mavlink_int_to_mission_cmd, mission_cmd_to_mavlink_int): so every item
reads back with autocontinue 1, items without a position with frame 0
and x/y/z 0, integer frames as their float frames, and parameters only as
far as the packing keeps them (a waypoint's delay as whole seconds,
LOITER_TIME's direction as +-1 in param3). MISSION_ITEM (float) latitudes
are scaled in single precision and truncated, as
convert_MISSION_ITEM_to_MISSION_ITEM_INT does.
"""

from __future__ import annotations

import math
import struct
from dataclasses import replace
from typing import TYPE_CHECKING

from pymavlink.dialects.v20 import ardupilotmega as mavlink

if TYPE_CHECKING:
    from dronepatrol.sitl.mission_protocol import Item

M = mavlink
MISSION = M.MAV_MISSION_TYPE_MISSION
FENCE = M.MAV_MISSION_TYPE_FENCE
RALLY = M.MAV_MISSION_TYPE_RALLY

# StorageManager::layout (copter, STORAGE_NUM_AREAS 18) summed per kind [bytes]
MISSION_STORAGE_BYTES = 2422 + 2132 + 5204 + 9842
RALLY_STORAGE_BYTES = 90 + 300 + 300
FENCE_STORAGE_BYTES = 48 + 256 + 256
MISSION_COMMAND_BYTES = 15  # AP_MISSION_EEPROM_COMMAND_SIZE
RALLY_POINT_BYTES = 15  # sizeof(RallyLocation)

MAX_ITEMS = {
    MISSION: (MISSION_STORAGE_BYTES - 4) // MISSION_COMMAND_BYTES,  # num_commands_max: 1306
    FENCE: FENCE_STORAGE_BYTES // 8,  # AC_PolyFence_loader::max_items: 70
    RALLY: min(255, RALLY_STORAGE_BYTES // RALLY_POINT_BYTES),  # get_rally_max: 46
}

# AP_Mission::stored_in_location: commands whose x/y/z are a position.
LOCATION_COMMANDS = frozenset(
    {16, 17, 18, 19, 21, 22, 30, 31, 82, 92, 179, 188, 189, 191, 195, 201, 84, 85, 94}
    | {5001, 5002, 5003, 5004, 5000, 5100}
)
_RELATIVE_FRAMES = {M.MAV_FRAME_GLOBAL_RELATIVE_ALT, M.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT}
_TERRAIN_FRAMES = {M.MAV_FRAME_GLOBAL_TERRAIN_ALT, M.MAV_FRAME_GLOBAL_TERRAIN_ALT_INT}
# MAV_FRAME_MISSION counts as absolute (mavlink_int_to_mission_cmd)
_ABSOLUTE_FRAMES = {M.MAV_FRAME_GLOBAL, M.MAV_FRAME_GLOBAL_INT, M.MAV_FRAME_MISSION}


def f32(value: float) -> float:
    """``value`` rounded to IEEE single precision, as a C ``float`` holds it."""
    return struct.unpack("<f", struct.pack("<f", value))[0]


def degrees_to_e7(value: float) -> int:
    """MISSION_ITEM x/y to degE7: ``packet.x * 1.0e7f`` in float, truncated to int32_t."""
    return int(f32(f32(value) * f32(1.0e7)))


def e7_to_degrees(value: int) -> float:
    """degE7 to a MISSION_ITEM x/y: ``item_int.x * 1.0e-7f`` in float."""
    return f32(f32(value) * f32(1.0e-7))


def location_frame(frame: int) -> int | None:
    """The frame a position reads back in, or None when AP_Mission refuses the frame."""
    if frame in _ABSOLUTE_FRAMES:
        return M.MAV_FRAME_GLOBAL
    if frame in _RELATIVE_FRAMES:
        return M.MAV_FRAME_GLOBAL_RELATIVE_ALT
    if frame in _TERRAIN_FRAMES:
        return M.MAV_FRAME_GLOBAL_TERRAIN_ALT
    return None


def _uint16(value: float) -> float:
    """A float parameter stored in a uint16_t (truncated; NaN and negatives wrap as on x86)."""
    if not math.isfinite(value):
        return 0.0
    return float(int(value) & 0xFFFF)


def _direction(negative: bool) -> float:
    return -1.0 if negative else 1.0


def _mission_params(command: int, p: tuple[float, float, float, float]) -> tuple[float, ...]:
    """param1..4 after mavlink_int_to_mission_cmd then mission_cmd_to_mavlink_int."""
    p1, p2, p3, p4 = p
    if command in (16, 22, 82, 92, 21):  # WAYPOINT delay, TAKEOFF pitch, LAND abort alt
        out = (_uint16(p1), 0.0, 0.0, 0.0)
        if command == 21:
            out = (out[0], 0.0, 0.0, _direction(p4 < 0))
        return out
    if command == 17:  # LOITER_UNLIM: radius in p1, direction in the location
        radius = _uint16(abs(p3))
        return (0.0, 0.0, -radius if p3 < 0 else radius, 0.0)
    if command == 18:  # LOITER_TURNS: turns and radius packed in one byte each
        turns = p1 * 256.0 if 0 < p1 < 1 else p1
        turns_b = float(min(255, int(turns)))
        radius = abs(p3)
        scaled = radius if radius <= 255 else radius * 0.1  # large radii kept in tens of metres
        radius_b = float(min(255, int(scaled)))
        out_p1 = turns_b / 256.0 if 0 < p1 < 1 else turns_b
        out_p3 = radius_b * 10 if radius > 255 else radius_b
        return (out_p1, 0.0, -out_p3 if p3 < 0 else out_p3, 1.0 if p4 > 0 else 0.0)
    if command == 19:  # LOITER_TIME
        return (_uint16(p1), 0.0, _direction(p3 < 0), 1.0 if p4 > 0 else 0.0)
    if command == 20:  # RETURN_TO_LAUNCH
        return (0.0, 0.0, 0.0, 0.0)
    if command == 177:  # DO_JUMP: target and repeat count (int16)
        return (_uint16(p1), float(max(-32768, min(32767, int(p2)))), 0.0, 0.0)
    if command == 178:  # DO_CHANGE_SPEED: type (uint8), speed, throttle (int8)
        return (float(int(p1) & 0xFF), f32(p2), float(max(-128, min(127, int(p3)))), 0.0)
    if command in (179, 189, 195, 197, 201, 207, 208):
        return (_uint16(p1), 0.0, 0.0, 0.0)
    if command == 115:  # CONDITION_YAW
        return (f32(p1), f32(p2), float(int(p3)), float(int(p4)))
    if command in (112, 114):  # CONDITION_DELAY / DISTANCE
        return (f32(p1), 0.0, 0.0, 0.0)
    return (f32(p1), f32(p2), f32(p3), f32(p4))


def stored_mission_item(item: Item) -> Item:
    """``item`` (a MISSION_ITEM_INT upload) as AP_Mission stores and returns it."""
    params = _mission_params(item.command, (item.param1, item.param2, item.param3, item.param4))
    if item.command in LOCATION_COMMANDS:
        frame = location_frame(item.frame)
        alt_cm = int(f32(f32(item.z) * 100.0))
        return replace(
            item,
            frame=frame if frame is not None else item.frame,
            param1=params[0],
            param2=params[1],
            param3=params[2],
            param4=params[3],
            z=f32(alt_cm * f32(0.01)),
            autocontinue=1,
        )
    return replace(
        item,
        frame=0,
        param1=params[0],
        param2=params[1],
        param3=params[2],
        param4=params[3],
        x=0,
        y=0,
        z=0.0,
        autocontinue=1,
    )


def stored_fence_item(item: Item) -> Item:
    """A fence item as AC_PolyFence_loader keeps it: frame 0, no altitude, no autocontinue."""
    radius_or_count = float(int(item.param1)) if item.command in (5001, 5002) else f32(item.param1)
    if item.command in (5000,):
        radius_or_count = 0.0
    return replace(
        item,
        frame=M.MAV_FRAME_GLOBAL,
        param1=radius_or_count,
        param2=0.0,
        param3=0.0,
        param4=0.0,
        z=0.0,
        autocontinue=0,
    )


def stored_rally_item(item: Item) -> Item:
    """A rally point as AP_Rally keeps it: altitude in whole metres (int16), relative frame."""
    frame = location_frame(item.frame)
    return replace(
        item,
        frame=frame if frame is not None else M.MAV_FRAME_GLOBAL_RELATIVE_ALT,
        param1=0.0,
        param2=0.0,
        param3=0.0,
        param4=0.0,
        z=float(max(-32768, min(32767, int(item.z)))),
        autocontinue=0,
    )


def fence_storage_required(items: list[Item]) -> int:
    """Bytes ``items`` take in fence storage (AC_PolyFence_loader::fence_storage_space_required)."""
    need = 4
    i = 0
    while i < len(items):
        it = items[i]
        need += 1
        if it.command in (5001, 5002):
            count = max(1, int(it.param1))
            need += 1 + 8 * count
            i += count
            continue
        if it.command in (5003, 5004):
            need += 12
        elif it.command == 5000:
            need += 8
        i += 1
    return need
