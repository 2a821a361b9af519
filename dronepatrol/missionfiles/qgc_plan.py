"""QGroundControl ``.plan`` files (JSON): mission, geofence and rally points.

The layout follows QGroundControl's plan file format (file version 1, mission
version 2, geofence version 2, rally version 2): ``plannedHomePosition`` is
[lat, lon, alt AMSL], each mission item is a ``SimpleItem`` whose ``params``
are param1..param4, lat, lon, alt; fence polygons are lists of [lat, lon] with
an ``inclusion`` flag; rally points are [lat, lon, alt relative to home].
"""

from __future__ import annotations

import json
import math
from typing import Any

from dronepatrol.mission import Frame, Mission, MissionItem
from dronepatrol.missionfiles.errors import MissionFileError

FIRMWARE_ARDUPILOT = 3
"""MAV_AUTOPILOT_ARDUPILOTMEGA."""

VEHICLE_QUADROTOR = 2
"""MAV_TYPE_QUADROTOR."""

ALTITUDE_MODE_RELATIVE = 1
"""QGroundControl's altitude mode for altitudes relative to home."""


def plan_document(
    mission: Mission, cruise_speed_mps: float = 10.0, hover_speed_mps: float = 5.0
) -> dict[str, Any]:
    """The ``.plan`` JSON document of ``mission``."""
    items = []
    for seq, item in enumerate(mission.items, 1):
        entry: dict[str, Any] = {
            "autoContinue": bool(item.autocontinue),
            "command": int(item.command),
            "doJumpId": seq,
            "frame": int(item.frame),
            "params": [
                item.param1,
                item.param2,
                item.param3,
                item.param4,
                item.lat_deg,
                item.lon_deg,
                item.alt_m,
            ],
            "type": "SimpleItem",
        }
        if item.frame == Frame.GLOBAL_RELATIVE_ALT and item.is_nav:
            entry["AMSLAltAboveTerrain"] = None
            entry["Altitude"] = item.alt_m
            entry["AltitudeMode"] = ALTITUDE_MODE_RELATIVE
        items.append(entry)
    home = list(mission.home) if mission.home is not None else [0.0, 0.0, 0.0]
    polygons = [
        {"inclusion": inclusion, "polygon": [[lat, lon] for lat, lon in ring], "version": 1}
        for inclusion, rings in (
            (True, mission.fence_inclusions),
            (False, mission.fence_exclusions),
        )
        for ring in rings
    ]
    circles = [
        {"circle": {"center": [lat, lon], "radius": radius}, "inclusion": False, "version": 1}
        for lat, lon, radius in mission.fence_exclusion_circles
    ]
    return {
        "fileType": "Plan",
        "geoFence": {"circles": circles, "polygons": polygons, "version": 2},
        "groundStation": "DronePatrol",
        "mission": {
            "cruiseSpeed": cruise_speed_mps,
            "firmwareType": FIRMWARE_ARDUPILOT,
            "globalPlanAltitudeMode": ALTITUDE_MODE_RELATIVE,
            "hoverSpeed": hover_speed_mps,
            "items": items,
            "plannedHomePosition": home,
            "vehicleType": VEHICLE_QUADROTOR,
            "version": 2,
        },
        "rallyPoints": {"points": [list(p) for p in mission.rally_points], "version": 2},
        "version": 1,
    }


def plan_text(mission: Mission, **speeds: float) -> str:
    """The ``.plan`` file contents (indented JSON)."""
    return json.dumps(plan_document(mission, **speeds), indent=4) + "\n"


def _num(value: Any, where: str) -> float:
    if value is None:  # QGroundControl writes NaN ("leave unchanged") as null
        return 0.0
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MissionFileError(f"{where}: {value!r} is not a number")
    return float(value)


def _latlon_list(points: Any, where: str, size: int) -> list[tuple[float, ...]]:
    if not isinstance(points, list):
        raise MissionFileError(f"{where}: expected a list of points")
    out = []
    for k, p in enumerate(points):
        if not isinstance(p, list) or len(p) < size:
            raise MissionFileError(f"{where}[{k}]: expected [lat, lon{', alt' * (size > 2)}]")
        out.append(tuple(_num(v, f"{where}[{k}]") for v in p[:size]))
    return out


