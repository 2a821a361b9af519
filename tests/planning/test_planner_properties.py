"""Random small networks: whatever the layout, every sortie is safe or the target is skipped."""

from __future__ import annotations

import math

import numpy as np
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from planning_helpers import collection, feature, point, polygon
from shapely.geometry import LineString

from dronepatrol.geo import LocalFrame
from dronepatrol.network import parse_network
from dronepatrol.planning import load_profile, plan_sorties
from dronepatrol.planning.safety import check_mission

coord = st.floats(-1500, 1500)


@st.composite
def networks(draw):
    feats = [feature("station", "S1", point(0, 0))]
    zones = []
    for k in range(draw(st.integers(0, 3))):
        n, e = draw(coord), draw(coord)
        if math.hypot(n, e) < 300:
            continue  # keep the station clear
        h, w = draw(st.floats(60, 400)), draw(st.floats(60, 400))
        corners = [(n, e), (n + h, e), (n + h, e + w), (n, e + w)]
        feats.append(feature("nofly", f"NF{k}", polygon(corners)))
        zones.append(corners)
    for k in range(draw(st.integers(1, 8))):
        feats.append(
            feature(
                "point",
                f"P{k}",
                point(draw(coord), draw(coord)),
                orbit_radius_m=draw(st.sampled_from([0.0, 30.0])),
            )
        )
    for k in range(draw(st.integers(0, 2))):
        n, e = draw(coord), draw(coord)
        r = draw(st.floats(80, 300))
        corners = [
            (n + r * math.sin(a), e + r * math.cos(a) * (1.0 if j % 2 else 0.5))
            for j, a in enumerate(np.linspace(0, 2 * math.pi, 7)[:-1])
        ]
        feats.append(feature("grid", f"G{k}", polygon(corners)))
    for k in range(draw(st.integers(0, 2))):
        pts = [(draw(coord), draw(coord)) for _ in range(draw(st.integers(2, 4)))]
        feats.append(
            feature(
                "line",
                f"L{k}",
                {"type": "LineString", "coordinates": [point(n, e)["coordinates"] for n, e in pts]},
            )
        )
    return collection(*feats)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks())
def test_random_networks_plan_safely(data) -> None:
    network, issues = parse_network(data)
    if [i for i in issues if i.severity == "error"]:
        return  # e.g. a random line folded onto itself
    profile = load_profile()
    result = plan_sorties(network, profile)  # raises PlanningError on any unsafe mission
    frame = LocalFrame(*network.centre())
    zones = [(z.id, frame.geometry_to_xy(z.geometry)) for z in network.nofly]
    flown = {t for s in result.sorties for t in s.targets}
    for tid, status in result.targets.items():
        assert status.status in ("planned", "skipped", "partial")
        assert (tid in flown) == (status.status != "skipped")
        if status.status == "skipped":
            assert status.reason
    for sortie in result.sorties:
        assert check_mission(sortie.mission, frame, zones, profile.max_altitude_m) == []
        track = frame.geometry_to_xy(LineString([(o, a) for a, o, _ in sortie.track]))
        for _, zone in zones:
            assert shapely.distance(track, zone) >= profile.nofly_margin_m - 0.5
        assert sortie.energy_frac <= profile.usable_battery_frac
