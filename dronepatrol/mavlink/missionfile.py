"""A minimal reader of mission files for ``dronepatrol fly``: ``.waypoints`` and ``.plan``.

Used only when the full reader (:mod:`dronepatrol.missionfiles`) is not
installed. ``.waypoints`` is the QGC WPL 110 text format (Mission Planner,
MAVProxy): one item per line, item 0 the home. ``.plan`` is
QGroundControl's JSON: simple mission items, the planned home, the geofence
polygons and the rally points; complex items (surveys) are refused with a
message saying so.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from dronepatrol.mission import Mission, MissionItem


class MissionFileError(ValueError):
    """A mission file that cannot be flown; the message names the file and the problem."""


def load_mission(path: str | Path) -> Mission:
    """Read a ``.waypoints`` or ``.plan`` file into a :class:`Mission`."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise MissionFileError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise MissionFileError(f"{path}: cannot read: {exc}") from None
    if path.suffix.lower() == ".plan":
        return _load_plan(path, text)
    if path.suffix.lower() in (".waypoints", ".txt", ".mission"):
        return _load_waypoints(path, text)
    raise MissionFileError(f"{path}: unknown mission file type; use .plan or .waypoints")


def _load_waypoints(path: Path, text: str) -> Mission:
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines or not lines[0].startswith("QGC WPL"):
        raise MissionFileError(f"{path}: not a .waypoints file (first line must be 'QGC WPL 110')")
    items: list[MissionItem] = []
    home = None
    for number, line in enumerate(lines[1:], start=2):
        fields = line.split()
        if len(fields) != 12:
            raise MissionFileError(f"{path}:{number}: expected 12 tab-separated fields")
        try:
            seq, _cur, frame, cmd = (int(f) for f in fields[:4])
            p1, p2, p3, p4, lat, lon, alt = (float(f) for f in fields[4:11])
            auto = int(fields[11])
        except ValueError:
            raise MissionFileError(f"{path}:{number}: a field is not a number") from None
        if seq == 0:
            home = (lat, lon, alt)
            continue
        items.append(MissionItem(cmd, frame, p1, p2, p3, p4, lat, lon, alt, bool(auto)))
    if not items:
        raise MissionFileError(f"{path}: the mission has no items after home")
    return Mission(tuple(items), home=home)


def _num(value) -> float:
    return math.nan if value is None else float(value)


def _load_plan(path: Path, text: str) -> Mission:
    try:
        plan = json.loads(text)
        mission = plan["mission"]
    except (json.JSONDecodeError, KeyError, TypeError):
        raise MissionFileError(f"{path}: not a QGroundControl .plan file") from None
    items: list[MissionItem] = []
    for index, raw in enumerate(mission.get("items", []), start=1):
        if raw.get("type") != "SimpleItem":
            raise MissionFileError(
                f"{path}: item {index} is a {raw.get('complexItemType') or raw.get('type')}; "
                "this reader takes simple items only (export the survey as waypoints)"
            )
        p = [_num(v) for v in raw.get("params", [])] + [0.0] * 7
        items.append(
            MissionItem(
                int(raw["command"]),
                int(raw.get("frame", 3)),
                p[0],
                p[1],
                p[2],
                p[3],
                p[4] if not math.isnan(p[4]) else 0.0,
                p[5] if not math.isnan(p[5]) else 0.0,
                p[6] if not math.isnan(p[6]) else 0.0,
                bool(raw.get("autoContinue", True)),
            )
        )
    if not items:
        raise MissionFileError(f"{path}: the mission has no items")
    home = mission.get("plannedHomePosition")
    fence = plan.get("geoFence", {}) or {}
    inclusions, exclusions = [], []
    for polygon in fence.get("polygons", []):
        ring = tuple((float(lat), float(lon)) for lat, lon in polygon["polygon"])
        (inclusions if polygon.get("inclusion", True) else exclusions).append(ring)
    rally = tuple(
        (float(p[0]), float(p[1]), float(p[2]))
        for p in (plan.get("rallyPoints", {}) or {}).get("points", [])
    )
    return Mission(
        tuple(items),
        home=tuple(float(v) for v in home[:3]) if home else None,
        fence_inclusions=tuple(inclusions),
        fence_exclusions=tuple(exclusions),
        rally_points=rally,
    )
