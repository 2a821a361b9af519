"""Geofence and the safety check every mission passes before anything is written.

The fence of a station is one inclusion polygon around everything its sorties
fly (convex hull of the tracks and orbits, grown by ``fence_margin_m``) and
the no-fly zones near it as exclusion polygons. :func:`check_mission` then
reads the mission back from its lat/lon items (what the vehicle will fly) and
lists every breach: altitude limit, positions or legs in a no-fly zone,
anything outside the inclusion fence or inside an exclusion.
"""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry import LineString, MultiPoint, Point, Polygon

from dronepatrol.geo import LocalFrame
from dronepatrol.mission import Cmd, LatLon, Mission

FENCE_SIMPLIFY_M = 5.0
"""Tolerance when simplifying the inclusion polygon: the vehicle stores few vertices [m]."""


def convex_hull(points_xy: np.ndarray) -> Polygon:
    """The convex hull [m] of points (n, 2): Andrew's monotone chain.

    Computed here rather than by GEOS, whose hull of a few dozen points (a long thin
    spread with a small orbit circle at one end) came out non-convex and too small,
    so that a track between two of the points left the fence built on it.
    """
    pts = np.unique(np.asarray(points_xy, dtype=float).reshape(-1, 2), axis=0)
    if len(pts) < 3:
        return MultiPoint(pts).buffer(1e-3, quad_segs=1) if len(pts) else Polygon()

    def cross(o: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
        return float((a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]))

    def chain(ordered: np.ndarray) -> list[np.ndarray]:
        out: list[np.ndarray] = []
        for p in ordered:
            while len(out) >= 2 and cross(out[-2], out[-1], p) <= 0:
                out.pop()
            out.append(p)
        return out

    lower, upper = chain(pts), chain(pts[::-1])
    ring = lower[:-1] + upper[:-1]
    hull = Polygon(ring) if len(ring) >= 3 else None
    # all on one line, or so nearly that the hull has no area: a polygon of zero area
    # buffers with flat ends (the fence would end at the first and last waypoint), so
    # it is the segment between the two points furthest apart instead
    if hull is None or hull.area <= 1e-9 * max(1.0, hull.length) ** 2:
        corners = np.asarray(ring)
        gaps = np.linalg.norm(corners[:, None, :] - corners[None, :, :], axis=-1)
        i, j = np.unravel_index(int(np.argmax(gaps)), gaps.shape)
        return LineString(corners[[i, j]]).buffer(1e-3, quad_segs=1)
    return hull


def fence_polygon(points_xy: np.ndarray, margin_m: float) -> Polygon:
    """The inclusion fence [m]: hull of ``points_xy`` grown by about ``margin_m``, few vertices.

    The hull is simplified (by up to FENCE_SIMPLIFY_M) and grown by the margin plus that
    tolerance with coarse round corners, so the fence keeps at least 90 % of the margin
    everywhere while the vehicle stores few vertices.
    """
    hull = convex_hull(points_xy)
    margin = max(margin_m, 1.0)
    # the hull of the simplified hull: simplifying can fold a thin hull over itself;
    # its corners are the hull's own, so their hull is within the tolerance of it
    simple = shapely.simplify(hull, FENCE_SIMPLIFY_M)
    core = convex_hull(shapely.get_coordinates(simple)) if not simple.is_empty else hull
    fence = shapely.buffer(core, margin + FENCE_SIMPLIFY_M, quad_segs=2)
    if not fence.covers(shapely.buffer(hull, 0.9 * margin, quad_segs=2)):
        fence = shapely.buffer(hull, margin, quad_segs=4)
    return fence


def ring_latlon(polygon: Polygon, frame: LocalFrame) -> tuple[LatLon, ...]:
    """A polygon's exterior [m] as (lat, lon) vertices without the closing repeat."""
    xy = np.asarray(polygon.exterior.coords)[:-1]
    lon, lat = frame.to_lonlat(xy[:, 0], xy[:, 1])
    return tuple(
        (round(a, 7), round(o, 7)) for a, o in zip(lat.tolist(), lon.tolist(), strict=True)
    )


