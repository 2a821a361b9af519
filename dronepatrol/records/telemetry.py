"""The telemetry event: how a vehicle snapshot travels on the event bus.

The link publishes one :data:`~dronepatrol.events.EventKind.TELEMETRY` event
per new snapshot it wants recorded or shown (at least 2 Hz while armed), built
with :func:`telemetry_event`; the recorder turns each into a track sample with
:func:`track_sample`, and the web app can rebuild the snapshot with
:func:`snapshot_from_dict`. This module is pure (no database), so the link
imports it freely.

The event's ``data`` is ``{"snapshot": snapshot_as_dict(snapshot)}``: plain
JSON values, enums as their values, tuples as lists.

>>> from dronepatrol.state import Position, VehicleSnapshot
>>> snap = VehicleSnapshot("1", armed=True, mode="AUTO", time_s=100.0,
...                        position=Position(-35.36, 149.16, 600.0, 30.0))
>>> event = telemetry_event(snap)
>>> event.kind, event.vehicle_id, event.time_s
(<EventKind.TELEMETRY: 'telemetry'>, '1', 100.0)
>>> sample = track_sample(event)
>>> sample["lat_deg"], sample["alt_rel_m"], sample["mode"]
(-35.36, 30.0, 'AUTO')
>>> snapshot_from_dict(event.data["snapshot"]) == snap
True
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from dronepatrol.events import Event, EventKind
from dronepatrol.state import (
    Battery,
    LandedState,
    LinkState,
    MissionProgress,
    Position,
    VehicleSnapshot,
)

SNAPSHOT_KEY = "snapshot"
"""The key of a TELEMETRY event's data that holds the snapshot dict."""


def snapshot_as_dict(snapshot: VehicleSnapshot) -> dict[str, Any]:
    """``snapshot`` as JSON-ready values (field names as in :class:`VehicleSnapshot`)."""
    out = asdict(snapshot)
    out["link"] = snapshot.link.value
    out["landed_state"] = int(snapshot.landed_state)
    out["velocity_ned_mps"] = list(snapshot.velocity_ned_mps)
    out["attitude_deg"] = list(snapshot.attitude_deg)
    out["statustexts"] = list(snapshot.statustexts)
    return out


def snapshot_from_dict(data: Mapping[str, Any]) -> VehicleSnapshot:
    """The :class:`VehicleSnapshot` that :func:`snapshot_as_dict` gave ``data`` for.

    Unknown keys are ignored (a newer link may add fields); missing ones take
    the snapshot's defaults.
    """
    known = VehicleSnapshot.__dataclass_fields__
    values: dict[str, Any] = {k: v for k, v in data.items() if k in known}
    if "link" in values:
        values["link"] = LinkState(values["link"])
    if "landed_state" in values:
        values["landed_state"] = LandedState(int(values["landed_state"]))
    for name in ("position", "home"):
        if isinstance(values.get(name), Mapping):
            values[name] = Position(**values[name])
    if isinstance(values.get("battery"), Mapping):
        values["battery"] = Battery(**values["battery"])
    if isinstance(values.get("mission"), Mapping):
        values["mission"] = MissionProgress(**values["mission"])
    for name in ("velocity_ned_mps", "attitude_deg", "statustexts"):
        if name in values:
            values[name] = tuple(values[name])
    return VehicleSnapshot(**values)


def telemetry_event(snapshot: VehicleSnapshot) -> Event:
    """The TELEMETRY event for ``snapshot``, timed at the snapshot's ``time_s``."""
    return Event(
        kind=EventKind.TELEMETRY,
        vehicle_id=snapshot.vehicle_id,
        data={SNAPSHOT_KEY: snapshot_as_dict(snapshot)},
        time_s=snapshot.time_s or time.time(),
    )


def _float(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def track_sample(event: Event) -> dict[str, Any] | None:
    """A track sample's columns from a TELEMETRY event, or None without a position.

    Reads the snapshot dict under :data:`SNAPSHOT_KEY`; a flat data dict with
    the same names (``lat_deg``, ``lon_deg``, ``alt_rel_m``, ...) is accepted
    too, for simple publishers.
    """
    data = event.data
    snap = data.get(SNAPSHOT_KEY)
    if isinstance(snap, Mapping):
        position = snap.get("position") or {}
        battery = snap.get("battery") or {}
        velocity = snap.get("velocity_ned_mps") or (None, None, None)
        source: Mapping[str, Any] = {
            **position,
            "heading_deg": snap.get("heading_deg"),
            "groundspeed_mps": snap.get("groundspeed_mps"),
            "climb_mps": -velocity[2] if velocity[2] is not None else None,
            "battery_pct": battery.get("remaining_pct"),
            "battery_v": battery.get("voltage_v"),
            "mode": snap.get("mode", ""),
            "armed": snap.get("armed", True),
            "time_s": snap.get("time_s") or event.time_s,
        }
    else:
        source = data
    lat, lon = _float(source.get("lat_deg")), _float(source.get("lon_deg"))
    if lat is None or lon is None:
        return None
    return {
        "time_s": _float(source.get("time_s")) or event.time_s,
        "lat_deg": lat,
        "lon_deg": lon,
        "alt_amsl_m": _float(source.get("alt_amsl_m")),
        "alt_rel_m": _float(source.get("alt_rel_m")),
        "heading_deg": _float(source.get("heading_deg")),
        "groundspeed_mps": _float(source.get("groundspeed_mps")),
        "climb_mps": _float(source.get("climb_mps")),
        "battery_pct": _float(source.get("battery_pct")),
        "battery_v": _float(source.get("battery_v")),
        "mode": str(source.get("mode") or ""),
        "armed": bool(source.get("armed", True)),
    }


def snapshot_armed(event: Event) -> bool | None:
    """Whether a TELEMETRY event's snapshot says armed (None when it does not say)."""
    snap = event.data.get(SNAPSHOT_KEY)
    source = snap if isinstance(snap, Mapping) else event.data
    armed = source.get("armed")
    return None if armed is None else bool(armed)
