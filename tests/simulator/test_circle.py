"""CIRCLE mode: ArduCopter's orbit (AC_Circle), which the controller's orbit falls back to."""

from __future__ import annotations

import itertools
import math

import pytest

from dronepatrol import geo

pytestmark = pytest.mark.timeout(120)


def test_circle_orbits_a_centre_ahead_at_its_radius_nose_inwards(make_fleet, connect) -> None:
    fleet = make_fleet(speedup=10)
    gcs = connect(fleet.urls[0])
    gcs.wait_ready(timeout=60)
    gcs.set_param("CIRCLE_RADIUS", 3000)  # [cm]
    gcs.set_param("CIRCLE_RATE", 20)  # [deg/s], clockwise
    gcs.set_mode("GUIDED")
    gcs.arm()
    gcs.takeoff(20)
    start = gcs.wait("GLOBAL_POSITION_INT", timeout=5)
    heading = math.radians(start.hdg / 100.0)
    centre = geo.offset(
        start.lat / 1e7, start.lon / 1e7, 30 * math.cos(heading), 30 * math.sin(heading)
    )
    gcs.set_mode("CIRCLE")
    samples = []
    while len(samples) < 60:  # ~15 s of simulated flight at 4 Hz
        samples.append(gcs.wait("GLOBAL_POSITION_INT", timeout=5))
    settled = samples[12:]
    radii = [geo.distance_m(m.lat / 1e7, m.lon / 1e7, *centre) for m in settled]
    assert all(25 <= r <= 35 for r in radii), radii
    bearings = [geo.bearing_deg(*centre, m.lat / 1e7, m.lon / 1e7) for m in settled]
    swept = sum((b - a + 540) % 360 - 180 for a, b in itertools.pairwise(bearings))
    assert swept > 120, f"went round only {swept:.0f} deg"  # clockwise: bearings increase
    assert all(abs(m.relative_alt / 1000 - 20) < 1.5 for m in settled)
    for m in settled[-10:]:
        facing = geo.bearing_deg(m.lat / 1e7, m.lon / 1e7, *centre)
        assert abs((m.hdg / 100.0 - facing + 540) % 360 - 180) < 25, "nose on the centre"
    gcs.wait_mode("CIRCLE", timeout=5)
