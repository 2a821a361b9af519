"""Where a drone may fly on an errand: routes around no-fly zones and safe vantage points.

Patrol sorties are planned whole (:mod:`dronepatrol.planning.planner`); the
errands of a day (an incident, a lockdown hold, a goto from the map, the way
home) are single trips decided on the spot. :class:`Airspace` answers for
them, in latitude and longitude, from the network's no-fly zones grown by a
margin:

* :meth:`Airspace.route`: the shortest path that keeps out (the planner's
  :class:`~dronepatrol.planning.routing.TransitRouter`), and its length for ETAs;
* :meth:`Airspace.vantage`: where to watch a place from. A place inside a
  zone (or its margin) is never flown to: the drone watches it from the
  nearest point outside, camera on it, and refuses when that point is beyond
  its camera range.

Pure: no I/O, no autopilot. Local metres come from one
:class:`~dronepatrol.geo.LocalFrame` centred on the zones.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import Point, Polygon

from dronepatrol.geo import LocalFrame, bearing_deg, distance_m, offset
from dronepatrol.mission import LatLon, Mission
from dronepatrol.network.model import NoFlyZone
from dronepatrol.planning.limits import check_nofly
from dronepatrol.planning.routing import TransitRouter
from dronepatrol.planning.safety import ring_latlon

VANTAGE_OFFSET_M = 2.0
"""How far outside the grown zone a vantage point sits, so rounding never puts it inside [m]."""


class NoSafeVantage(ValueError):
    """A place cannot be watched from outside the no-fly zones within camera range."""


@dataclass(frozen=True)
class Vantage:
    """Where a drone goes to watch a place, and why there.

    Attributes:
        lat_deg, lon_deg: the point flown to [deg].
        target_lat_deg, target_lon_deg: the place watched [deg].
        zone_id, zone_name: the no-fly zone that keeps the drone off the place
            ("" when the place itself is flown to).
        distance_m: from the vantage point to the place [m] (0 over the place).
    """

    lat_deg: float
    lon_deg: float
    target_lat_deg: float
    target_lon_deg: float
    zone_id: str = ""
    zone_name: str = ""
    distance_m: float = 0.0

    @property
    def from_outside(self) -> bool:
        """True when the drone watches from outside a no-fly zone, camera on the place."""
        return bool(self.zone_id)

    def describe(self) -> str:
        """For operators: ``watching from 180 m outside the no-fly zone 'Substation'``."""
        if not self.from_outside:
            return "over the place"
        return f"watching from {self.distance_m:.0f} m outside the no-fly zone {self.zone_label!r}"

    @property
    def zone_label(self) -> str:
        return self.zone_name or self.zone_id

    def as_dict(self) -> dict[str, object]:
        return {
            "lat": self.lat_deg,
            "lon": self.lon_deg,
            "target_lat": self.target_lat_deg,
            "target_lon": self.target_lon_deg,
            "from_outside": self.from_outside,
            "zone": self.zone_id or None,
            "zone_name": self.zone_name or None,
            "distance_m": round(self.distance_m, 1),
            "message": self.describe(),
        }


class Airspace:
    """The no-fly zones of a network as errands see them.

    Args:
        zones: the no-fly zones (lon/lat polygons).
        margin_m: how far from a zone paths and vantage points keep [m] (the
            planner's ``nofly_margin_m``).

    Raises:
        PlanningLimitError: more zones, or corners, than the planning limits allow
            (their transit graph would take minutes to build).
    """

    def __init__(self, zones: Sequence[NoFlyZone], margin_m: float = 25.0) -> None:
        if margin_m < 0:
            raise ValueError(f"margin_m must be >= 0, got {margin_m!r}")
        check_nofly(zones)
        self.zones = tuple(zones)
        self.margin_m = margin_m
        if self.zones:
            centre = shapely.union_all([z.geometry for z in self.zones]).centroid
            self.frame: LocalFrame | None = LocalFrame(centre.y, centre.x)
            self._xy = [self.frame.geometry_to_xy(z.geometry) for z in self.zones]
        else:
            self.frame = None
            self._xy = []
        self._router = TransitRouter(self._xy, margin_m) if self._xy else None
        # the zones grown by the margin: the router's, built once
        self._blocked = self._router.blocked if self._router is not None else Polygon()

    def __repr__(self) -> str:
        zones = f"{len(self.zones)} no-fly zone{'' if len(self.zones) == 1 else 's'}"
        return f"Airspace({zones}, margin {self.margin_m:g} m)"

    @classmethod
    def of_fence(cls, mission: Mission, margin_m: float = 25.0) -> Airspace:
        """The no-fly zones a mission's fence keeps the vehicle out of (its exclusion
        polygons and circles): what a mission file flown alone knows of the airspace.

        >>> ring = ((-35.36, 149.16), (-35.36, 149.17), (-35.37, 149.17))
        >>> Airspace.of_fence(Mission(items=(), fence_exclusions=(ring,))).zones[0].id
        'fence-exclusion-1'
        """
        zones = [
            NoFlyZone(f"fence-exclusion-{k}", Polygon([(lon, lat) for lat, lon in ring]))
            for k, ring in enumerate(mission.fence_exclusions, 1)
        ]
        for k, (lat, lon, radius_m) in enumerate(mission.fence_exclusion_circles, 1):
            frame = LocalFrame(lat, lon)
            circle = frame.geometry_to_lonlat(Point(0.0, 0.0).buffer(radius_m, quad_segs=8))
            zones.append(NoFlyZone(f"fence-exclusion-circle-{k}", circle))
        return cls(zones, margin_m)

    # ---- geometry helpers ---------------------------------------------------------

    def _to_xy(self, lat_deg: float, lon_deg: float) -> tuple[float, float]:
        assert self.frame is not None
        x, y = self.frame.to_xy(lon_deg, lat_deg)
        return float(x), float(y)

    def _to_latlon(self, xy: tuple[float, float]) -> LatLon:
        assert self.frame is not None
        lon, lat = self.frame.to_lonlat(xy[0], xy[1])
        return float(lat), float(lon)

    def zone_at(self, lat_deg: float, lon_deg: float) -> NoFlyZone | None:
        """The zone whose grown area (zone plus margin) holds the place, nearest zone first."""
        if not self.zones:
            return None
        p = Point(self._to_xy(lat_deg, lon_deg))
        if not self._blocked.intersects(p):
            return None
        best = min(range(len(self.zones)), key=lambda k: self._xy[k].distance(p))
        return self.zones[best]

    # ---- routes ---------------------------------------------------------------------

    def route(self, start: LatLon, end: LatLon) -> list[LatLon] | None:
        """The shortest path from ``start`` to ``end`` keeping out of every grown zone.

        Both ends included; a straight line when nothing is in the way; None when
        no path exists (an end inside a zone's margin, or walled in). Checked
        before it is given: a route that would enter a zone is never returned.
        """
        if self._router is None:
            return [tuple(start), tuple(end)]
        path = self._router.path(self._to_xy(*start), self._to_xy(*end))
        if path is None:
            return None
        inner = [self._to_latlon(xy) for xy in path[1:-1]]
        route = [tuple(start), *inner, tuple(end)]
        return None if self.crosses(route) else route

    def route_home(self, start: LatLon, home: LatLon) -> list[LatLon] | None:
        """The way home from the air: like :meth:`route`, but a drone already in a
        zone's margin (blown or pushed there) first takes the shortest way out."""
        if self._router is None or self.zone_at(*start) is None:
            return self.route(start, home)
        out = self._nearest_outside(self._to_xy(*start))
        rest = self.route(self._to_latlon(out), home)
        return None if rest is None else [tuple(start), *rest]

    def path_length_m(self, lat1: float, lon1: float, lat2: float, lon2: float) -> float:
        """Length [m] of :meth:`route` (inf when there is none): a ``DistanceFn`` for ETAs."""
        path = self.route((lat1, lon1), (lat2, lon2))
        if path is None:
            return math.inf
        return route_length_m(path)

    def route_to_circle(
        self, start: LatLon, centre: LatLon, radius_m: float
    ) -> list[LatLon] | None:
        """The route from ``start`` to the nearest point of a circle round ``centre``.

        The circle is entered where the route to the centre meets it: on the
        last leg, which is clear, so the shortened route is clear too.
        """
        route = self.route(start, centre)
        if route is None:
            return None
        before = route[-2]
        away = distance_m(*centre, *before)
        if away <= radius_m:
            return route[:-1] if len(route) > 2 else [tuple(start), tuple(start)]
        bearing = bearing_deg(*centre, *before)
        entry = offset(
            centre[0],
            centre[1],
            radius_m * math.cos(math.radians(bearing)),
            radius_m * math.sin(math.radians(bearing)),
        )
        return [*route[:-1], (float(entry[0]), float(entry[1]))]

    def circle_is_clear(self, lat_deg: float, lon_deg: float, radius_m: float) -> bool:
        """True when a circle of ``radius_m`` [m] round the place keeps out of every grown zone."""
        if not self.zones:
            return True
        ring = Point(self._to_xy(lat_deg, lon_deg)).buffer(radius_m, quad_segs=16)
        return not self._blocked.intersects(ring)

    def crosses(self, path: Sequence[LatLon]) -> list[str]:
        """Ids of the zones (not grown) that the polyline ``path`` enters."""
        if not self.zones or len(path) < 2:
            return []
        line = shapely.LineString([self._to_xy(*p) for p in path])
        return [z.id for z, g in zip(self.zones, self._xy, strict=True) if g.intersects(line)]

    # ---- vantage points ----------------------------------------------------------------

    def _nearest_outside(self, xy: tuple[float, float]) -> tuple[float, float]:
        """The point nearest ``xy`` just outside the grown zones (VANTAGE_OFFSET_M beyond)."""
        ring = shapely.buffer(self._blocked, VANTAGE_OFFSET_M, quad_segs=8)
        edge = shapely.boundary(ring)
        nearest = shapely.line_interpolate_point(edge, shapely.line_locate_point(edge, Point(xy)))
        return float(nearest.x), float(nearest.y)

    def vantage(self, lat_deg: float, lon_deg: float, camera_range_m: float) -> Vantage:
        """Where to watch (lat, lon) from.

        Outside every grown zone: the place itself. Inside one: the nearest
        point outside it, when within ``camera_range_m`` [m] of the place;
        else NoSafeVantage says why.
        """
        zone = self.zone_at(lat_deg, lon_deg)
        if zone is None:
            return Vantage(lat_deg, lon_deg, lat_deg, lon_deg)
        xy = self._to_xy(lat_deg, lon_deg)
        spot = self._nearest_outside(xy)
        away = float(np.hypot(spot[0] - xy[0], spot[1] - xy[1]))
        label = zone.name or zone.id
        if away > camera_range_m:
            raise NoSafeVantage(
                f"the place is inside the no-fly zone {label!r} and the nearest safe point "
                f"outside it is {away:.0f} m away, beyond the camera's {camera_range_m:.0f} m range"
            )
        lat, lon = self._to_latlon(spot)
        return Vantage(
            lat, lon, lat_deg, lon_deg, zone.id, zone.name, distance_m(lat, lon, lat_deg, lon_deg)
        )

    # ---- the fence -----------------------------------------------------------------------

    def fence(self) -> Mission:
        """The no-fly zones as the vehicle's exclusion fence (a Mission carrying only a fence).

        The zones themselves, not grown: the fence is the last line, the margin
        is kept by the routes.
        """
        if self.frame is None:
            return Mission(items=())
        rings = tuple(ring_latlon(z, self.frame) for z in self._xy)
        return Mission(items=(), fence_exclusions=rings)


def route_length_m(points: Sequence[LatLon]) -> float:
    """Length [m] of a lat/lon polyline, leg by leg on the ellipsoid."""
    return sum(distance_m(*a, *b) for a, b in itertools.pairwise(points))
