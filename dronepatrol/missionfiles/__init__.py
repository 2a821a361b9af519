"""Mission files: QGroundControl ``.plan`` and ``QGC WPL 110`` ``.waypoints``, both ways.

:func:`load_mission` reads either kind into a :class:`dronepatrol.mission.Mission`
(raising :class:`MissionFileError` with the file, place and fix);
:func:`save_mission` writes one, the kind chosen by the file's suffix. Pure
Python: no pymavlink here (the tests use pymavlink's own reader to check the
files).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from dronepatrol.mission import Mission
from dronepatrol.missionfiles.errors import MissionFileError
from dronepatrol.missionfiles.qgc_plan import parse_plan, plan_document, plan_text, read_plan_text
from dronepatrol.missionfiles.wpl import read_waypoints_text, waypoints_text

PLAN_SUFFIX = ".plan"
WAYPOINTS_SUFFIXES = (".waypoints", ".txt", ".mission")


def load_mission(path: str | Path) -> Mission:
    """The mission in a ``.plan`` or ``.waypoints`` file (told apart by their contents)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise MissionFileError(f"{path}: file not found; give a .plan or .waypoints file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise MissionFileError(f"{path}: cannot read it ({exc})") from exc
    if text.lstrip().startswith("QGC WPL"):
        return read_waypoints_text(text, path.name)
    if text.lstrip().startswith("{"):
        return read_plan_text(text, path.name)
    raise MissionFileError(
        f"{path.name}: neither a QGroundControl .plan (JSON) nor a QGC WPL 110 .waypoints file"
    )


def save_mission(mission: Mission, path: str | Path, cruise_speed_mps: float = 10.0) -> Path:
    """Write ``mission`` to ``path`` (``.plan`` or ``.waypoints``), atomically."""
    path = Path(path)
    if path.suffix == PLAN_SUFFIX:
        text = plan_text(mission, cruise_speed_mps=cruise_speed_mps)
    elif path.suffix in WAYPOINTS_SUFFIXES:
        text = waypoints_text(mission)
    else:
        raise MissionFileError(f"{path.name}: use a .plan or .waypoints file name")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


__all__ = [
    "MissionFileError",
    "load_mission",
    "parse_plan",
    "plan_document",
    "plan_text",
    "read_plan_text",
    "read_waypoints_text",
    "save_mission",
    "waypoints_text",
]
