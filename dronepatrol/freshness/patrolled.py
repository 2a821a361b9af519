"""The patrolled rules: did a flown track really image a grid, line or point?

A target counts as patrolled from what the camera saw along the flown track,
never from the plan:

* a point when it stayed inside the camera footprint for its dwell time;
* a line when at least 90 % of its length was imaged;
* a grid when at least 95 % of its flyable area (outside no-fly zones) was imaged.

The footprint is that of a nadir camera (the patrol camera's default) at the
sample's height above home, rotated with the heading; between two samples the
camera sweeps the convex hull of their footprints. Work happens in a local
metric frame (:class:`dronepatrol.geo.LocalFrame`) centred on the track.

:func:`judge` applies the rules to every target of a patrol network: it is the
one place that says what a sortie patrolled, for the freshness keeper and for
the sortie report alike.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import shapely
from shapely.geometry import LineString, MultiPolygon, Point, Polygon

from dronepatrol.geo import LocalFrame
from dronepatrol.network.model import Kind, Network, Target

if TYPE_CHECKING:
    from dronepatrol.planning import DroneProfile

LINE_IMAGED_FRACTION = 0.90
"""Share of a line's length that must be imaged for it to count as patrolled."""

GRID_IMAGED_FRACTION = 0.95
"""Share of a grid's flyable area that must be imaged for it to count as patrolled."""

MIN_IMAGING_ALT_M = 5.0
"""Below this height above home [m] the camera is not patrolling (take-off, landing)."""

DEFAULT_DWELL_S = 20.0
"""A point's dwell time when the network gives none [s] (the drone profile's default)."""


@dataclass(frozen=True)
class TrackSample:
    """One recorded position.

    Attributes: time [s since epoch], lat/lon [deg], height above home [m], heading [deg].
    """

    time_s: float
    lat_deg: float
    lon_deg: float
    alt_rel_m: float
    heading_deg: float


@dataclass(frozen=True)
class Camera:
    """A nadir patrol camera's horizontal and vertical field of view [deg].

    The horizontal side of the image lies across the track.
    """

    hfov_deg: float = 70.0
    vfov_deg: float = 50.0

    @classmethod
    def of_profile(cls, profile: DroneProfile) -> Camera:
        """The camera of a drone profile (its ``camera_hfov_deg`` and ``camera_vfov_deg``).

        >>> from dronepatrol.planning import DroneProfile
        >>> Camera.of_profile(DroneProfile(camera_hfov_deg=90.0))
        Camera(hfov_deg=90.0, vfov_deg=55.0)
        """
        return cls(hfov_deg=profile.camera_hfov_deg, vfov_deg=profile.camera_vfov_deg)

    def footprint_m(self, alt_m: float) -> tuple[float, float]:
        """(across-track width, along-track length) [m] of the ground seen from ``alt_m``."""
        return (
            2 * alt_m * math.tan(math.radians(self.hfov_deg) / 2),
            2 * alt_m * math.tan(math.radians(self.vfov_deg) / 2),
        )


@dataclass(frozen=True)
class PatrolCheck:
    """The verdict for one target.

    Attributes:
        patrolled: the rule for its kind is met.
        imaged: what was seen: fraction of length (line) or flyable area (grid),
            or seconds inside the footprint over the whole track (point).
        at_s: when the visit completed [s since epoch]: the moment a point's
            dwell was reached, or the last sample that imaged a line or grid;
            None when it was never seen.
    """

    patrolled: bool
    imaged: float
    at_s: float | None


