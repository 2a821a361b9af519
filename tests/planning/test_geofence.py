"""Fences that fit the vehicle: circles for round no-fly zones, simplification one way only,
and a fence too big for the vehicle's storage reported by the planner, zone by zone."""

from __future__ import annotations

import dataclasses
import math

import pytest
import shapely
from planning_helpers import collection, feature, point, polygon
from shapely.geometry import Point, Polygon

from dronepatrol.fence_storage import SITL_COPTER_4_7, FenceCapacity, fence_misfit
from dronepatrol.geo import LocalFrame
from dronepatrol.mission import Cmd
from dronepatrol.network import parse_network
from dronepatrol.planning import PlanningError, load_profile, plan_sorties
from dronepatrol.planning.geofence import FENCE_TOLERANCE_M, exclusion_shape
from dronepatrol.planning.safety import check_mission


def round_zone(n: float, e: float, radius_m: float, vertices: int = 32):
    """A zone drawn as a polygon of ``vertices`` around a centre, as map tools draw circles."""
    return [
        (
            n + radius_m * math.cos(2 * math.pi * k / vertices),
            e + radius_m * math.sin(2 * math.pi * k / vertices),
        )
        for k in range(vertices)
    ]


def network_near_no_fly_zones():
    """The layout of issue 13: a station, targets, two round no-fly zones and a square one."""
    data = collection(
        feature("station", "S1", point(0, 0)),
        feature("grid", "G1", polygon([(200, 200), (200, 600), (500, 600), (500, 200)])),
        feature("point", "P1", point(350, -300)),
        feature("nofly", "NF-ROUND-1", polygon(round_zone(350, -480, 90))),
        feature("nofly", "NF-ROUND-2", polygon(round_zone(100, 420, 60))),
        feature("nofly", "NF-SQUARE", polygon([(560, 300), (560, 420), (660, 420), (660, 300)])),
    )
    network, issues = parse_network(data)
    assert not [i for i in issues if i.severity == "error"], issues
    return network


def test_round_no_fly_zones_go_as_circles_and_the_fence_fits_the_vehicle():
    network = network_near_no_fly_zones()
    result = plan_sorties(network)
    frame = LocalFrame(*network.centre())
    zones = {z.id: frame.geometry_to_xy(z.geometry) for z in network.nofly}
    assert result.sorties
    for sortie in result.sorties:
        mission = sortie.mission
        assert fence_misfit(mission, SITL_COPTER_4_7) == ""
        circles = [
            it for it in mission.fence_items() if it.command == Cmd.NAV_FENCE_CIRCLE_EXCLUSION
        ]
        assert len(circles) == 2  # the two round zones, 13 bytes each instead of 258
        assert len(mission.fence_exclusions) == 1  # the square stays a square
        # every zone is covered by what is uploaded: a no-fly zone never shrinks
        uploaded = [Polygon(frame_xy(frame, ring)) for ring in mission.fence_exclusions]
        for lat, lon, radius in mission.fence_exclusion_circles:
            (centre,) = frame_xy(frame, [(lat, lon)])
            uploaded.append(Point(centre).buffer(radius, quad_segs=64))
        for zone_id, zone in zones.items():
            cover = [u for u in uploaded if u.covers(zone)]
            assert cover, f"{zone_id} is not covered by any uploaded exclusion"
            assert shapely.hausdorff_distance(cover[0], zone) <= FENCE_TOLERANCE_M + 1
        nofly = [(z, p) for z, p in zones.items()]
        assert check_mission(mission, frame, nofly, 120.0) == []


def frame_xy(frame: LocalFrame, ring):
    import numpy as np

    lat = np.array([p[0] for p in ring])
    lon = np.array([p[1] for p in ring])
    x, y = frame.to_xy(lon, lat)
    return list(zip(x.tolist(), y.tolist(), strict=True))


def test_a_fence_too_big_for_the_vehicle_is_a_planning_problem_naming_the_zones():
    network = network_near_no_fly_zones()
    small = dataclasses.replace(load_profile(), fence_storage_bytes=128.0)
    with pytest.raises(PlanningError) as caught:
        plan_sorties(network, small)
    text = str(caught.value)
    assert "station S1: the fence needs" in text
    assert "the vehicle stores 16 items and 128 bytes" in text
    for zone_id in ("NF-ROUND-1", "NF-ROUND-2", "NF-SQUARE"):
        assert zone_id in text


