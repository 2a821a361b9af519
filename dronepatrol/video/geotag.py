"""Geotagging: where on the ground each detection is.

A detection's box centre is cast as a ray through the camera model
(intrinsics, gimbal angles, vehicle attitude, height above home) onto flat
ground at home level. Objects seen straight down sit at their box centre;
seen obliquely, a standing person's box centre is about half their height
above the ground, so the tag lands slightly beyond them (about
``height / 2 / tan(depression angle)``). The error grows where the ground is
not flat or not at home level; altitude above home is what the autopilot
reports, so hills under the drone bias the tag.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dronepatrol.video.camera import CameraModel, ne_offset_m
from dronepatrol.video.detectors import Detection


@dataclass(frozen=True)
class GroundFix:
    """A detection's ground position.

    Attributes:
        lon_deg, lat_deg: WGS-84 [deg].
        north_m, east_m: from the reference point given to :func:`geotag` [m].
    """

    lon_deg: float
    lat_deg: float
    north_m: float
    east_m: float


def geotag(
    detections: list[Detection], model: CameraModel, reference: tuple[float, float]
) -> list[GroundFix | None]:
    """Ground positions of ``detections`` (None for any above the horizon).

    ``reference`` is a (lat, lon) [deg] origin for the metric ``north_m`` /
    ``east_m`` the tracker uses, fixed for the whole stream.
    """
    if not detections:
        return []
    centres = np.array([d.centre for d in detections], float)
    lon, lat = model.pixel_to_lonlat(centres[:, 0], centres[:, 1])
    north, east = ne_offset_m(reference[0], reference[1], lat, lon)
    return [
        GroundFix(float(lo), float(la), float(n), float(e)) if np.isfinite(lo) else None
        for lo, la, n, e in zip(lon, lat, north, east, strict=True)
    ]
