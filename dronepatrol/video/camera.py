"""Camera geometry: intrinsics, gimbal and attitude, pixel <-> flat ground.

One model serves the simulated camera (ground -> image, to render) and the
geotagger (image -> ground, to locate detections), so the two agree by
construction and a ground-truth test measures the detector, not a mismatch.

Frames and conventions:

* World: local NED at the vehicle (x north, y east, z down) [m]; the ground
  is the plane z = ``alt_m`` below the camera (flat ground at home level,
  so ``alt_m`` is the altitude above home, ``Position.alt_rel_m``).
* Body: ArduPilot's attitude, roll/pitch/yaw [deg], rotation order Z-Y-X.
* Gimbal: pitch [deg] 0 = looking ahead, -90 = straight down (nadir);
  yaw [deg] relative to the vehicle's nose. A stabilised gimbal (the usual
  3-axis kind) cancels the vehicle's roll and pitch; a fixed mount does not.
* Camera (OpenCV): x right, y down, z along the optical axis.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from dronepatrol import geo
from dronepatrol.state import VehicleSnapshot

_CAMERA_IN_GIMBAL = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
"""Columns: the camera's x, y, z axes expressed in the gimbal frame (fwd, right, down)."""


_M_PER_DEG_LAT = math.pi * geo.EARTH_RADIUS_M / 180.0


def ne_offset_m(lat0_deg: float, lon0_deg: float, lat_deg, lon_deg) -> tuple:
    """(north, east) [m] from (lat0, lon0) to points [deg]; arrays allowed.

    The same flat-earth scaling as :func:`dronepatrol.geo.ne_offset_m` and
    :func:`dronepatrol.geo.offset`, so the two are exact inverses.
    """
    north = (np.asarray(lat_deg, float) - lat0_deg) * _M_PER_DEG_LAT
    scale = _M_PER_DEG_LAT * max(math.cos(math.radians(lat0_deg)), 1e-9)
    return north, (np.asarray(lon_deg, float) - lon0_deg) * scale


def rot_x(deg: float) -> np.ndarray:
    a = math.radians(deg)
    c, s = math.cos(a), math.sin(a)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def rot_y(deg: float) -> np.ndarray:
    a = math.radians(deg)
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def rot_z(deg: float) -> np.ndarray:
    a = math.radians(deg)
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


@dataclass(frozen=True)
class Intrinsics:
    """A pinhole camera without distortion.

    Attributes:
        width, height: image size [px].
        hfov_deg: horizontal field of view [deg]; square pixels, centred
            principal point.
    """

    width: int = 1280
    height: int = 720
    hfov_deg: float = 70.0

    @property
    def fx(self) -> float:
        """Focal length [px]."""
        return (self.width / 2.0) / math.tan(math.radians(self.hfov_deg) / 2.0)

    @property
    def matrix(self) -> np.ndarray:
        """The 3x3 camera matrix K."""
        f = self.fx
        return np.array([[f, 0.0, self.width / 2.0], [0.0, f, self.height / 2.0], [0.0, 0.0, 1.0]])


@dataclass(frozen=True)
class Gimbal:
    """Where the camera points relative to the vehicle.

    Attributes:
        pitch_deg: 0 ahead, -90 straight down [deg].
        yaw_deg: relative to the vehicle's nose, clockwise positive [deg].
        roll_deg: about the optical axis [deg] (0 for a level gimbal).
        stabilized: True when the gimbal holds the horizon (cancels the
            vehicle's roll and pitch); False for a camera fixed to the frame.
    """

    pitch_deg: float = -90.0
    yaw_deg: float = 0.0
    roll_deg: float = 0.0
    stabilized: bool = True