def test_an_exclusion_polygon_is_only_ever_simplified_outwards():
    jagged = Point(0, 0).buffer(300, quad_segs=40)  # a 160-vertex circle
    bumpy = Polygon(
        [
            (r * math.cos(a), r * math.sin(a))
            for k in range(120)
            for a, r in [(2 * math.pi * k / 120, 300 + (60 if k % 20 < 10 else 0))]
        ]
    )
    for zone in (jagged, bumpy):
        shape = exclusion_shape("Z", zone)
        assert shape.geometry.covers(zone)
        assert shapely.hausdorff_distance(shape.geometry, zone) <= FENCE_TOLERANCE_M + 1
    assert exclusion_shape("Z", bumpy).circle is None
    assert exclusion_shape("Z", bumpy).vertices < 120


def test_capacity_counts_items_and_bytes_as_ardupilot_does():
    assert SITL_COPTER_4_7.items == 70 and SITL_COPTER_4_7.bytes == 560
    assert FenceCapacity(256).items == 32


def test_exclusion_circles_survive_a_plan_file_and_inclusion_circles_are_refused():
    from dronepatrol.missionfiles import MissionFileError
    from dronepatrol.missionfiles.qgc_plan import parse_plan, plan_document, read_plan_text

    (sortie, *_) = plan_sorties(network_near_no_fly_zones()).sorties
    document = plan_document(sortie.mission)
    again = read_plan_text(__import__("json").dumps(document))
    assert again.fence_exclusion_circles == sortie.mission.fence_exclusion_circles
    assert again.fence_items() == sortie.mission.fence_items()
    document["geoFence"]["circles"][0]["inclusion"] = True
    with pytest.raises(MissionFileError, match="geoFence circle 1: inclusion circles"):
        parse_plan(document)


def test_the_inclusion_fence_shrinks_to_fit_and_never_grows():
    from dronepatrol.planning.geofence import station_fence

    frame = LocalFrame(-35.36, 149.16)
    fence = Point(0, 0).buffer(300, quad_segs=16)  # 64 vertices: 514 bytes
    zones = [("NF1", Polygon([(100, 100), (100, 150), (150, 150), (150, 100)]))]
    roomy = station_fence(fence, zones, frame, SITL_COPTER_4_7)
    assert len(roomy.inclusion) == 64 and roomy.bytes == 553 and not roomy.problems
    tight = station_fence(fence, zones, frame, FenceCapacity(300))
    assert not tight.problems and tight.bytes <= 300 and len(tight.inclusion) < 64
    inner = Polygon(frame_xy(frame, tight.inclusion))
    assert fence.buffer(0.05).covers(inner)
    assert shapely.hausdorff_distance(inner, fence) <= FENCE_TOLERANCE_M + 1


def test_the_fence_arducopter_refused_at_the_pad_is_refused_before_upload_and_fits_as_circles():
    """Issue 13's sortie: a 28-vertex inclusion and two 32-vertex no-fly polygons (92 items)."""
    from pathlib import Path

    import numpy as np

    from dronepatrol.missionfiles import load_mission

    data = Path(__file__).resolve().parents[1] / "data" / "ardupilot-4.7"
    mission = load_mission(data / "sortie-as-planned.plan")
    why = fence_misfit(mission, SITL_COPTER_4_7)
    assert why.startswith("the fence needs 92 items and 747 bytes")
    frame = LocalFrame(*mission.home[:2])
    shapes = [
        exclusion_shape(f"zone {k}", Polygon(frame_xy(frame, ring)))
        for k, ring in enumerate(mission.fence_exclusions)
    ]
    assert all(s.circle is not None for s in shapes)
    circles = []
    for s in shapes:
        lon, lat = frame.to_lonlat(np.array([s.circle[0]]), np.array([s.circle[1]]))
        circles.append((float(lat[0]), float(lon[0]), s.circle[2]))
    fitted = dataclasses.replace(
        mission, fence_exclusions=(), fence_exclusion_circles=tuple(circles)
    )
    assert fence_misfit(fitted, SITL_COPTER_4_7) == ""
    assert len(fitted.fence_items()) == 30


def test_a_fence_round_waypoints_in_a_near_straight_line_keeps_its_margin_at_the_ends() -> None:
    """Three waypoints a hair off one line make a hull of zero area, which buffers with flat
    ends: the fence then ran through the first and last waypoint (found by the random
    network test). Every waypoint keeps at least 90 % of the margin."""
    import numpy as np

    from dronepatrol.planning.safety import fence_polygon

    points = np.array(
        [
            [-327.36745727623537, -29.905681916144946],
            [-132.14827300398719, -29.902814606718458],
            [63.07091126826103, -29.89994729729197],
        ]
    )
    fence = fence_polygon(points, 150.0)
    for x, y in points:
        assert fence.exterior.distance(shapely.Point(x, y)) >= 0.9 * 150.0
