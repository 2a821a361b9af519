"""The mission model shared by the planner, the mission files and the link.

A :class:`Mission` is what one sortie flies: its navigation items, the fence
(inclusion and exclusion polygons) and rally points. It is pure data, with
MAVLink's numbers for commands and frames spelled out here so that planning
code needs no pymavlink.

On the wire (and in ``.waypoints`` files) item 0 is the vehicle's home; the
``items`` here are the rest, in order, so ``items[k]`` is mission sequence
number ``k + 1``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum


class MissionType(IntEnum):
    """MAV_MISSION_TYPE: which of the vehicle's three lists a transfer touches."""

    MISSION = 0
    FENCE = 1
    RALLY = 2
    ALL = 255


class Frame(IntEnum):
    """MAV_FRAME values used in missions."""

    GLOBAL = 0
    MISSION = 2
    GLOBAL_RELATIVE_ALT = 3
    GLOBAL_INT = 5
    GLOBAL_RELATIVE_ALT_INT = 6
    GLOBAL_TERRAIN_ALT = 10


class Cmd(IntEnum):
    """MAV_CMD values the planner writes and the controller sends."""

    NAV_WAYPOINT = 16
    NAV_LOITER_UNLIM = 17
    NAV_LOITER_TURNS = 18
    NAV_LOITER_TIME = 19
    NAV_RETURN_TO_LAUNCH = 20
    NAV_LAND = 21
    NAV_TAKEOFF = 22
    CONDITION_YAW = 115
    DO_SET_MODE = 176
    DO_JUMP = 177
    DO_CHANGE_SPEED = 178
    DO_SET_HOME = 179
    DO_REPOSITION = 192
    DO_SET_ROI_LOCATION = 195
    DO_SET_ROI_NONE = 197
    DO_MOUNT_CONTROL = 205
    DO_SET_MISSION_CURRENT = 224
    MISSION_START = 300
    COMPONENT_ARM_DISARM = 400
    SET_MESSAGE_INTERVAL = 511
    REQUEST_MESSAGE = 512
    NAV_FENCE_POLYGON_VERTEX_INCLUSION = 5001
    NAV_FENCE_POLYGON_VERTEX_EXCLUSION = 5002
    NAV_FENCE_CIRCLE_INCLUSION = 5003
    NAV_FENCE_CIRCLE_EXCLUSION = 5004
    NAV_RALLY_POINT = 5100
    BATTERY_RESET = 42651


NAV_COMMANDS = frozenset(
    {
        Cmd.NAV_WAYPOINT,
        Cmd.NAV_LOITER_UNLIM,
        Cmd.NAV_LOITER_TURNS,
        Cmd.NAV_LOITER_TIME,
        Cmd.NAV_RETURN_TO_LAUNCH,
        Cmd.NAV_LAND,
        Cmd.NAV_TAKEOFF,
    }
)
"""Commands that move the vehicle (the rest are DO_/CONDITION_ items)."""

LatLon = tuple[float, float]
"""(lat, lon) [deg]."""


@dataclass(frozen=True)
class MissionItem:
    """One mission item as MAVLink's MISSION_ITEM_INT carries it.

    Attributes:
        command: MAV_CMD number (see :class:`Cmd`).
        frame: MAV_FRAME; default 3, altitude relative to home.
        param1..param4: the command's parameters (meaning per MAV_CMD).
        lat_deg, lon_deg: position [deg] (0 for commands without one).
        alt_m: altitude [m] in ``frame``'s reference.
        autocontinue: go on to the next item when this one completes.
    """

    command: int
    frame: int = Frame.GLOBAL_RELATIVE_ALT
    param1: float = 0.0
    param2: float = 0.0
    param3: float = 0.0
    param4: float = 0.0
    lat_deg: float = 0.0
    lon_deg: float = 0.0
    alt_m: float = 0.0
    autocontinue: bool = True

    @property
    def is_nav(self) -> bool:
        """True for items that move the vehicle."""
        return self.command in NAV_COMMANDS

    @property
    def has_position(self) -> bool:
        """True for items whose lat/lon is a place the vehicle flies to or looks at."""
        return self.command in NAV_COMMANDS - {Cmd.NAV_RETURN_TO_LAUNCH} or self.command in (
            Cmd.DO_SET_ROI_LOCATION,
            Cmd.NAV_RALLY_POINT,
        )


@dataclass(frozen=True)
class Mission:
    """What one sortie uploads: mission items, fence and rally points.

    Attributes:
        items: navigation and DO items, in flight order (wire seq 1..N).
        home: planned home (lat [deg], lon [deg], alt AMSL [m]), the station.
        fence_inclusions: polygons the vehicle must stay inside, each a ring of
            (lat, lon) without the closing repeat.
        fence_exclusions: polygons the vehicle must never enter (no-fly zones).
        fence_exclusion_circles: circles the vehicle must never enter, each
            (lat [deg], lon [deg], radius [m]); ArduPilot stores a circle in 13
            bytes where a polygon takes 8 per vertex.
        rally_points: (lat, lon, alt relative to home [m]) safe landing places.
    """

    items: tuple[MissionItem, ...]
    home: tuple[float, float, float] | None = None
    fence_inclusions: tuple[tuple[LatLon, ...], ...] = ()
    fence_exclusions: tuple[tuple[LatLon, ...], ...] = ()
    fence_exclusion_circles: tuple[tuple[float, float, float], ...] = ()
    rally_points: tuple[tuple[float, float, float], ...] = field(default=())

    def fence_items(self) -> tuple[MissionItem, ...]:
        """The fence as MAVLink fence items (MAV_MISSION_TYPE_FENCE), vertex by vertex.

        Each vertex item carries its polygon's vertex count in param1, as
        ArduPilot and QGroundControl expect; each exclusion circle is one
        NAV_FENCE_CIRCLE_EXCLUSION item with its radius [m] in param1.
        """
        out: list[MissionItem] = []
        for command, polygons in (
            (Cmd.NAV_FENCE_POLYGON_VERTEX_INCLUSION, self.fence_inclusions),
            (Cmd.NAV_FENCE_POLYGON_VERTEX_EXCLUSION, self.fence_exclusions),
        ):
            for ring in polygons:
                for lat, lon in ring:
                    out.append(
                        MissionItem(
                            command=command,
                            frame=Frame.GLOBAL,
                            param1=float(len(ring)),
                            lat_deg=lat,
                            lon_deg=lon,
                        )
                    )
        for lat, lon, radius in self.fence_exclusion_circles:
            out.append(
                MissionItem(
                    command=Cmd.NAV_FENCE_CIRCLE_EXCLUSION,
                    frame=Frame.GLOBAL,
                    param1=float(radius),
                    lat_deg=lat,
                    lon_deg=lon,
                )
            )
        return tuple(out)

    def rally_items(self) -> tuple[MissionItem, ...]:
        """The rally points as MAVLink rally items (MAV_MISSION_TYPE_RALLY)."""
        return tuple(
            MissionItem(command=Cmd.NAV_RALLY_POINT, lat_deg=lat, lon_deg=lon, alt_m=alt)
            for lat, lon, alt in self.rally_points
        )