class TrackCoverage:
    """What one flown track imaged, ready to judge targets against.

    >>> import dronepatrol.geo as geo
    >>> lat0, lon0 = -35.0, 149.0
    >>> north = [geo.offset(lat0, lon0, t * 10.0, 0.0) for t in range(31)]  # 10 m/s north
    >>> samples = [TrackSample(t, lat, lon, 60.0, 0.0) for t, (lat, lon) in enumerate(north)]
    >>> coverage = TrackCoverage(samples, Camera())
    >>> coverage.check_point(*geo.offset(lat0, lon0, 150.0, 20.0), dwell_s=3).patrolled
    True
    """

    def __init__(self, samples: Sequence[TrackSample], camera: Camera) -> None:
        self.camera = camera
        self._samples = [s for s in samples if s.alt_rel_m >= MIN_IMAGING_ALT_M]
        self._samples.sort(key=lambda s: s.time_s)
        if self._samples:
            first = self._samples[0]
            self.frame = LocalFrame(first.lat_deg, first.lon_deg)
        else:
            self.frame = LocalFrame(0.0, 0.0)
        xs, ys = self.frame.to_xy(
            [s.lon_deg for s in self._samples], [s.lat_deg for s in self._samples]
        )
        self._footprints = [
            self._footprint(x, y, s.alt_rel_m, s.heading_deg)
            for x, y, s in zip(xs, ys, self._samples, strict=True)
        ]
        sweeps = [
            shapely.convex_hull(shapely.union(a, b))
            for a, b in itertools.pairwise(self._footprints)
        ] or self._footprints
        self._sweeps = sweeps
        self._sweep_end_s = [s.time_s for s in self._samples[1:]] or [
            s.time_s for s in self._samples
        ]
        self.swath = shapely.union_all(sweeps) if sweeps else Polygon()
        shapely.prepare(self.swath)

    def _footprint(self, x: float, y: float, alt_m: float, heading_deg: float) -> Polygon:
        width, length = self.camera.footprint_m(alt_m)
        h = math.radians(heading_deg)
        along = (math.sin(h), math.cos(h))  # unit vector of the heading, x east, y north
        across = (math.cos(h), -math.sin(h))
        corners = []
        for a, c in ((1, 1), (1, -1), (-1, -1), (-1, 1)):
            corners.append(
                (
                    x + a * along[0] * length / 2 + c * across[0] * width / 2,
                    y + a * along[1] * length / 2 + c * across[1] * width / 2,
                )
            )
        return Polygon(corners)

    def _last_seen_s(self, geometry: shapely.Geometry) -> float | None:
        seen = [
            t
            for sweep, t in zip(self._sweeps, self._sweep_end_s, strict=True)
            if sweep.intersects(geometry)
        ]
        return max(seen) if seen else None

    def check_point(self, lat_deg: float, lon_deg: float, dwell_s: float) -> PatrolCheck:
        """A point is patrolled when it stayed in the footprint for ``dwell_s`` [s] in all.

        Time between two consecutive samples counts when the point is inside
        both footprints. ``imaged`` is the whole time in view [s]; ``at_s`` the
        moment the dwell was reached (the first sight when ``dwell_s`` is 0).
        """
        point = Point(*self.frame.to_xy(lon_deg, lat_deg))
        inside = [footprint.covers(point) for footprint in self._footprints]
        times = [sample.time_s for sample in self._samples]
        seen_s = 0.0
        at_s = next((t for t, seen in zip(times, inside, strict=True) if seen), None)
        if dwell_s > 0:
            at_s = None
        for k in range(len(inside) - 1):
            if inside[k] and inside[k + 1]:
                seen_s += times[k + 1] - times[k]
                if at_s is None and seen_s >= dwell_s:
                    at_s = times[k + 1]
        return PatrolCheck(at_s is not None, seen_s, at_s)

    def check_line(self, line_lonlat: LineString) -> PatrolCheck:
        """A line is patrolled when >= 90 % of its length was imaged."""
        line = self.frame.geometry_to_xy(line_lonlat)
        if line.length == 0:
            raise ValueError("a line needs a length: give it two distinct points")
        fraction = shapely.intersection(line, self.swath).length / line.length
        at = self._last_seen_s(line) if fraction > 0 else None
        return PatrolCheck(fraction >= LINE_IMAGED_FRACTION, fraction, at)

    def check_grid(
        self, grid_lonlat: Polygon | MultiPolygon, nofly_lonlat: Sequence[Polygon] = ()
    ) -> PatrolCheck:
        """A grid is patrolled when >= 95 % of its flyable area (outside no-fly) was imaged."""
        grid = self.frame.geometry_to_xy(grid_lonlat)
        if nofly_lonlat:
            grid = grid.difference(
                shapely.union_all([self.frame.geometry_to_xy(p) for p in nofly_lonlat])
            )
        if grid.area == 0:
            return PatrolCheck(False, 0.0, None)
        fraction = shapely.intersection(grid, self.swath).area / grid.area
        at = self._last_seen_s(grid) if fraction > 0 else None
        return PatrolCheck(fraction >= GRID_IMAGED_FRACTION, fraction, at)

    def judge(self, network: Network) -> dict[str, PatrolCheck]:
        """Every target of ``network`` by its rule, by target id.

        A point without a dwell time of its own needs :data:`DEFAULT_DWELL_S`;
        a grid's flyable area leaves out the network's no-fly zones.
        """
        nofly = [zone.geometry for zone in network.nofly]
        out: dict[str, PatrolCheck] = {}
        for target in network.targets:
            check = self.check(target, nofly)
            if check is not None:
                out[target.id] = check
        return out

    def check(self, target: Target, nofly: Sequence[Polygon] = ()) -> PatrolCheck | None:
        """One target by its rule; None when its geometry does not fit its kind."""
        geometry = target.geometry
        if target.kind == Kind.POINT and isinstance(geometry, Point):
            dwell = target.dwell_s if target.dwell_s is not None else DEFAULT_DWELL_S
            return self.check_point(geometry.y, geometry.x, dwell)
        if target.kind == Kind.LINE and isinstance(geometry, LineString):
            return self.check_line(geometry)
        if target.kind == Kind.GRID and isinstance(geometry, Polygon | MultiPolygon):
            return self.check_grid(geometry, nofly)  # a grid's section may be in parts
        return None


def judge(
    network: Network, samples: Sequence[TrackSample], camera: Camera
) -> dict[str, PatrolCheck]:
    """Every target of ``network`` judged against one flown track, by target id."""
    return TrackCoverage(samples, camera).judge(network)
