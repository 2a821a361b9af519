"""The patrol network: grids, lines, points, no-fly zones, stations and overwatch points.

Geometries are shapely objects in WGS-84 lon/lat (GeoJSON order). The model is
immutable; :mod:`dronepatrol.network.loading` builds it from GeoJSON and says
what is wrong with a file.

Overwatch points are not patrol targets: they are the places a lockdown plan
("close the city gates") holds, city exits and checkpoints, each belonging to
one or more named plans. The planner and the freshness keeper read
``Network.targets`` only and never see them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import shapely
from shapely.geometry import LineString, Point, Polygon


class Kind(StrEnum):
    """What a GeoJSON feature is in the patrol network."""

    GRID = "grid"
    LINE = "line"
    POINT = "point"
    NOFLY = "nofly"
    STATION = "station"
    OVERWATCH = "overwatch"


TARGET_KINDS = frozenset({Kind.GRID, Kind.LINE, Kind.POINT})
"""The three patrol targets."""

GEOMETRY_OF_KIND = {
    Kind.GRID: "Polygon",
    Kind.LINE: "LineString",
    Kind.POINT: "Point",
    Kind.NOFLY: "Polygon",
    Kind.STATION: "Point",
    Kind.OVERWATCH: "Point",
}
"""The GeoJSON geometry type each kind must have."""


class Priority(StrEnum):
    """How often a target is checked: key most often, general least."""

    KEY = "key"
    ATTENTION = "attention"
    GENERAL = "general"


DEFAULT_REVISIT_MIN = {Priority.KEY: 30.0, Priority.ATTENTION: 120.0, Priority.GENERAL: 480.0}
"""Revisit interval per priority level [min], unless a target overrides it."""


@dataclass(frozen=True)
class Target:
    """A grid, line or point to patrol.

    Attributes:
        id: unique id in the network.
        kind: grid, line or point.
        geometry: Polygon (grid), LineString (line) or Point (point), lon/lat [deg].
        priority: key, attention or general.
        station: id of the owning station (the nearest one when the file names none).
        name: human name, may be empty.
        altitude_m: patrol altitude above the station [m]; None: the drone profile's.
        revisit_min: revisit interval [min]; None: the priority level's default.
        dwell_s: hover or orbit time over a point [s]; None: the profile's.
        orbit_radius_m: orbit radius around a point [m]; None: the profile's (0 = hover).
    """

    id: str
    kind: Kind
    geometry: Polygon | LineString | Point
    priority: Priority = Priority.GENERAL
    station: str = ""
    name: str = ""
    altitude_m: float | None = None
    revisit_min: float | None = None
    dwell_s: float | None = None
    orbit_radius_m: float | None = None

    @property
    def effective_revisit_min(self) -> float:
        """The revisit interval [min]: the override, else the priority level's default."""
        return (
            self.revisit_min if self.revisit_min is not None else DEFAULT_REVISIT_MIN[self.priority]
        )


@dataclass(frozen=True)
class NoFlyZone:
    """A polygon no drone may enter (airport, prison, crowd), lon/lat [deg]."""

    id: str
    geometry: Polygon
    name: str = ""


@dataclass(frozen=True)
class Station:
    """Where drones take off and land.

    Attributes:
        id: unique id; targets name it in their ``station`` property.
        geometry: the launch point, lon/lat [deg].
        name: human name.
        elevation_m: ground altitude above mean sea level [m] (the planned home's altitude).
    """

    id: str
    geometry: Point
    name: str = ""
    elevation_m: float = 0.0

    @property
    def lat_deg(self) -> float:
        return self.geometry.y

    @property
    def lon_deg(self) -> float:
        return self.geometry.x


@dataclass(frozen=True)
class Overwatch:
    """A place a lockdown plan holds: a city exit, a checkpoint. Not a patrol target.

    Attributes:
        id: unique id in the network.
        geometry: the point to hold, lon/lat [deg].
        plans: names of the lockdown plans it belongs to (at least one), in file order.
        name: human name, may be empty.
    """

    id: str
    geometry: Point
    plans: tuple[str, ...]
    name: str = ""

    @property
    def lat_deg(self) -> float:
        return self.geometry.y

    @property
    def lon_deg(self) -> float:
        return self.geometry.x


@dataclass(frozen=True)
class Network:
    """A validated patrol network: targets, no-fly zones, stations and overwatch points."""

    targets: tuple[Target, ...]
    nofly: tuple[NoFlyZone, ...] = ()
    stations: tuple[Station, ...] = ()
    name: str = ""
    overwatch: tuple[Overwatch, ...] = ()
    _by_id: dict[str, Target | NoFlyZone | Station | Overwatch] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        for item in (*self.targets, *self.nofly, *self.stations, *self.overwatch):
            self._by_id[item.id] = item

    def lockdown_plans(self) -> dict[str, tuple[Overwatch, ...]]:
        """Each lockdown plan's overwatch points, by plan name.

        Plans come in the order their names first appear in the file, and
        each plan's points in file order.
        """
        plans: dict[str, list[Overwatch]] = {}
        for point in self.overwatch:
            for plan in point.plans:
                plans.setdefault(plan, []).append(point)
        return {plan: tuple(points) for plan, points in plans.items()}

    def lockdown_plan(self, name: str) -> tuple[Overwatch, ...]:
        """The overwatch points of plan ``name``; KeyError when no point belongs to it."""
        points = self.lockdown_plans().get(name)
        if not points:
            raise KeyError(name)
        return points

    def target(self, target_id: str) -> Target:
        """The target with this id; KeyError when there is none."""
        found = self._by_id.get(target_id)
        if not isinstance(found, Target):
            raise KeyError(target_id)
        return found

    def station(self, station_id: str) -> Station:
        """The station with this id; KeyError when there is none."""
        found = self._by_id.get(station_id)
        if not isinstance(found, Station):
            raise KeyError(station_id)
        return found

    def targets_of(self, station_id: str) -> tuple[Target, ...]:
        """The targets a station owns, in file order."""
        return tuple(t for t in self.targets if t.station == station_id)

    def bounds(self) -> tuple[float, float, float, float]:
        """(min lon, min lat, max lon, max lat) [deg] of the patrolled area.

        Targets, no-fly zones and stations: overwatch points (held only in a
        lockdown) leave the planner's local frame as it is.
        """
        geoms = [
            *(t.geometry for t in self.targets),
            *(z.geometry for z in self.nofly),
            *(s.geometry for s in self.stations),
        ]
        return tuple(shapely.total_bounds(geoms).tolist())  # type: ignore[return-value]

    def centre(self) -> tuple[float, float]:
        """(lat, lon) [deg] of the centre of the network's bounding box."""
        west, south, east, north = self.bounds()
        return (south + north) / 2, (west + east) / 2
