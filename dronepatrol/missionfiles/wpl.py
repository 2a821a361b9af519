"""``QGC WPL 110`` waypoint files, as QGroundControl, Mission Planner and MAVProxy read them.

One header line ``QGC WPL 110``, then one tab-separated line per item:
seq, current, frame, command, param1..param4, lat, lon, alt, autocontinue.
Line 0 is the home position (frame 0: altitude above mean sea level); the
mission's items follow from seq 1. The format holds mission items only: the
fence and rally points live in the ``.plan`` file.
"""

from __future__ import annotations

from dronepatrol.mission import Cmd, Frame, Mission, MissionItem
from dronepatrol.missionfiles.errors import MissionFileError

HEADER = "QGC WPL 110"


def _fmt(value: float) -> str:
    value = float(value)
    return f"{value:.1f}" if value.is_integer() else repr(value)


def waypoints_text(mission: Mission) -> str:
    """The ``.waypoints`` file contents of ``mission`` (item 0 is home)."""
    lat, lon, alt = mission.home if mission.home is not None else (0.0, 0.0, 0.0)
    lines = [HEADER]
    rows = [(1, Frame.GLOBAL, Cmd.NAV_WAYPOINT, (0.0, 0.0, 0.0, 0.0), lat, lon, alt, True)]
    rows += [
        (
            0,
            it.frame,
            it.command,
            (it.param1, it.param2, it.param3, it.param4),
            it.lat_deg,
            it.lon_deg,
            it.alt_m,
            it.autocontinue,
        )
        for it in mission.items
    ]
    for seq, (current, frame, command, params, la, lo, al, auto) in enumerate(rows):
        fields = [
            str(seq),
            str(current),
            str(int(frame)),
            str(int(command)),
            *(_fmt(p) for p in params),
            f"{la:.8f}",
            f"{lo:.8f}",
            f"{al:.6f}",
            str(int(bool(auto))),
        ]
        lines.append("\t".join(fields))
    return "\n".join(lines) + "\n"


def read_waypoints_text(text: str, source: str = "waypoints") -> Mission:
    """The mission in ``.waypoints`` contents; item 0 becomes the home position."""
    lines = [(n, line.strip()) for n, line in enumerate(text.splitlines(), 1)]
    lines = [(n, line) for n, line in lines if line and not line.startswith("#")]
    if not lines or not lines[0][1].startswith("QGC WPL"):
        raise MissionFileError(f"{source}: not a waypoint file (first line must be {HEADER!r})")
    version = lines[0][1].split()[-1]
    if version not in ("110", "120"):
        raise MissionFileError(f"{source}: waypoint file version {version} is not supported")
    home = None
    items = []
    for expected, (n, line) in enumerate(lines[1:]):
        fields = line.split()
        if len(fields) != 12:
            raise MissionFileError(f"{source}: line {n}: expected 12 values, found {len(fields)}")
        try:
            seq, _current, frame, command = (int(v) for v in fields[:4])
            p1, p2, p3, p4, lat, lon, alt = (float(v) for v in fields[4:11])
            auto = int(fields[11])
        except ValueError as exc:
            raise MissionFileError(f"{source}: line {n}: {exc}") from exc
        if seq != expected:
            raise MissionFileError(
                f"{source}: line {n}: sequence number {seq}, expected {expected}"
            )
        if seq == 0:
            home = (lat, lon, alt)
            continue
        items.append(
            MissionItem(
                command=command,
                frame=frame,
                param1=p1,
                param2=p2,
                param3=p3,
                param4=p4,
                lat_deg=lat,
                lon_deg=lon,
                alt_m=alt,
                autocontinue=bool(auto),
            )
        )
    return Mission(items=tuple(items), home=home)