@dataclass(frozen=True)
class CameraPose:
    """The camera in the world at one instant.

    Attributes:
        lat_deg, lon_deg: the camera's position [deg].
        alt_m: height above the (flat) ground [m].
        rotation: 3x3 world-NED-from-camera rotation.
    """

    lat_deg: float
    lon_deg: float
    alt_m: float
    rotation: np.ndarray

    @classmethod
    def from_angles(
        cls,
        lat_deg: float,
        lon_deg: float,
        alt_m: float,
        heading_deg: float,
        gimbal: Gimbal,
        roll_deg: float = 0.0,
        pitch_deg: float = 0.0,
    ) -> CameraPose:
        """A pose from the vehicle's heading and attitude [deg] and its gimbal."""
        if gimbal.stabilized:
            world_from_gimbal = rot_z(heading_deg + gimbal.yaw_deg) @ rot_y(gimbal.pitch_deg)
        else:
            body = rot_z(heading_deg) @ rot_y(pitch_deg) @ rot_x(roll_deg)
            world_from_gimbal = body @ rot_z(gimbal.yaw_deg) @ rot_y(gimbal.pitch_deg)
        rotation = world_from_gimbal @ rot_x(gimbal.roll_deg) @ _CAMERA_IN_GIMBAL
        return cls(lat_deg, lon_deg, alt_m, rotation)

    @classmethod
    def from_snapshot(cls, snapshot: VehicleSnapshot, gimbal: Gimbal) -> CameraPose | None:
        """The pose of ``gimbal``'s camera on the vehicle of ``snapshot``; None without a fix."""
        if snapshot.position is None:
            return None
        roll, pitch, _yaw = snapshot.attitude_deg
        return cls.from_angles(
            snapshot.position.lat_deg,
            snapshot.position.lon_deg,
            snapshot.position.alt_rel_m,
            snapshot.heading_deg,
            gimbal,
            roll_deg=roll,
            pitch_deg=pitch,
        )


class CameraModel:
    """A camera with known intrinsics at a known pose over flat ground."""

    def __init__(self, intrinsics: Intrinsics, pose: CameraPose) -> None:
        self.intrinsics = intrinsics
        self.pose = pose
        self._k = intrinsics.matrix
        self._k_inv = np.linalg.inv(self._k)

    def rays(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """World-NED ray directions (3, N) through pixels (u, v) [px]."""
        pix = np.vstack([np.atleast_1d(u), np.atleast_1d(v), np.ones(np.size(u))])
        return self.pose.rotation @ (self._k_inv @ pix)

    def pixel_to_ground_ne(self, u, v) -> tuple[np.ndarray, np.ndarray]:
        """(north, east) [m] from the camera to where pixels (u, v) see the ground.

        NaN where the ray does not meet the ground (at or above the horizon).
        """
        d = self.rays(np.asarray(u, float), np.asarray(v, float))
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(d[2] > 1e-6, self.pose.alt_m / d[2], np.nan)
        return t * d[0], t * d[1]

    def pixel_to_lonlat(self, u, v) -> tuple[np.ndarray, np.ndarray]:
        """(lon, lat) [deg] of the ground seen at pixels (u, v); NaN above the horizon."""
        north, east = self.pixel_to_ground_ne(u, v)
        lat, lon = geo.offset(self.pose.lat_deg, self.pose.lon_deg, north, east)
        return np.asarray(lon), np.asarray(lat)

    def ground_ne_to_pixel(self, north, east) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(u, v, in_front) of ground points (north, east) [m] from the camera."""
        north = np.atleast_1d(np.asarray(north, float))
        east = np.atleast_1d(np.asarray(east, float))
        world = np.vstack([north, east, np.full(north.shape, self.pose.alt_m)])
        cam = self._k @ (self.pose.rotation.T @ world)
        in_front = cam[2] > 1e-6
        with np.errstate(divide="ignore", invalid="ignore"):
            return cam[0] / cam[2], cam[1] / cam[2], in_front

    def lonlat_to_pixel(self, lon, lat) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(u, v, in_front) of ground points at (lon, lat) [deg]."""
        north, east = ne_offset_m(self.pose.lat_deg, self.pose.lon_deg, lat, lon)
        return self.ground_ne_to_pixel(north, east)

    def ground_homography(self) -> np.ndarray:
        """3x3 H mapping ground (east, north, 1) [m, from the camera] to image pixels."""
        # p ~ K R^T (X - C), X = (north, east, 0) in NED, C = (0, 0, -alt).
        select = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, self.pose.alt_m]])
        return self._k @ self.pose.rotation.T @ select

    def horizon(self) -> np.ndarray:
        """Line coefficients (a, b, c): a*u + b*v + c > 0 where pixels see the ground."""
        return (self.pose.rotation @ self._k_inv)[2]

    def centre_lonlat(self) -> tuple[float, float] | None:
        """(lon, lat) [deg] of the ground at the image centre; None above the horizon."""
        lon, lat = self.pixel_to_lonlat(self.intrinsics.width / 2.0, self.intrinsics.height / 2.0)
        if not np.isfinite(lon[0]):
            return None
        return float(lon[0]), float(lat[0])

    def ground_sample_m(self) -> float:
        """Ground size of one pixel at the image centre [m/px] (NaN above the horizon)."""
        cu, cv = self.intrinsics.width / 2.0, self.intrinsics.height / 2.0
        n, e = self.pixel_to_ground_ne(np.array([cu, cu + 1.0]), np.array([cv, cv]))
        return float(math.hypot(n[1] - n[0], e[1] - e[0]))
