"""The fence a station's sorties upload, made to fit the vehicle's fence storage.

Stages: the no-fly zones the sorties can reach (those touching the
inclusion fence) -> each as the cheapest shape that still covers it: a
circle (one 13-byte item) when the zone is round to within
``FENCE_TOLERANCE_M``, else its polygon, simplified outwards when that saves
vertices -> the storage it needs against the vehicle's
(:mod:`dronepatrol.fence_storage`) -> when it does not fit, the inclusion
polygon simplified inwards -> what still does not fit is a planning problem
naming the zones, never a refusal at the pad.

Every simplification keeps safety one way: an exclusion shape always
covers its zone (a no-fly zone never shrinks) and a simplified inclusion
polygon always lies inside the one it replaces (the flyable area never grows).
Geometry is in the planner's local frame [m].
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely.geometry import Point, Polygon

from dronepatrol.fence_storage import FenceCapacity, fence_bytes
from dronepatrol.geo import LocalFrame
from dronepatrol.mission import LatLon
from dronepatrol.planning.safety import ring_latlon

FENCE_TOLERANCE_M = 10.0
"""How far a fence shape may stand beyond the zone it replaces (exclusions grow, the
inclusion fence shrinks, by at most this) [m]."""

CIRCLE_SLACK_M = 0.5
"""Added to an exclusion circle's radius for lat/lon rounding and ArduPilot's flat-earth
distances [m]."""

ROUNDING_SLACK_M = 0.05
"""Exclusion polygons grow by this before their vertices are rounded to the vehicle's
1e-7 deg (about 1 cm), so rounding never moves an edge into the zone [m]."""


@dataclass(frozen=True)
class ExclusionShape:
    """How one no-fly zone goes to the vehicle: a circle or a polygon [m, local frame]."""

    zone_id: str
    polygon: Polygon | None = None
    circle: tuple[float, float, float] | None = None
    """(x [m], y [m], radius [m])."""

    @property
    def vertices(self) -> int:
        return 0 if self.polygon is None else len(self.polygon.exterior.coords) - 1

    @property
    def geometry(self) -> Polygon:
        if self.polygon is not None:
            return self.polygon
        x, y, r = self.circle  # type: ignore[misc]
        return Point(x, y).buffer(r, quad_segs=16)

    def describe(self) -> str:
        if self.circle is not None:
            return f"no-fly {self.zone_id} (circle of {self.circle[2]:.0f} m)"
        return f"no-fly {self.zone_id} ({self.vertices} vertices)"


@dataclass(frozen=True)
class StationFence:
    """The fence of one station's sorties, in lat/lon, and what keeps it from fitting."""

    inclusion: tuple[LatLon, ...]
    exclusions: tuple[tuple[LatLon, ...], ...]
    circles: tuple[tuple[float, float, float], ...]
    """(lat [deg], lon [deg], radius [m]) of each exclusion circle."""
    bytes: int
    items: int
    problems: tuple[str, ...] = field(default=())


def exclusion_shape(
    zone_id: str, zone: Polygon, tolerance_m: float = FENCE_TOLERANCE_M
) -> ExclusionShape:
    """The cheapest shape that covers ``zone`` and stands at most ``tolerance_m`` beyond it.

    >>> round_zone = Point(0, 0).buffer(100, quad_segs=8)  # a 32-vertex "circle"
    >>> exclusion_shape("NF1", round_zone).circle is not None
    True
    >>> square = Polygon([(0, 0), (100, 0), (100, 100), (0, 100)])
    >>> exclusion_shape("NF2", square).vertices
    4
    """
    centre = shapely.centroid(shapely.minimum_bounding_circle(zone))
    ring = np.asarray(zone.exterior.coords)
    radius = float(np.max(np.hypot(ring[:, 0] - centre.x, ring[:, 1] - centre.y)))
    radius = float(np.ceil((radius + CIRCLE_SLACK_M) * 10) / 10)
    disc = centre.buffer(radius, quad_segs=32)
    if disc.covers(zone) and shapely.hausdorff_distance(disc, zone, densify=0.1) <= tolerance_m:
        return ExclusionShape(zone_id, circle=(centre.x, centre.y, radius))
    simpler = shapely.simplify(
        shapely.buffer(zone, tolerance_m / 2, join_style="mitre"), tolerance_m / 2
    )
    if (
        isinstance(simpler, Polygon)
        and simpler.is_valid
        and simpler.covers(zone)
        and len(simpler.exterior.coords) < len(zone.exterior.coords)
    ):
        return ExclusionShape(zone_id, polygon=shapely.normalize(simpler))
    return ExclusionShape(zone_id, polygon=_grown(zone))


