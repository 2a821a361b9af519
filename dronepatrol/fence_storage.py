"""How much fence an ArduPilot vehicle can store, and what a fence costs.

ArduPilot keeps the fence in a small storage area of its own (StorageManager:
``StorageFence``, 48 + 256 + 256 = 560 bytes on SITL and on Pixhawk-class
copters). ``AC_PolyFence_loader::fence_storage_space_required`` counts a
4-byte header, then per polygon 1 type byte, 1 vertex-count byte and 8 bytes
per vertex, per circle 1 type byte and 12 bytes (radius, lat, lon), per
return point 9 bytes; ``write_fence`` then writes one end-of-storage byte
after them, counted here too. Before any of that, the mission protocol
refuses a MISSION_COUNT above ``fence_storage_size / 8`` items (70 on SITL)
with MAV_MISSION_NO_SPACE. Both limits are checked: a fence fits when its
item count and its bytes are within the vehicle's.

Pure data: used by the planner (a fence that cannot fit is a planning
problem) and by the link before it uploads anything.
"""

from __future__ import annotations

from dataclasses import dataclass

from dronepatrol.mission import Mission

HEADER_BYTES = 4
END_OF_STORAGE_BYTES = 1
POLYGON_BYTES = 2
"""Type and vertex-count bytes of one polygon."""
VERTEX_BYTES = 8
CIRCLE_BYTES = 13
"""Type byte, radius, lat and lon of one circle."""


@dataclass(frozen=True)
class FenceCapacity:
    """A vehicle's fence storage: ``bytes`` of StorageFence and the most ``items`` it accepts.

    The default is ArduCopter 4.7 on SITL and on Pixhawk-class boards (560
    bytes, 70 items); boards with other storage layouts set their own in the
    drone profile (``fence_storage_bytes``).
    """

    bytes: int = 560

    @property
    def items(self) -> int:
        """MissionItemProtocol_Fence::max_items: storage size / sizeof(Vector2l)."""
        return self.bytes // VERTEX_BYTES


SITL_COPTER_4_7 = FenceCapacity()


def fence_bytes(
    polygon_sizes: list[int] | tuple[int, ...], circles: int, return_point: bool = False
) -> int:
    """Bytes ArduPilot needs for polygons of ``polygon_sizes`` vertices and ``circles`` circles.

    >>> fence_bytes([28, 32, 32], 0)  # the fence refused at the pad in issue 13
    747
    >>> fence_bytes([28], 2)
    257
    """
    total = HEADER_BYTES + END_OF_STORAGE_BYTES
    total += sum(POLYGON_BYTES + VERTEX_BYTES * n for n in polygon_sizes)
    total += CIRCLE_BYTES * circles
    return total + (1 + VERTEX_BYTES if return_point else 0)


def mission_fence_bytes(mission: Mission) -> int:
    """Bytes the fence of ``mission`` takes in the vehicle's fence storage."""
    sizes = [len(r) for r in (*mission.fence_inclusions, *mission.fence_exclusions)]
    return fence_bytes(sizes, len(mission.fence_exclusion_circles))


def fence_misfit(mission: Mission, capacity: FenceCapacity) -> str:
    """Why the fence of ``mission`` does not fit ``capacity`` (empty when it fits)."""
    items = len(mission.fence_items())
    need = mission_fence_bytes(mission)
    if items <= capacity.items and need <= capacity.bytes:
        return ""
    parts = [f"inclusion polygon of {len(r)} vertices" for r in mission.fence_inclusions]
    parts += [f"exclusion polygon of {len(r)} vertices" for r in mission.fence_exclusions]
    parts += [
        f"exclusion circle of {radius:.0f} m" for _, _, radius in mission.fence_exclusion_circles
    ]
    return (
        f"the fence needs {items} items and {need} bytes, the vehicle stores "
        f"{capacity.items} items and {capacity.bytes} bytes ({', '.join(parts)})"
    )