def _circle(entry: Any, where: str) -> tuple[float, float, float]:
    """(lat, lon, radius [m]) of an exclusion circle; inclusion circles are refused."""
    if not isinstance(entry, dict) or not isinstance(entry.get("circle"), dict):
        raise MissionFileError(f'{where}: expected {{"circle": {{"center", "radius"}}}}')
    if entry.get("inclusion", True):
        raise MissionFileError(
            f"{where}: inclusion circles are not supported; draw the inclusion fence as a polygon"
        )
    (centre,) = _latlon_list([entry["circle"].get("center")], where, 2)
    radius = _num(entry["circle"].get("radius"), f"{where}: radius")
    if not (math.isfinite(radius) and radius > 0):
        raise MissionFileError(f"{where}: the radius must be a positive number of metres")
    return centre[0], centre[1], radius


def parse_plan(document: Any, source: str = "plan") -> Mission:
    """The mission in a parsed ``.plan`` document; MissionFileError says what is wrong."""
    if not isinstance(document, dict) or document.get("fileType") != "Plan":
        raise MissionFileError(f'{source}: not a QGroundControl plan (no "fileType": "Plan")')
    mission = document.get("mission")
    if not isinstance(mission, dict) or not isinstance(mission.get("items"), list):
        raise MissionFileError(f"{source}: no mission items")
    items = []
    for k, entry in enumerate(mission["items"]):
        where = f"{source}: mission item {k + 1}"
        if not isinstance(entry, dict):
            raise MissionFileError(f"{where}: not an object")
        if entry.get("type") != "SimpleItem":
            raise MissionFileError(
                f"{where}: {entry.get('complexItemType') or entry.get('type')!r} items are not "
                "supported; in QGroundControl convert survey/corridor items to waypoints first"
            )
        params = entry.get("params")
        if not isinstance(params, list) or len(params) != 7:
            raise MissionFileError(f"{where}: 'params' must hold 7 values")
        p = [_num(v, where) for v in params]
        if not isinstance(entry.get("command"), int) or not isinstance(entry.get("frame"), int):
            raise MissionFileError(f"{where}: 'command' and 'frame' must be integers")
        items.append(
            MissionItem(
                command=entry["command"],
                frame=entry["frame"],
                param1=p[0],
                param2=p[1],
                param3=p[2],
                param4=p[3],
                lat_deg=p[4],
                lon_deg=p[5],
                alt_m=p[6],
                autocontinue=bool(entry.get("autoContinue", True)),
            )
        )
    home = mission.get("plannedHomePosition")
    home_t = None
    if home is not None:
        (home_t,) = _latlon_list([home], f"{source}: plannedHomePosition", 3)
    fence = document.get("geoFence") or {}
    inclusions, exclusions = [], []
    circles = [
        _circle(c, f"{source}: geoFence circle {k + 1}")
        for k, c in enumerate(fence.get("circles") or [])
    ]
    for k, poly in enumerate(fence.get("polygons") or []):
        where = f"{source}: geoFence polygon {k + 1}"
        if not isinstance(poly, dict):
            raise MissionFileError(f"{where}: not an object")
        ring = tuple(_latlon_list(poly.get("polygon"), where, 2))
        if len(ring) < 3:
            raise MissionFileError(f"{where}: a fence polygon needs at least 3 vertices")
        (inclusions if poly.get("inclusion", True) else exclusions).append(ring)
    rally = document.get("rallyPoints") or {}
    points = _latlon_list(rally.get("points") or [], f"{source}: rallyPoints", 3)
    for v in home_t or ():
        if not math.isfinite(v):
            raise MissionFileError(f"{source}: plannedHomePosition is not finite")
    return Mission(
        items=tuple(items),
        home=home_t,  # type: ignore[arg-type]
        fence_inclusions=tuple(inclusions),
        fence_exclusions=tuple(exclusions),
        fence_exclusion_circles=tuple(circles),
        rally_points=tuple(points),  # type: ignore[arg-type]
    )


def read_plan_text(text: str, source: str = "plan") -> Mission:
    """The mission in ``.plan`` file contents."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MissionFileError(
            f"{source}: not JSON ({exc.msg} at line {exc.lineno}); a QGroundControl .plan is JSON"
        ) from exc
    return parse_plan(document, source)