def _poly_xy(ring: tuple[LatLon, ...], frame: LocalFrame) -> Polygon:
    lat = np.array([p[0] for p in ring])
    lon = np.array([p[1] for p in ring])
    x, y = frame.to_xy(lon, lat)
    return Polygon(np.column_stack([x, y]))


def check_mission(
    mission: Mission,
    frame: LocalFrame,
    nofly: list[tuple[str, Polygon]],
    max_altitude_m: float,
) -> list[str]:
    """Every safety breach in ``mission`` (empty when it is safe to write and fly).

    Args:
        mission: the mission as it will be uploaded.
        frame: the local frame the no-fly polygons are in.
        nofly: (zone id, polygon [m]) of every no-fly zone.
        max_altitude_m: highest altitude allowed above home [m].
    """
    problems: list[str] = []
    items = mission.items
    if not items or items[0].command != Cmd.NAV_TAKEOFF:
        problems.append("the mission does not start with a take-off")
    if not items or items[-1].command not in (Cmd.NAV_LAND, Cmd.NAV_RETURN_TO_LAUNCH):
        problems.append("the mission does not end with a landing or RTL")
    if mission.home is None:
        problems.append("the mission has no planned home")
        return problems
    nav = [(k + 1, it) for k, it in enumerate(items) if it.is_nav and it.has_position]
    for seq, it in enumerate(items, 1):
        if it.has_position and it.alt_m > max_altitude_m + 1e-6:
            problems.append(f"item {seq} at {it.alt_m:g} m is above the {max_altitude_m:g} m limit")
    lat = np.array([mission.home[0]] + [it.lat_deg for _, it in nav])
    lon = np.array([mission.home[1]] + [it.lon_deg for _, it in nav])
    x, y = frame.to_xy(lon, lat)
    xy = np.column_stack([x, y])
    seqs = [0] + [s for s, _ in nav]
    points = shapely.points(xy)
    legs = shapely.linestrings(np.stack([xy[:-1], xy[1:]], axis=1)) if len(xy) > 1 else []
    circles = [
        (s, Point(xy[i + 1]).buffer(it.param3, quad_segs=16))
        for i, (s, it) in enumerate(nav)
        if it.command == Cmd.NAV_LOITER_TURNS and it.param3 != 0
    ]
    for zone_id, zone in nofly:
        shapely.prepare(zone)  # no-op when already prepared
        for k in np.flatnonzero(shapely.intersects(zone, points)).tolist():
            problems.append(f"item {seqs[k]} is inside no-fly {zone_id}")
        if len(legs):
            for k in np.flatnonzero(shapely.intersects(zone, legs)).tolist():
                problems.append(f"leg {seqs[k]}->{seqs[k + 1]} crosses no-fly {zone_id}")
        for s, circle in circles:
            if zone.intersects(circle):
                problems.append(f"orbit of item {s} enters no-fly {zone_id}")
    if mission.fence_inclusions:
        fence = shapely.union_all([_poly_xy(r, frame) for r in mission.fence_inclusions])
        shapely.prepare(fence)
        track = LineString(xy) if len(xy) > 1 else Point(xy[0])
        if not fence.covers(track):
            problems.append("the flight path leaves the inclusion fence")
        for s, circle in circles:
            if not fence.covers(circle):
                problems.append(f"orbit of item {s} leaves the inclusion fence")
    else:
        problems.append("the mission has no inclusion fence")
    exclusions = [_poly_xy(ring, frame) for ring in mission.fence_exclusions]
    for lat_c, lon_c, radius in mission.fence_exclusion_circles:
        cx, cy = frame.to_xy(np.array([lon_c]), np.array([lat_c]))
        exclusions.append(Point(float(cx[0]), float(cy[0])).buffer(radius, quad_segs=16))
    for excl in exclusions:
        for k in np.flatnonzero(shapely.intersects(excl, points)).tolist():
            problems.append(f"item {seqs[k]} is inside an exclusion fence")
        if len(legs) and shapely.intersects(excl, legs).any():
            problems.append("the flight path crosses an exclusion fence")
    return problems