def _grown(zone: Polygon) -> Polygon:
    """``zone`` grown by ROUNDING_SLACK_M with its corners kept (same vertices when convex)."""
    grown = shapely.buffer(zone, ROUNDING_SLACK_M, join_style="mitre")
    if isinstance(grown, Polygon) and len(grown.exterior.coords) == len(zone.exterior.coords):
        return grown
    return zone


def _inside_simplified(fence: Polygon, tolerance_m: float) -> Polygon | None:
    """``fence`` simplified inwards: inside ``fence``, at most ``tolerance_m`` from it."""
    inner = shapely.buffer(fence, -tolerance_m / 2, join_style="mitre")
    simpler = shapely.simplify(inner, tolerance_m / 2)
    if isinstance(simpler, Polygon) and simpler.is_valid and fence.covers(simpler):
        return simpler
    return None


def station_fence(
    fence: Polygon,
    zones_xy: list[tuple[str, Polygon]],
    frame: LocalFrame,
    capacity: FenceCapacity,
    flown: shapely.Geometry | None = None,
    tolerance_m: float = FENCE_TOLERANCE_M,
) -> StationFence:
    """The fence to upload: inclusion ``fence`` and the no-fly zones it reaches, fitted.

    Args:
        fence: the inclusion polygon [m] (see :func:`~.safety.fence_polygon`).
        zones_xy: (zone id, polygon [m]) of every no-fly zone.
        frame: the local frame of the geometry.
        capacity: the vehicle's fence storage.
        flown: tracks and orbits [m]; an exclusion circle that would touch them is
            sent as the zone's polygon instead.
        tolerance_m: how far a simplified shape may move from what it replaces [m].
    """
    shapes = []
    for zone_id, zone in zones_xy:
        if not zone.intersects(fence):
            continue  # no sortie of this fence can reach it
        shape = exclusion_shape(zone_id, zone, tolerance_m)
        if shape.circle is not None and flown is not None and shape.geometry.intersects(flown):
            shape = ExclusionShape(zone_id, polygon=_grown(zone))
        shapes.append(shape)
    polygons = [s for s in shapes if s.polygon is not None]
    n_circles = len(shapes) - len(polygons)

    def cost(inclusion: Polygon) -> tuple[int, int]:
        sizes = [len(inclusion.exterior.coords) - 1] + [s.vertices for s in polygons]
        return sum(sizes) + n_circles, fence_bytes(sizes, n_circles)

    def fits(inclusion: Polygon) -> bool:
        items, need = cost(inclusion)
        return items <= capacity.items and need <= capacity.bytes

    if not fits(fence):
        smaller = _inside_simplified(fence, tolerance_m)
        if smaller is not None and (flown is None or smaller.covers(flown)) and fits(smaller):
            fence = smaller
    items, need = cost(fence)
    problems: list[str] = []
    if items > capacity.items or need > capacity.bytes:
        parts = [f"inclusion fence ({len(fence.exterior.coords) - 1} vertices)"]
        parts += [s.describe() for s in shapes]
        problems.append(
            f"the fence needs {items} items and {need} bytes, the vehicle stores "
            f"{capacity.items} items and {capacity.bytes} bytes: {', '.join(parts)}; "
            "raise fence_storage_bytes in the drone profile if the vehicle has more, "
            "or plan fewer targets per station near these zones"
        )
    circles = []
    for s in shapes:
        if s.circle is not None:
            x, y, r = s.circle
            lon, lat = frame.to_lonlat(np.array([x]), np.array([y]))
            circles.append((round(float(lat[0]), 7), round(float(lon[0]), 7), r))
    return StationFence(
        inclusion=ring_latlon(fence, frame),
        exclusions=tuple(ring_latlon(s.polygon, frame) for s in polygons),  # type: ignore[arg-type]
        circles=tuple(circles),
        bytes=need,
        items=items,
        problems=tuple(problems),
    )
