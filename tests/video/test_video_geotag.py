"""Camera geometry and geotagging with geometry worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from video_support import LAT0, LON0, snapshot_at

from dronepatrol import geo
from dronepatrol.video.camera import CameraModel, CameraPose, Gimbal, Intrinsics
from dronepatrol.video.detectors import Detection
from dronepatrol.video.geotag import geotag

INTR = Intrinsics(1280, 720, 90.0)  # fx = 640: the image edge is 45 deg off-axis


NADIR = Gimbal()


def model(alt=100.0, heading=0.0, gimbal=NADIR, roll=0.0, pitch=0.0) -> CameraModel:
    pose = CameraPose.from_angles(LAT0, LON0, alt, heading, gimbal, roll_deg=roll, pitch_deg=pitch)
    return CameraModel(INTR, pose)


def ground(m: CameraModel, u: float, v: float) -> tuple[float, float]:
    north, east = m.pixel_to_ground_ne(u, v)
    return float(north[0]), float(east[0])


def test_nadir_centre_is_straight_below() -> None:
    assert ground(model(), 640, 360) == pytest.approx((0.0, 0.0), abs=1e-9)


def test_nadir_image_right_is_the_vehicles_right() -> None:
    # Heading north: the right edge (45 deg off-axis) is 100 m east at 100 m altitude.
    assert ground(model(), 1280, 360) == pytest.approx((0.0, 100.0), abs=1e-6)
    # The top of the image is ahead of the vehicle: 360 px = atan(360/640) off-axis.
    assert ground(model(), 640, 0) == pytest.approx((100 * 360 / 640, 0.0), abs=1e-6)
    # Heading east: the right edge is south, the top is east.
    assert ground(model(heading=90.0), 1280, 360) == pytest.approx((-100.0, 0.0), abs=1e-6)
    assert ground(model(heading=90.0), 640, 0) == pytest.approx((0.0, 56.25), abs=1e-6)


def test_oblique_gimbal_centre_lies_ahead() -> None:
    # Pitched 45 deg down at 100 m: the centre ray meets the ground 100 m ahead.
    assert ground(model(gimbal=Gimbal(pitch_deg=-45.0)), 640, 360) == pytest.approx(
        (100.0, 0.0), abs=1e-6
    )
    # 30 deg down, gimbal yawed 90 deg right of the nose: 100/tan(30) m to the east.
    g = Gimbal(pitch_deg=-30.0, yaw_deg=90.0)
    assert ground(model(gimbal=g), 640, 360) == pytest.approx((0.0, 100 / math.tan(math.pi / 6)))


def test_above_the_horizon_has_no_ground() -> None:
    m = model(gimbal=Gimbal(pitch_deg=-10.0))
    north, _ = m.pixel_to_ground_ne(640, 0)  # 10 deg down minus ~29 deg up: sky
    assert math.isnan(north[0])
    assert m.centre_lonlat() is not None
    assert model(gimbal=Gimbal(pitch_deg=0.0)).centre_lonlat() is None


def test_fixed_mount_follows_attitude_but_stabilised_gimbal_does_not() -> None:
    fixed = Gimbal(stabilized=False)
    # Rolled 10 deg right: a down-looking fixed camera looks 100*tan(10) m to the left (west).
    north, east = ground(model(gimbal=fixed, roll=10.0), 640, 360)
    assert north == pytest.approx(0.0, abs=1e-9)
    assert east == pytest.approx(-100 * math.tan(math.radians(10)))
    # Pitched 10 deg nose-up: the belly, and the camera, turn to face ahead.
    assert ground(model(gimbal=fixed, pitch=10.0), 640, 360)[0] == pytest.approx(
        100 * math.tan(math.radians(10))
    )
    # A stabilised gimbal holds the ground under the vehicle.
    assert ground(model(roll=10.0, pitch=10.0), 640, 360) == pytest.approx((0, 0), abs=1e-9)


def test_pixel_to_ground_and_back_round_trip() -> None:
    m = model(alt=80.0, heading=33.0, gimbal=Gimbal(pitch_deg=-60.0, yaw_deg=10.0))
    rng = np.random.default_rng(0)
    u, v = rng.uniform(0, 1280, 50), rng.uniform(200, 720, 50)
    lon, lat = m.pixel_to_lonlat(u, v)
    u2, v2, front = m.lonlat_to_pixel(lon, lat)
    assert front.all()
    assert np.allclose(u2, u, atol=1e-6) and np.allclose(v2, v, atol=1e-6)


def test_ground_homography_matches_projection() -> None:
    m = model(alt=60.0, heading=120.0, gimbal=Gimbal(pitch_deg=-50.0))
    east, north = 12.0, 40.0
    p = m.ground_homography() @ np.array([east, north, 1.0])
    u, v, _ = m.ground_ne_to_pixel(north, east)
    assert p[0] / p[2] == pytest.approx(u[0]) and p[1] / p[2] == pytest.approx(v[0])


def test_geotag_a_detection_from_a_vehicle_snapshot() -> None:
    # 60 m up, heading north, nadir; a box centred 200 px right of centre on a
    # 1280x720 70-degree camera: 200 * 60 / fx metres east.
    snapshot = snapshot_at(0.0, 0.0, 60.0, heading_deg=0.0, attitude_deg=(4.0, -3.0, 0.0))
    pose = CameraPose.from_snapshot(snapshot, Gimbal())
    intr = Intrinsics(1280, 720, 70.0)
    m = CameraModel(intr, pose)
    det = Detection("person", 0.9, (830, 350, 20, 20))
    (fix,) = geotag([det], m, (LAT0, LON0))
    expected_east = 200 * 60 / intr.fx
    assert fix.east_m == pytest.approx(expected_east, abs=1e-3)
    assert fix.north_m == pytest.approx(0.0, abs=1e-3)
    lat, lon = geo.offset(LAT0, LON0, 0.0, expected_east)
    assert geo.distance_m(fix.lat_deg, fix.lon_deg, lat, lon) < 0.01
    assert CameraPose.from_snapshot(snapshot_at(0, 0, 60, position=None), Gimbal()) is None
