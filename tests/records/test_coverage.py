"""Targets covered are measured from the flown track and the camera swath, not the plan."""

from __future__ import annotations

import json
import math

import pytest

from dronepatrol import geo
from dronepatrol.events import EventBus, EventKind
from dronepatrol.records.coverage import Camera, coverage
from dronepatrol.records.telemetry import track_sample
from records.sortie_script import HOME, ScriptedSortie, square


def _lonlat(n: float, e: float) -> list[float]:
    lat, lon = geo.offset(*HOME, n, e)
    return [lon, lat]


def _grid(target_id: str, n0: float, n1: float, e0: float, e1: float) -> dict:
    ring = [_lonlat(n0, e0), _lonlat(n0, e1), _lonlat(n1, e1), _lonlat(n1, e0), _lonlat(n0, e0)]
    return {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "properties": {"kind": "grid", "id": target_id, "priority": "key"},
    }


def _point(target_id: str, n: float, e: float) -> dict:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": _lonlat(n, e)},
        "properties": {"kind": "point", "id": target_id, "name": f"school {target_id}"},
    }


NETWORK = [
    _grid("G-STRIP", 20, 180, -20, 20),  # under the first leg, narrower than the swath
    _grid("G-MIDDLE", 50, 150, 50, 150),  # inside the square, never under the camera
    _grid("G-EDGE", -50, 50, 50, 150),  # half under the last leg
    {
        "type": "Feature",
        "geometry": {"type": "LineString", "coordinates": [_lonlat(0, 0), _lonlat(200, 0)]},
        "properties": {"kind": "line", "id": "L-ROAD"},
    },
    {
        "type": "Feature",
        "geometry": {"type": "LineString", "coordinates": [_lonlat(0, 0), _lonlat(200, 200)]},
        "properties": {"kind": "line", "id": "L-DIAGONAL"},
    },
    _point("P-ON", 100, 0),
    _point("P-NEAR", 100, 10),
    _point("P-FAR", 100, 100),
    {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": _lonlat(0, 0)},
        "properties": {"kind": "station", "id": "S01"},
    },
]


@pytest.fixture(scope="module")
def track() -> list[dict]:
    script = ScriptedSortie(EventBus(), route=square(200), alt_m=40.0, rate_hz=2.0)
    script.fly()
    samples = [track_sample(e) for e in script.published if e.kind == EventKind.TELEMETRY]
    return [s for s in samples if s is not None and s["armed"]]


def _by_id(results) -> dict:
    return {r.target_id: r for r in results}


def test_coverage_by_the_actual_swath(track) -> None:
    camera = Camera(hfov_deg=70.0)
    half_swath = 40.0 * math.tan(math.radians(35.0))  # 28 m
    planned = ["G-STRIP", "G-MIDDLE", "G-EDGE", "L-ROAD", "P-ON", "P-FAR", "X-UNKNOWN"]
    results = _by_id(coverage(track, NETWORK, camera, planned))
    assert results["G-STRIP"].fraction == pytest.approx(1.0, abs=0.01)
    assert results["G-STRIP"].verdict == "covered"
    assert results["G-MIDDLE"].fraction == 0.0 and results["G-MIDDLE"].verdict == "missed"
    assert results["G-EDGE"].fraction == pytest.approx(2 * half_swath / 100.0, abs=0.02)
    assert results["G-EDGE"].verdict == "partly"
    assert results["L-ROAD"].verdict == "followed"
    assert results["P-ON"].verdict == "seen" and results["P-ON"].seconds_in_view > 4.0
    assert results["P-FAR"].verdict == "missed"
    assert results["X-UNKNOWN"].note == "not in the patrol network"
    # not planned but flown over: reported too, marked unplanned
    assert not results["P-NEAR"].planned and results["P-NEAR"].verdict == "seen"
    diagonal = results["L-DIAGONAL"]
    assert diagonal.verdict == "partly" and not diagonal.planned
    assert "S01" not in results  # stations are not patrol targets


def test_a_narrow_camera_sees_less(track) -> None:
    results = _by_id(coverage(track, NETWORK, Camera(swath_m=10.0), ["G-EDGE", "P-NEAR"]))
    assert results["G-EDGE"].fraction == pytest.approx(0.10, abs=0.01)
    assert results["P-NEAR"].verdict == "missed"


def test_the_camera_counts_only_in_flight() -> None:
    on_ground = [
        {"time_s": float(t), "lat_deg": HOME[0], "lon_deg": HOME[1], "alt_rel_m": 0.5}
        for t in range(10)
    ]
    results = _by_id(coverage(on_ground, NETWORK, Camera(swath_m=50.0), ["P-ON"]))
    assert results["P-ON"].verdict == "missed"


def test_swath_from_altitude_and_fov() -> None:
    assert Camera(hfov_deg=90.0).swath_at(60.0) == pytest.approx(120.0)
    assert Camera(hfov_deg=70.0).swath_at(0.0) == 0.0
    with pytest.raises(ValueError):
        Camera(hfov_deg=0.0)
    with pytest.raises(ValueError):
        Camera(swath_m=-1.0)


def test_camera_and_targets_from_the_planner_files(tmp_path) -> None:
    from dronepatrol.records.coverage import planned_targets

    summary = tmp_path / "summary.json"
    summary.write_text(
        json.dumps(
            {
                "profile": {"swath_width_m": 84.0, "altitude_m": 60.0, "camera_hfov_deg": 70.0},
                "sorties": [
                    {"id": "S01-1", "plan": "S01-1.plan", "targets": ["G001", "P003"]},
                    {"id": "S01-2", "plan": "S01-2.plan", "targets": ["L002"]},
                ],
            }
        )
    )
    assert Camera.from_file(summary) == Camera(hfov_deg=70.0)  # follows the flown altitude
    profile = tmp_path / "profile.toml"
    profile.write_text("name = 'wide'\ncamera_hfov_deg = 90.0\n")
    assert Camera.from_file(profile).swath_at(50.0) == pytest.approx(100.0)
    assert Camera.from_profile({"swath_width_m": 30.0}) == Camera(swath_m=30.0)
    with pytest.raises(ValueError, match="camera_hfov_deg"):
        Camera.from_profile({"cruise_speed_mps": 10.0})
    assert planned_targets(summary, "S01-2") == ["L002"]
    assert planned_targets(summary, "/missions/out/S01-1.plan") == ["G001", "P003"]
    assert planned_targets(summary, "S09-9") == []
