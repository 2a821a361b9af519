"""A planned sortie near no-fly zones goes up and verifies, on the embedded simulator and on
real ArduCopter SITL when configured: DO_ items read back with frame 0, the no-fly circles
as NAV_FENCE_CIRCLE_EXCLUSION items, the whole fence within ArduCopter's fence storage."""

from __future__ import annotations

import math

from dronepatrol.events import EventBus
from dronepatrol.geo import offset
from dronepatrol.mavlink import Link, wait_ready
from dronepatrol.mission import Cmd, MissionType
from dronepatrol.network import parse_network
from dronepatrol.planning import plan_sorties


def _lonlat(home, north_m: float, east_m: float) -> list[float]:
    lat, lon = offset(home.lat_deg, home.lon_deg, north_m, east_m)
    return [round(lon, 8), round(lat, 8)]


def _feature(kind: str, fid: str, geometry: dict, **props) -> dict:
    return {
        "type": "Feature",
        "properties": {"kind": kind, "id": fid, **props},
        "geometry": geometry,
    }


def _round_zone(home, north_m: float, east_m: float, radius_m: float) -> dict:
    ring = [
        _lonlat(
            home,
            north_m + radius_m * math.cos(2 * math.pi * k / 32),
            east_m + radius_m * math.sin(2 * math.pi * k / 32),
        )
        for k in range(32)
    ]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def planned_sortie(home):
    """The first sortie of a station between two round no-fly zones (as in issue 13)."""
    box = [(200, 200), (200, 500), (450, 500), (450, 200)]
    ring = [_lonlat(home, n, e) for n, e in box]
    data = {
        "type": "FeatureCollection",
        "features": [
            _feature(
                "station",
                "S1",
                {"type": "Point", "coordinates": _lonlat(home, 0, 0)},
                elevation_m=home.alt_m,
            ),
            _feature("grid", "G1", {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}),
            _feature("point", "P1", {"type": "Point", "coordinates": _lonlat(home, 300, -250)}),
            _feature("nofly", "NF1", _round_zone(home, 330, -430, 90)),
            _feature("nofly", "NF2", _round_zone(home, 80, 420, 60)),
        ],
    }
    network, issues = parse_network(data)
    assert not [i for i in issues if i.severity == "error"], issues
    return plan_sorties(network).sorties[0]


def test_a_planned_sortie_near_no_fly_zones_uploads_and_verifies(launch_vehicle):
    backend = launch_vehicle()
    sortie = planned_sortie(backend.home)
    mission = sortie.mission
    assert len(mission.fence_exclusion_circles) == 2
    assert any(it.command == Cmd.DO_SET_ROI_NONE for it in mission.items)
    link = Link(backend.url, EventBus()).start()
    try:
        vehicle = link.wait_vehicle(timeout_s=60)
        # As fly and the scheduler do: ArduCopter answers "Only 0 items are supported"
        # to an upload while it is still booting.
        wait_ready(vehicle, 120)
        vehicle.mission.upload(mission)  # verifies each list by reading it back
        fence = vehicle.mission.download(MissionType.FENCE)
        assert [it.command for it in fence].count(Cmd.NAV_FENCE_CIRCLE_EXCLUSION) == 2
        got = vehicle.mission.download(MissionType.MISSION)
        assert len(got) == len(mission.items) + 1
    finally:
        link.close()
